"""A sender that records what producers send, in place of kafka-python; and a raw topic on
the real broker that refuses records over 2000 bytes (`strict_settings`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka.admin import KafkaAdminClient, NewTopic

from service.producers import formats
from service.producers.dlq import DeadLetter
from service.settings import Settings
from tests.conftest import read_topics, read_values
from tests.producers.documents import NITF

# The broker refuses a record batch larger than this on the `strict_settings` raw topic,
# while the producer (max_request_size >= 1 MiB) lets it go: the refusal is the broker's.
STRICT_MAX_MESSAGE_BYTES = 2000


class FakeSender:
    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, Any] | bytes, str | None]] = []
        # Dead letters written straight to the dead-letter topic: (payload, reason, origin).
        self.letters: list[tuple[bytes, str, dict[str, Any]]] = []
        self.details: list[str] = []  # each letter's detail, in the same order
        self.flushed = 0

    def send(self, record: dict[str, Any] | bytes, feed: str | None = None) -> None:
        self.sent.append((record, feed))

    def dead_letter(
        self, payload: bytes, reason: str, detail: str, origin: dict[str, Any] | None = None
    ) -> None:
        self.letters.append((payload, reason, dict(origin or {})))
        self.details.append(detail)

    def flush(self) -> None:
        self.flushed += 1

    @property
    def records(self) -> list[dict[str, Any] | bytes]:
        return [record for record, _ in self.sent]


@pytest.fixture
def sender() -> FakeSender:
    return FakeSender()


@pytest.fixture
def strict_settings(service_settings: Settings) -> Settings:
    """Settings whose raw topic, on the real broker, takes records of at most ~2000 bytes."""
    topic = f"{service_settings.topics.raw}.strict"
    admin = KafkaAdminClient(bootstrap_servers=service_settings.bootstrap_servers)
    try:
        admin.create_topics(
            [
                NewTopic(
                    topic, 1, 1, topic_configs={"max.message.bytes": str(STRICT_MAX_MESSAGE_BYTES)}
                )
            ]
        )
    finally:
        admin.close()
    topics = service_settings.topics.model_copy(update={"raw": topic})
    return service_settings.model_copy(update={"topics": topics})


# An XML payload on which the parser raises an error it was never meant to (a bug, not a
# rejection): one such input must fail only itself.
POISON_XML = b"<nitf><!-- the parser trips on this one --></nitf>"


def poisoned_parse_xml() -> Callable[..., list[dict[str, Any]]]:
    """formats.parse_xml, except that it raises ValueError on POISON_XML."""
    real_parse_xml = formats.parse_xml

    def parse_xml(data: bytes, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        if data == POISON_XML:
            raise ValueError("invalid literal for int() with base 10: 'v2'")
        return real_parse_xml(data, *args, **kwargs)

    return parse_xml


# Files a reader rejects, as a drop folder or an archive gets them, with good ones among
# them: name -> (bytes, the reader's reason, a piece of its detail). The JSON Lines file has
# one bad line (line 2) between two good ones, which go on.
_LINE_1 = {
    "id": "lines-1",
    "text": "Harbour ferries resume. " + " ".join(f"ferry{i}" for i in range(40)),
}
_LINE_3 = {
    "id": "lines-3",
    "text": "Mountain pass reopens. " + " ".join(f"pass{i}" for i in range(40)),
}
GOOD_TEXT = "Council approves the budget. " + " ".join(f"budget{i}" for i in range(40))
NINJS_WITHOUT_URI = orjson.dumps(
    {
        "$schema": "http://www.iptc.org/std/ninjs/ninjs-schema_2.0.json",
        "headlines": [{"value": "Avalanche closes the valley road"}],
        "body_text": "Watched ninjs body: an avalanche near Chamonix closed the valley road. "
        + " ".join(f"snow{i}" for i in range(40)),
    }
)
NITF_WITHOUT_DOC_ID = NITF.replace(b'<doc-id id-string="EXN-2024-0412-0007"/>', b"")
CUT_XML = NITF[:400]
BROKEN_JSON = b'{"id": broken'
BAD_LINE = b'{"id": "lines-2", "text": '
JSONL_WITH_A_BAD_LINE = b"\n".join([orjson.dumps(_LINE_1), BAD_LINE, orjson.dumps(_LINE_3)])
GOOD_LINES = [_LINE_1, _LINE_3]

REJECTED_FILES: dict[str, tuple[bytes, str, str]] = {
    "b_nouri.json": (NINJS_WITHOUT_URI, "bad_format", "ninjs document without a uri"),
    "c_nodocid.xml": (
        NITF_WITHOUT_DOC_ID,
        "bad_format",
        "NITF document without docdata/doc-id@id-string",
    ),
    "d_cut.xml": (CUT_XML, "bad_format", "not well-formed XML"),
    "e_broken.json": (BROKEN_JSON, "not_json", ""),
    "f_lines.jsonl": (BAD_LINE, "not_json", "line 2: "),
}


def drop_rejected_files(folder: Path) -> None:
    """A good text file (a_good.txt), the files of REJECTED_FILES, the JSON Lines one with
    its good lines around the bad one."""
    folder.mkdir(exist_ok=True)
    (folder / "a_good.txt").write_text(GOOD_TEXT)
    for name, (data, _, _) in REJECTED_FILES.items():
        (folder / name).write_bytes(JSONL_WITH_A_BAD_LINE if name.endswith(".jsonl") else data)


def assert_rejects_dead_lettered(sender: FakeSender, folder: Path, producer: str) -> None:
    """Each file (or line) of REJECTED_FILES went to the dead-letter topic, once, with the
    reader's reason and detail, its bytes, and an origin naming the producer and the file."""
    letters = {
        Path(origin["file"]).name: (payload, reason, detail, origin)
        for (payload, reason, origin), detail in zip(sender.letters, sender.details, strict=True)
    }
    assert sorted(letters) == sorted(REJECTED_FILES)
    assert len(sender.letters) == len(REJECTED_FILES)
    for name, (data, reason, piece) in REJECTED_FILES.items():
        payload, why, detail, origin = letters[name]
        assert (payload, why) == (data, reason), name
        assert piece in detail, (name, detail)
        assert detail.strip(), name
        line = {"line": 2} if name.endswith(".jsonl") else {}
        assert origin == {"producer": producer, "file": str(folder / name), **line}


