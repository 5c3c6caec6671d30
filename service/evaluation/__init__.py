"""Evaluations on labelled data (../shared/data): quality figures through `wirefeed label`'s code.

Each module registers its command on `eval_app`; import it at the bottom of this file. Every
command finds the data the same way (`--data`, else WIRE_EVAL_DATA_DIR, else the `shared/data`
folder beside the project) and refuses a folder that is missing or holds no data it reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from service.settings import get_settings

eval_app = typer.Typer(no_args_is_help=True, help="Quality evaluations on labelled datasets.")

# Where each dataset lies in the data folder.
ECBPLUS = "ecbplus"
ECBPLUS_CORPUS = "ecbplus/ECB+_LREC2014/ECB+"
GOOGLENEWS = "googlenews-stories"
GOOGLENEWS_SETS = {
    "News": "googlenews-stories/MStream/data/News",
    "News-T": "googlenews-stories/MStream/data/News-T",
    "TS": "googlenews-stories/GSDMM/data/TS",
}

DataOption = Annotated[
    Path | None,
    typer.Option(
        help="the shared data folder, with ecbplus/ and googlenews-stories/ (default: "
        "WIRE_EVAL_DATA_DIR, else shared/data beside the project's folder)",
        show_default=False,
    ),
]


def refuse(command: str, message: str) -> NoReturn:
    """Say why there is nothing to evaluate (no figures on no data) and exit 2."""
    typer.echo(
        f"wirefeed eval {command}: {message}; give the shared data folder (ecbplus, "
        "googlenews-stories) with --data or WIRE_EVAL_DATA_DIR",
        err=True,
    )
    raise typer.Exit(2)


def data_folder(command: str, data: Path | None, needed: Iterable[str]) -> Path:
    """The data folder (`data`, else the settings'), checked before anything is read: it
    exists, holds something, and holds each of `needed` (paths inside it)."""
    folder = get_settings().eval_data_dir if data is None else data
    if not folder.exists():
        refuse(command, f"{folder}: no such data folder")
    if not folder.is_dir():
        refuse(command, f"{folder}: not a folder")
    if not any(folder.iterdir()):
        refuse(command, f"{folder}: the data folder is empty")
    for relative in needed:
        if not (folder / relative).exists():
            refuse(command, f"{folder}: no {relative} in it")
    return folder


from service.evaluation import bound as _bound  # noqa: E402, F401
from service.evaluation import dedup as _dedup  # noqa: E402, F401
from service.evaluation import stories as _stories  # noqa: E402, F401
