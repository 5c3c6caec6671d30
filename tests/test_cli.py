"""The `wirefeed` command's refusals: each is said plainly (no traceback) with exit 2, before
anything connects or starts. No broker: whatever would reach one is replaced."""

from __future__ import annotations

import itertools
import re
import socket
from pathlib import Path
from typing import Any, ClassVar

import orjson
import pytest
from typer.testing import CliRunner, Result

from service.cli import app
from service.settings import PROJECT_ROOT, get_settings
from tests.conftest import SEEDS


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


# --- label: a path that is not there; a folder read as replay reads it ----------------------


def test_label_refuses_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    result = CliRunner().invoke(app, ["label", str(missing)])
    _refused(result, f"label: {missing}: no such file or folder")


def test_label_decides_the_seeds_folder_as_the_readme_table_says() -> None:
    # The README's seeds table (what the demo concludes): 004 original (story S), 003 its
    # rewrite; 000 original (story T), 001 its rewrite, 002 original in T. The folder is read
    # by replay's readers and decided in replay's (publication) order.
    result = CliRunner().invoke(app, ["label", str(SEEDS)])
    assert result.exit_code == 0, result.output
    out = [orjson.loads(line) for line in result.stdout.splitlines()]
    seed = {str(o["id"])[:3]: o for o in out}
    ids = {name: o["id"] for name, o in seed.items()}
    assert [str(o["id"])[:3] for o in out] == ["004", "003", "000", "001", "002"]
    assert seed["003"]["duplicate_of"] == ids["004"]
    assert seed["001"]["duplicate_of"] == ids["000"]
    assert seed["003"]["kind"] == seed["001"]["kind"] == "rewrite"
    for original in ("004", "000", "002"):
        assert seed[original]["duplicate_of"] is None
        assert seed[original]["kind"] is None
    assert seed["004"]["story"] == seed["003"]["story"]
    assert seed["000"]["story"] == seed["001"]["story"] == seed["002"]["story"]
    assert seed["000"]["story"] != seed["004"]["story"]
    assert len(out) == 5
    assert sum(o["duplicate_of"] is None for o in out) == 3


def test_label_reads_a_single_text_file_as_replay_does() -> None:
    first = sorted(SEEDS.glob("*.txt"))[0]
    result = CliRunner().invoke(app, ["label", str(first)])
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    assert orjson.loads(line)["id"].startswith(first.stem + "#")


