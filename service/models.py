"""Domain types shared by every stage: the canonical article and the decisions made about it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from service.languages import shard_language

SCHEMA_VERSION = 1


class RejectReason(StrEnum):
    """Why an input could not become an article. A small fixed set: it labels metrics."""

    NOT_JSON = "not_json"
    NOT_UTF8 = "not_utf8"
    NOT_AN_OBJECT = "not_an_object"
    MISSING_TEXT = "missing_text"
    WRONG_TYPE = "wrong_type"
    TOO_LARGE = "too_large"
    EMPTY_AFTER_CLEANING = "empty_after_cleaning"
    BAD_FORMAT = "bad_format"
    # An editor's story command that cannot apply (unknown story, article not in it, ...).
    BAD_COMMAND = "bad_command"
    # A bug in a stage: the input is kept on the dead-letter topic so it can be replayed.
    INTERNAL_ERROR = "internal_error"


class Rejected(Exception):
    """An input that cannot be made into an article; it goes to the dead-letter topic.
    `again`: the same refusal as before, of an input seen again (an editor's command refused
    stays refused)."""

    def __init__(self, reason: RejectReason, detail: str, *, again: bool = False) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
        self.again = again


# superseded: an older version of an item that arrived after a newer one (hidden, linked
# to the current version).
DuplicateKind = Literal["exact", "version", "near_copy", "rewrite", "superseded"]
DUPLICATE_KINDS: tuple[DuplicateKind, ...] = (
    "exact",
    "version",
    "near_copy",
    "rewrite",
    "superseded",
)
StoryEventKind = Literal["created", "updated", "merged", "split", "moved"]
CommandAction = Literal["split", "merge", "move"]
COMMAND_ACTIONS: tuple[CommandAction, ...] = ("split", "merge", "move")


@dataclass(frozen=True, slots=True)
class Article:
    """A normalised article: ninjs-like fields plus wirefeed's own.

    `id` is the identifier of this copy as it arrived; `guid` is the item's identity across
    versions (the uri a wire service keeps for updates and corrections).
    Times are seconds since the epoch (UTC); None when unknown.
    """

    id: str
    guid: str
    version: int
    headline: str
    body: str
    # Declared or identified (`und`: neither); routed, the shard it is decided in
    # (`route.Routes`: an item's later copies take its first copy's, a guess its feed's).
    language: str
    fingerprint: str
    firstcreated: float | None = None
    versioncreated: float | None = None
    # What firstcreated rests on: "record" (the feed's own time), "metadata" (a date line of
    # the item), "credit" (a `first published` line: the date of the report reproduced,
    # which a copy carries too) or "text" (another date in the text).
    time_basis: str | None = None
    pubstatus: str = "usable"
    urgency: int | None = None
    byline: str | None = None
    located: str | None = None
    source: str | None = None
    credit: str | None = None
    # A copyright or rights notice that ended the text (`Copyright 2025 The Associated Press.
    # All rights reserved...`), taken out of the body.
    rights: str | None = None
    headline_derived: bool = False
    captions: tuple[str, ...] = ()
    dates_in_text: tuple[str, ...] = ()
    # Where the item can be read on the web (a feed entry's link); `guid` is its identity.
    link: str | None = None

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.body.split("\n\n") if p]

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["captions"] = list(self.captions)
        data["dates_in_text"] = list(self.dates_in_text)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["captions"] = tuple(values.get("captions") or ())
        values["dates_in_text"] = tuple(values.get("dates_in_text") or ())
        return cls(**values)


@dataclass(frozen=True, slots=True)
class DedupDecision:
    """What dedup concluded: unique, or a copy of `duplicate_of` of the given kind."""

    kind: DuplicateKind | None
    duplicate_of: str | None
    score: float = 0.0
    evidence: dict[str, float] = field(default_factory=dict)
    # Earlier articles written alike (one template) that tell other events: other names and
    # figures in the same places. The story stage keeps the article out of their stories.
    other_events: tuple[str, ...] = ()

    @property
    def is_duplicate(self) -> bool:
        # A version supersedes its predecessor: it is published as an update, not hidden.
        return self.kind is not None and self.kind != "version"


@dataclass(frozen=True, slots=True)
class StoryDecision:
    """Which story an article belongs to, and whether that created or updated the story."""

    story_id: str
    event: StoryEventKind
    score: float = 0.0
    merged_from: tuple[str, ...] = ()
    # The story's name for editors: the headline of the article that opened it.
    title: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    """Everything the pipeline concluded about one article."""

    article: Article
    dedup: DedupDecision
    story: StoryDecision

    def label(self) -> dict[str, Any]:
        """The `wirefeed label` output line (a stable contract; add fields, never rename)."""
        return {
            "id": self.article.id,
            "duplicate_of": self.dedup.duplicate_of if self.dedup.is_duplicate else None,
            "story": self.story.story_id,
            "kind": self.dedup.kind,
            "supersedes": self.dedup.duplicate_of if self.dedup.kind == "version" else None,
            "score": round(self.dedup.score, 4),
            "story_event": self.story.event,
            "merged_from": list(self.story.merged_from),
            "story_title": self.story.title,
            "language": self.article.language,
            "headline": self.article.headline,
        }


@dataclass(frozen=True, slots=True)
class StoryCommand:
    """An editor's correction of the stories: move articles out of a story into a new one
    (split), fold stories into one (merge), or move articles into an existing story (move).
    `shard` is where the story lives (its language, as `/stories` lists it); `id` names the
    command, so that one delivered twice is applied once."""

    id: str
    action: CommandAction
    shard: str
    story: str
    # split: the articles to move out of `story`; move: the articles to move into `story`
    # (a copy named stands for its original; copies follow their original); merge: the
    # stories to fold into `story`.
    articles: tuple[str, ...] = ()
    stories: tuple[str, ...] = ()
    # split: the new story's title (else the story's own).
    title: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["articles"] = list(self.articles)
        data["stories"] = list(self.stories)
        return data

    @classmethod
    def from_dict(cls, data: object) -> StoryCommand:
        """Read a command, or raise Rejected (bad_command) saying what is wrong with it."""
        if not isinstance(data, dict):
            raise Rejected(RejectReason.BAD_COMMAND, "a command is a JSON object")

        def text(name: str, required: bool = True) -> str:
            value = data.get(name, "")
            if not isinstance(value, str) or (required and not value.strip()):
                raise Rejected(RejectReason.BAD_COMMAND, f"{name!r} must be a non-empty string")
            return value.strip()

        def ids(name: str) -> tuple[str, ...]:
            value = data.get(name) or []
            if not isinstance(value, list) or not all(
                isinstance(item, str) and item for item in value
            ):
                raise Rejected(RejectReason.BAD_COMMAND, f"{name!r} must be a list of ids")
            return tuple(dict.fromkeys(value))

        action = data.get("action")
        if action not in COMMAND_ACTIONS:
            raise Rejected(
                RejectReason.BAD_COMMAND,
                f"'action' must be one of {', '.join(COMMAND_ACTIONS)}, not {action!r}",
            )
        command = cls(
            id=text("id"),
            action=action,
            # Shards are lowercase language codes ("en", "und"): "EN" names the same one,
            # and "hr" the shard of Croatian, Serbian and Bosnian ("sh").
            shard=shard_language(text("shard").casefold()),
            story=text("story"),
            articles=ids("articles"),
            stories=ids("stories"),
            title=text("title", required=False),
        )
        wanted = "stories" if action == "merge" else "articles"
        if not getattr(command, wanted):
            raise Rejected(RejectReason.BAD_COMMAND, f"a {action} needs {wanted!r}")
        return command


@dataclass(frozen=True, slots=True)
class Correction:
    """What an editor's command did: the story event it publishes."""

    command: str
    story_id: str
    event: StoryEventKind
    title: str = ""
    merged_from: tuple[str, ...] = ()
    # split: the story the articles left, and the articles (the story of their copies
    # follows them).
    split_from: str | None = None
    articles: tuple[str, ...] = ()
    # move: the stories the articles left.
    moved_from: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "story": self.story_id,
            "story_event": self.event,
            "story_title": self.title,
            "merged_from": list(self.merged_from),
            "split_from": self.split_from,
            "articles": list(self.articles),
            "moved_from": list(self.moved_from),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Correction:
        return cls(
            data["command"],
            data["story"],
            data["story_event"],
            data.get("story_title", ""),
            tuple(data.get("merged_from", ())),
            data.get("split_from"),
            tuple(data.get("articles", ())),
            tuple(data.get("moved_from", ())),
        )