def assert_rejects_left_out_on_the_broker(
    settings: Settings, folder: Path, good: list[str], producer: str
) -> None:
    """Through the real broker: the good records alone reached the raw topic and were
    published; each file (or line) of REJECTED_FILES is one letter on the dead-letter topic,
    written by the producer (none by the worker: its origin would carry the raw topic's
    offset), with the reader's reason and detail and the file's bytes."""
    topics = settings.topics
    published = read_topics(settings, [topics.articles, topics.duplicates], 3, settle=5.0)
    assert sorted(record["id"] for _, record in published) == sorted(good)
    raw = read_values(settings, [topics.raw], 3, settle=1.0)
    assert sorted(orjson.loads(value)["id"] for _, value in raw) == sorted(good)
    letters = [record for _, record in read_topics(settings, [topics.dlq], 5, settle=2.0)]
    assert len(letters) == 5
    by_file = {letter["origin"]["file"]: letter for letter in letters}
    for name, (data, reason, piece) in REJECTED_FILES.items():
        letter = by_file[str(folder / name)]
        assert letter["reason"] == reason
        assert piece in letter["detail"]
        line = {"line": 2} if name.endswith(".jsonl") else {}
        assert letter["origin"] == {
            "topic": topics.raw,
            "producer": producer,
            "file": str(folder / name),
            **line,
        }
        assert DeadLetter.parse(0, 0, None, orjson.dumps(letter)).payload == data


# Input whose records orjson cannot write: a version of 2**64 (an NITF's du-key), and a field
# nested 254 deep in a record (255 levels with it; orjson reads up to 1024, writes 254).
# Every producer raised writing such a record: replay and label stopped, the watcher retried
# the file at every poll, the endpoint answered 500; nothing was dead-lettered.
HUGE_VERSION_NITF = NITF.replace(b'<du-key version="2"', b'<du-key version="18446744073709551616"')
NESTED_254 = b"[" * 254 + b"]" * 254
DEEP_LINE = b'{"id": "deep", "text": "Rain fell all week.", "meta": ' + NESTED_254 + b"}"
JSONL_WITH_A_DEEP_LINE = b"\n".join([orjson.dumps(_LINE_1), DEEP_LINE, orjson.dumps(_LINE_3)])
UNWRITABLE_VERSION = (
    "bad_format: NITF du-key version 18446744073709551616 is outside the 64-bit range"
)
UNWRITABLE_NESTING = (
    "bad_format: line 2: record not writable as JSON: nested more than 254 levels deep"
)