def test_label_lists_a_file_it_cannot_parse_and_decides_the_rest(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_bytes(b'{"id": broken')
    (tmp_path / "fine.json").write_bytes(b'{"id": "a", "text": "A quake shook the city."}')
    result = CliRunner().invoke(app, ["label", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = [orjson.loads(line) for line in result.stdout.splitlines()]
    # The broken file never reaches the worker (replay dead-letters it): listed, not decided.
    assert [line["id"] for line in lines] == ["a"]
    assert f"rejected: {tmp_path / 'broken.json'}: not_json" in result.stderr


def test_label_lists_a_file_a_reader_rejects_as_replay_does(tmp_path: Path) -> None:
    # A ninjs document without a uri: replay lists it and dead-letters it, so the worker
    # never decides it; label lists it and decides nothing for it.
    ninjs = b'{"$schema": "http://www.iptc.org/std/ninjs/ninjs-schema_2.0.json",'
    ninjs += b' "headlines": [{"value": "Avalanche"}], "body_text": "Snow buried the road."}'
    (tmp_path / "nouri.json").write_bytes(ninjs)
    result = CliRunner().invoke(app, ["label", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"rejected: {tmp_path / 'nouri.json'}: bad_format: ninjs document without a uri" in (
        result.stderr
    )
    assert result.stdout.splitlines() == []


# --- replay --order: a choice checked before anything connects -------------------------------


class _Producer:
    """Stands in for RawProducer: records what it was given, connects to nothing."""

    made: ClassVar[list[_Producer]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sent: list[object] = []
        _Producer.made.append(self)

    def __enter__(self) -> _Producer:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send(self, record: object, feed: str | None = None) -> None:
        self.sent.append(record)


@pytest.fixture
def producer(monkeypatch: pytest.MonkeyPatch) -> type[_Producer]:
    _Producer.made = []
    monkeypatch.setattr("service.producers.kafka.RawProducer", _Producer)
    return _Producer


def test_replay_refuses_an_unknown_order_before_connecting(producer: type[_Producer]) -> None:
    # It connected first, then raised a ValueError (without a broker: a bootstrap timeout,
    # and the bad value never named).
    result = CliRunner().invoke(app, ["replay", str(SEEDS), "--order", "foo"])
    _refused(result, "--order")
    assert producer.made == []


def test_replay_takes_order_name(producer: type[_Producer]) -> None:
    result = CliRunner().invoke(app, ["replay", str(SEEDS), "--order", "name"])
    assert result.exit_code == 0, result.output
    (made,) = producer.made
    ids = [str(record["id"])[:3] for record in made.sent if isinstance(record, dict)]
    assert ids == ["000", "001", "002", "003", "004"]


# --- demo: the project's seeds by default, checked before a broker is touched ----------------


@pytest.fixture
def demo_runs(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The seeds each `run_demo` was called with (it starts nothing here)."""
    calls: list[Path] = []

    def run_demo(settings: object, seeds: Path, *, keep_running: bool = False) -> int:
        calls.append(seeds)
        return 0

    monkeypatch.setattr("service.demo.run_demo", run_demo)
    return calls


def test_demo_refuses_missing_seeds_before_starting_a_broker(
    demo_runs: list[Path], tmp_path: Path
) -> None:
    # It stopped any local broker, deleted var/kafka and var/worker, started a broker and a
    # worker, and only then found the seeds missing (~17 s, a traceback).
    missing = tmp_path / "seeds"
    result = CliRunner().invoke(app, ["demo", "--seeds", str(missing)])
    _refused(result, f"demo: {missing}: no such file or folder")
    assert demo_runs == []


def test_demo_defaults_to_the_projects_seeds_from_any_folder(
    demo_runs: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert demo_runs == [PROJECT_ROOT / "seeds"]


def test_demo_on_a_taken_port_deletes_and_starts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It deleted var/kafka and var/worker, then failed to start the broker with a traceback.
    from service import demo
    from service.settings import Settings

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        kafka_dir, worker_dir = tmp_path / "kafka", tmp_path / "worker"
        for folder in (kafka_dir, worker_dir):
            folder.mkdir()
            (folder / "kept").write_text("state")
        settings = Settings(kafka_port=port, kafka_data_dir=kafka_dir, worker_data_dir=worker_dir)

        def must_not_start(*args: object, **kwargs: object) -> None:
            raise AssertionError("a broker was started")

        monkeypatch.setattr(demo, "start_broker", must_not_start)
        monkeypatch.setattr(demo, "broker_pid", lambda settings: None)
        assert demo.run_demo(settings, SEEDS) == 2
    assert (kafka_dir / "kept").exists()
    assert (worker_dir / "kept").exists()


# --- help texts: the suffixes the readers take -----------------------------------------------


def _help(name: str) -> str:
    import typer.main

    command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    return " ".join([command.help or "", *(getattr(p, "help", "") or "" for p in command.params)])


def test_replay_and_watch_help_name_every_suffix_they_take() -> None:
    # `watch --help` said .txt/.json/.jsonl/.xml: .text, .ndjson, .nitf and .newsml are read
    # too, and .partial and .crdownload are skipped as .tmp and .part are.
    from service.producers.files import SUFFIXES
    from service.producers.watch import _PARTIAL_SUFFIXES

    for name in ("replay", "watch"):
        text = _help(name)
        assert [suffix for suffix in sorted(SUFFIXES) if suffix not in text] == [], name
    watch = _help("watch")
    assert [suffix for suffix in _PARTIAL_SUFFIXES if suffix not in watch] == []


# --- README's Commands block: every command and every option -------------------------------

_COMMAND_WORD = re.compile(r"[a-z][a-z0-9-]*(?:\|[a-z][a-z0-9-]*)*")


def _readme_commands() -> dict[str, str]:
    """Each command path the README's Commands block lists, with the text of its entry."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    block = readme.split("\n## Commands\n", 1)[1].split("```\n", 2)[1]
    entries: list[str] = []
    for line in block.splitlines():
        if line.startswith("wirefeed "):
            entries.append(line)
        elif entries:
            entries[-1] += "\n" + line
    listed: dict[str, str] = {}
    for entry in entries:
        words: list[list[str]] = []
        head = re.split(r"\s{2,}", entry.split("\n", 1)[0])[0]  # before the description
        for word in head.split()[1:]:
            if not _COMMAND_WORD.fullmatch(word):
                break
            words.append(word.split("|"))
        for path in itertools.product(*words):
            listed[" ".join(path)] = entry
    return listed


def _commands() -> dict[str, list[list[str]]]:
    """Each command path of `wirefeed`, with its options' names (each a flag's two)."""
    import typer.main

    found: dict[str, list[list[str]]] = {}

    def walk(command: Any, path: list[str]) -> None:
        for name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, [*path, name])
        if not getattr(command, "commands", None):
            found[" ".join(path)] = [
                [*param.opts, *param.secondary_opts]
                for param in command.params
                if param.param_type_name == "option" and param.name != "help"
            ]

    walk(typer.main.get_command(app), [])
    return found


def test_readme_commands_block_lists_every_command_and_option() -> None:
    # It left out worker --loglevel, feed --state/--metrics-host, demo --seeds, eval dedup
    # --data/--seed/--baseline, eval stories --data/--only/--seed (and the bench options).
    listed = _readme_commands()
    missing = []
    for path, options in _commands().items():
        if path not in listed:
            missing.append(path)
            continue
        for names in options:
            if not any(re.search(re.escape(n) + r"(?![\w-])", listed[path]) for n in names):
                missing.append(f"{path} {names[0]}")
    assert missing == [], missing
