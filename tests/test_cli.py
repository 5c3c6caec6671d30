"""The `wirefeed` command's refusals: each is said plainly (no traceback) with exit 2, before
anything connects or starts. No broker: whatever would reach one is replaced."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from service.cli import app
from service.settings import PROJECT_ROOT, get_settings


def _refused(result: Result, *words: str) -> None:
    """Exit 2, the words on stderr, and no exception but the exit itself."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    for word in words:
        assert word in result.stderr, result.stderr


# --- eval: one default data folder, and no figures without data ----------------------------

EVALS = [
    ["eval", "dedup"],
    ["eval", "stories"],
    ["eval", "stories", "--only", "News"],
    ["eval", "stories", "--only", "ECB+"],
    ["eval", "stories-bound"],
]


@pytest.mark.parametrize("command", EVALS, ids=" ".join)
def test_eval_refuses_an_empty_data_folder(command: list[str], tmp_path: Path) -> None:
    # `eval dedup` printed a table of perfect scores on 0 records and exited 0; `eval
    # stories` and `stories-bound` crashed (FileNotFoundError, an empty distance matrix).
    result = CliRunner().invoke(app, [*command, "--data", str(tmp_path)])
    _refused(result, str(tmp_path), "--data")
    assert "1.0000" not in result.output


@pytest.mark.parametrize("command", EVALS, ids=" ".join)
def test_eval_refuses_a_missing_data_folder(command: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = CliRunner().invoke(app, [*command, "--data", str(missing)])
    _refused(result, str(missing), "no such")


def test_eval_dedup_refuses_a_data_folder_without_ecbplus_articles(tmp_path: Path) -> None:
    (tmp_path / "ecbplus" / "ECB+_LREC2014" / "ECB+" / "23").mkdir(parents=True)
    (tmp_path / "googlenews-stories").mkdir()
    result = CliRunner().invoke(app, ["eval", "dedup", "--data", str(tmp_path)])
    _refused(result, "ECB+")


@pytest.mark.parametrize("command", EVALS, ids=" ".join)
def test_eval_commands_share_one_default_data_folder(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each had its own: `eval dedup` the folder beside the project, the others
    # ../shared/data from wherever the command was run.
    data = tmp_path / "data"
    data.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("WIRE_EVAL_DATA_DIR", str(data))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, command)
    finally:
        get_settings.cache_clear()
    _refused(result, str(data))


def test_the_default_data_folder_is_beside_the_project(monkeypatch: pytest.MonkeyPatch) -> None:
    from service.settings import Settings

    monkeypatch.delenv("WIRE_EVAL_DATA_DIR", raising=False)
    assert Settings().eval_data_dir == PROJECT_ROOT.parent / "shared" / "data"
