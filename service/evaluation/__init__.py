"""Evaluations on labelled data (../shared/data): quality figures through `wirefeed label`'s code.

Each module registers its command on `eval_app`; import it at the bottom of this file.
"""

from __future__ import annotations

import typer

eval_app = typer.Typer(no_args_is_help=True, help="Quality evaluations on labelled datasets.")
from service.evaluation import bound as _bound  # noqa: E402, F401
from service.evaluation import dedup as _dedup  # noqa: E402, F401
from service.evaluation import stories as _stories  # noqa: E402, F401
