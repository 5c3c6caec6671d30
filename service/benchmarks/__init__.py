"""Benchmarks: commands that print speed and memory figures (never timed assertions in tests).

Each module registers its command on `bench_app`; import it at the bottom of this file.
"""

from __future__ import annotations

import typer

bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks that print figures.")
from service.benchmarks import cluster as _cluster  # noqa: E402, F401
from service.benchmarks import dedup as _dedup  # noqa: E402, F401
from service.benchmarks import e2e as _e2e  # noqa: E402, F401
from service.benchmarks import normalise as _normalise  # noqa: E402, F401
