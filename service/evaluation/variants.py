"""Re-published variants of an article, as a wire feed produces them (deterministic, seeded)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Record = dict[str, Any]

NEAR_COPY_EDITS = (
    "headline",
    "dateline",
    "credit",
    "boilerplate",
    "trim",
    "truncate",
    "reorder",
    "typos",
    "copy_edit",
    "html",
    "mojibake",
    "rewrap",
)

_DATELINES = ("NEW YORK", "LONDON", "WASHINGTON", "LOS ANGELES", "CHICAGO", "SYDNEY", "TORONTO")
_AGENCIES = ("AP", "Reuters", "AFP", "The Canadian Press", "dpa", "UPI")
_BOILERPLATE = (
    "Copyright {year} {agency}. All rights reserved. This material may not be published, "
    "broadcast, rewritten or redistributed.",
    "Follow us on social media for the latest updates. Sign up for our daily newsletter.",
    "This report by {agency} was first published {day}.",
    "{agency} writer {name} contributed to this report.",
)
_NAMES = ("Jane Miller", "Tom Rivera", "Anna Kowalski", "David Chen", "Maria Santos")
_HEADLINE_PREFIXES = ("UPDATE: ", "BREAKING: ", "", "Report: ", "Officials: ")
# Copy edits a desk makes: house style for numbers, titles and attribution.
_COPY_EDITS = (
    (" said ", " says "),
    (" percent", "%"),
    (" per cent", " percent"),
    ("Mr. ", ""),
    (" on Monday", " Monday"),
    (" on Tuesday", " Tuesday"),
    (" however,", " though,"),
    (" about ", " around "),
    (" because ", " as "),
    (" U.S. ", " US "),
)
# The rewrite simulation: what a translation round trip does to English wording.
_SYNONYMS = {
    "said": ("stated", "indicated", "declared"),
    "says": ("states", "indicates"),
    "told": ("informed", "said to"),
    "after": ("following",),
    "before": ("prior to",),
    "killed": ("slain", "dead"),
    "died": ("passed away", "lost their lives"),
    "police": ("law enforcement", "the authorities"),
    "officials": ("authorities", "leaders"),
    "official": ("representative", "leader"),
    "announced": ("declared", "made public"),
    "arrested": ("detained", "apprehended"),
    "attack": ("assault", "offensive"),
    "people": ("persons", "individuals"),
    "big": ("large", "major"),
    "large": ("big", "important"),
    "new": ("novel", "recent"),
    "company": ("firm", "enterprise"),
    "deal": ("agreement", "accord"),
    "home": ("residence", "house"),
    "help": ("assist", "support"),
    "began": ("started", "commenced"),
    "start": ("beginning", "launch"),
    "show": ("demonstrate", "indicate"),
    "shows": ("demonstrates", "indicates"),
    "also": ("likewise", "as well"),
    "however": ("nevertheless", "but"),
    "because": ("since", "as"),
    "during": ("throughout", "in the course of"),
    "near": ("close to", "in the vicinity of"),
    "week": ("seven days",),
    "year": ("twelve months",),
    "earlier": ("previously", "beforehand"),
    "later": ("subsequently", "afterwards"),
    "hospital": ("medical centre", "clinic"),
    "government": ("administration", "executive"),
    "statement": ("press release", "communique"),
    "reported": ("indicated", "stated"),
    "according": ("based",),
    "former": ("previous", "ex"),
    "including": ("among them", "comprising"),
    "several": ("many", "various"),
    "many": ("numerous", "a lot of"),
    "fire": ("blaze", "flames"),
    "car": ("vehicle", "automobile"),
    "film": ("movie", "picture"),
    "role": ("part", "character"),
    "team": ("squad", "side"),
    "game": ("match", "contest"),
    "won": ("obtained", "gained"),
    "win": ("victory", "triumph"),
    "lost": ("was defeated", "failed"),
    "star": ("celebrity", "actor"),
    "wife": ("spouse", "partner"),
    "husband": ("spouse", "partner"),
    "children": ("kids", "offspring"),
    "court": ("tribunal", "judiciary"),
    "judge": ("magistrate", "justice"),
    "charged": ("accused", "indicted"),
    "found": ("discovered", "located"),
    "told reporters": ("informed journalists",),
    "spokesman": ("spokesperson", "representative"),
    "spokeswoman": ("spokesperson", "representative"),
    "percent": ("per cent", "%"),
    "million": ("millions",),
    "earthquake": ("quake", "tremor"),
    "magnitude": ("force", "strength"),
    "struck": ("hit", "shook"),
    "hit": ("struck", "affected"),
    "injured": ("wounded", "hurt"),
    "building": ("structure", "edifice"),
    "country": ("nation", "state"),
    "city": ("town", "municipality"),
    "area": ("zone", "region"),
    "expected": ("anticipated", "foreseen"),
    "according to": ("as stated by", "per"),
    "while": ("whereas", "as"),
    "because of": ("due to", "owing to"),
}
_FUNCTION_WORDS = {
    "the": ("a", "this", ""),
    "a": ("the", "one"),
    "an": ("the", "one"),
    "of": ("from", "belonging to"),
    "in": ("at", "within", "inside"),
    "on": ("at", "upon", "over"),
    "to": ("towards", "for", "in order to"),
    "that": ("which", "", "who"),
    "which": ("that", "who"),
    "is": ("was", "is being", "remains"),
    "are": ("were", "remain"),
    "has": ("had", "possesses"),
    "have": ("had", "possess"),
    "was": ("had been", "was being", "became"),
    "were": ("had been", "became"),
    "with": ("alongside", "together with"),
    "for": ("to", "in favour of", "during"),
    "by": ("through", "via"),
    "from": ("of", "out of"),
    "and": ("as well as", "with", "plus"),
    "at": ("in", "on"),
    "will": ("would", "shall", "is going to"),
    "would": ("will", "could"),
    "it": ("this", "that"),
    "his": ("its", "the"),
    "her": ("its", "the"),
    "their": ("its", "the"),
}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")
_CAPITALISED = re.compile(r"[A-Z][a-z]{3,}")


@dataclass(frozen=True, slots=True)
class Variant:
    """A generated record with what it is a copy of and how it was made."""

    record: Record
    kind: str
    of: str
    edits: tuple[str, ...] = ()


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE.split(paragraph) if s]


class VariantMaker:
    """Makes variants of base records; one seeded random source makes the output repeatable."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self._count = 0

    def _new_id(self, base: Record, tag: str) -> str:
        self._count += 1
        return f"{base['id']}~{tag}{self._count}"

    def exact(self, base: Record) -> Variant:
        record = dict(base, id=self._new_id(base, "x"), source=self.random.choice(_AGENCIES))
        record.pop("uri", None)
        record.pop("version", None)
        return Variant(record, "exact", base["id"], ("resend",))

    def version(self, base: Record) -> Variant:
        """An update under the same uri: a sentence corrected and a line added."""
        paras = paragraphs(base["text"])
        at = self.random.randrange(len(paras))
        paras[at] = self._copy_edit(self._typos(paras[at], 0.05))
        paras.append(
            self.random.choice(
                (
                    "This story has been updated with additional details.",
                    "Corrects spelling of a name in the third paragraph.",
                    "Updates with official statement.",
                )
            )
        )
        record = dict(
            base,
            id=self._new_id(base, "v"),
            text="\n\n".join(paras),
            version=int(base.get("version", 1)) + 1,
        )
        return Variant(record, "version", base["id"], ("update",))

    def near_copy(self, base: Record, edits: tuple[str, ...] | None = None) -> Variant:
        """A re-published copy with one to three desk edits (or the ones asked for)."""
        if edits is None:
            count = self.random.choice((1, 1, 2, 2, 3))
            edits = tuple(self.random.sample(NEAR_COPY_EDITS, count))
        # Text-level edits first, encodings and markup last, as a publishing system would.
        ordered = sorted(edits, key=lambda e: e in ("html", "mojibake", "rewrap"))
        title: str = base.get("title") or ""
        paras = paragraphs(base["text"])
        text_ops: dict[str, Callable[[list[str]], list[str]]] = {
            "dateline": self._dateline,
            "credit": self._credit,
            "boilerplate": self._boilerplate,
            "trim": self._trim,
            "truncate": self._truncate,
            "reorder": self._reorder,
            "typos": lambda ps: [self._typos(p, 0.03) for p in ps],
            "copy_edit": lambda ps: [self._copy_edit(p) for p in ps],
        }
        text = ""
        for edit in ordered:
            if edit == "headline":
                title = self._headline(title, paras)
            elif edit in text_ops:
                paras = text_ops[edit](paras)
        text = "\n\n".join(paras)
        for edit in ordered:
            if edit == "html":
                text = self._html(text)
            elif edit == "mojibake":
                text = self._mojibake(text)
                title = self._mojibake(title)
            elif edit == "rewrap":
                text = self._rewrap(text)
        record = dict(
            base, id=self._new_id(base, "n"), text=text, source=self.random.choice(_AGENCIES)
        )
        record.pop("uri", None)
        record.pop("version", None)
        if title:
            record["title"] = title
        return Variant(record, "near_copy", base["id"], tuple(ordered))

    def rewrite(self, base: Record) -> Variant:
        """A simulated machine-translation round trip: wording changed, facts and order kept."""
        out = []
        for paragraph in paragraphs(base["text"]):
            parts = [self._reword(s) for s in sentences(paragraph)]
            out.append(" ".join(self._split_merge(parts)))
        title = self._reword(base.get("title") or "") if base.get("title") else None
        record = dict(base, id=self._new_id(base, "r"), text="\n\n".join(out))
        record.pop("uri", None)
        record.pop("version", None)
        if title:
            record["title"] = title
        return Variant(record, "rewrite", base["id"], ("translation_round_trip",))

    # Near-copy edits -------------------------------------------------------------------------

    def _headline(self, title: str, paras: list[str]) -> str:
        words = (title or paras[0]).split()[:12]
        if len(words) > 4 and self.random.random() < 0.5:
            words = words[: self.random.randint(4, len(words))]
        return self.random.choice(_HEADLINE_PREFIXES) + " ".join(words).rstrip(".,;:")

    def _dateline(self, paras: list[str]) -> list[str]:
        first = re.sub(r"^[A-Z][A-Z .,]{2,30}(\(\w+\))?\s+[-—–]+\s+", "", paras[0])
        place = self.random.choice(_DATELINES)
        agency = self.random.choice(_AGENCIES)
        return [f"{place} ({agency}) — {first}", *paras[1:]]

    def _credit(self, paras: list[str]) -> list[str]:
        name = self.random.choice(_NAMES)
        agency = self.random.choice(_AGENCIES)
        line = f"By {name}, {agency}"
        if self.random.random() < 0.5:
            return [line, *paras]
        return [*paras, f"({agency} reporting by {name}; editing by {self.random.choice(_NAMES)})"]

    def _boilerplate(self, paras: list[str]) -> list[str]:
        line = self.random.choice(_BOILERPLATE).format(
            year=self.random.choice((2012, 2013, 2014)),
            agency=self.random.choice(_AGENCIES),
            name=self.random.choice(_NAMES),
            day=self.random.choice(("Monday", "Tuesday", "Friday")),
        )
        return [*paras, line]

    def _trim(self, paras: list[str]) -> list[str]:
        if len(paras) < 3:
            return paras
        drop = self.random.sample(range(1, len(paras)), max(1, (len(paras) - 1) // 4))
        return [p for i, p in enumerate(paras) if i not in drop]

    def _truncate(self, paras: list[str]) -> list[str]:
        words = "\n\n".join(paras).split(" ")
        keep = max(30, int(len(words) * self.random.uniform(0.45, 0.8)))
        return paragraphs(" ".join(words[:keep]))

    def _reorder(self, paras: list[str]) -> list[str]:
        if len(paras) < 3:
            return paras
        rest = paras[1:]
        i, j = self.random.sample(range(len(rest)), 2)
        rest[i], rest[j] = rest[j], rest[i]
        return [paras[0], *rest]

    def _typos(self, paragraph: str, rate: float) -> str:
        words = paragraph.split(" ")
        for i, word in enumerate(words):
            if len(word) > 3 and self.random.random() < rate:
                at = self.random.randrange(1, len(word) - 1)
                edit = self.random.randrange(3)
                if edit == 0:
                    word = word[:at] + word[at + 1 :]
                elif edit == 1:
                    word = word[:at] + word[at] + word[at:]
                else:
                    word = word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]
                words[i] = word
        return " ".join(words)

    def _copy_edit(self, paragraph: str) -> str:
        for old, new in _COPY_EDITS:
            if old in paragraph and self.random.random() < 0.7:
                paragraph = paragraph.replace(old, new)
        return paragraph.replace('"', "“", 1).replace("'", "’")

    def _html(self, text: str) -> str:
        body = "".join(
            f"<p>{p.replace('&', '&amp;').replace('’', '&#8217;')}</p>\n" for p in paragraphs(text)
        )
        return f'<div class="article-body">\n{body}</div>'

    def _mojibake(self, text: str) -> str:
        # Smart quotes and dashes first, so there is something to damage.
        text = text.replace(" - ", " — ").replace("'", "’").replace('"', "“")
        return text.encode("utf-8").decode("cp1252", errors="replace")

    def _rewrap(self, text: str) -> str:
        width = self.random.randint(50, 80)
        out = []
        for paragraph in paragraphs(text):
            lines, line = [], ""
            for word in paragraph.split(" "):
                if line and len(line) + len(word) + 1 > width:
                    lines.append(line)
                    line = word
                else:
                    line = f"{line} {word}" if line else word
            lines.append(line)
            out.append("\n".join(lines))
        return "\n\n".join(out)

    # Rewrite simulation ------------------------------------------------------------------------

    def _reword(self, sentence: str) -> str:
        words = sentence.split(" ")
        for i, word in enumerate(words):
            bare = word.strip(".,;:!?\"“”’'").lower()
            if bare in _SYNONYMS and self.random.random() < 0.9:
                words[i] = word.lower().replace(bare, self.random.choice(_SYNONYMS[bare]))
            elif bare in _FUNCTION_WORDS and self.random.random() < 0.5:
                words[i] = word.lower().replace(bare, self.random.choice(_FUNCTION_WORDS[bare]))
            elif (
                i > 0
                and _CAPITALISED.fullmatch(word.strip(".,;:!?\"“”’'") or "-")
                and self.random.random() < 0.6
            ):
                words[i] = self._mangle(word)
        return " ".join(w for w in words if w)

    def _mangle(self, name: str) -> str:
        """Names a translation engine garbled: a vowel changed, a letter doubled or dropped."""
        letters = list(name)
        vowels = [i for i, c in enumerate(letters) if c in "aeiou" and i > 0]
        choice = self.random.randrange(3)
        if choice == 0 and vowels:
            letters[self.random.choice(vowels)] = self.random.choice("aeiouy")
        elif choice == 1 and len(letters) > 4:
            at = self.random.randrange(1, len(letters) - 1)
            letters.insert(at, letters[at])
        elif len(letters) > 5:
            del letters[self.random.randrange(2, len(letters) - 1)]
        return "".join(letters)

    def _split_merge(self, parts: list[str]) -> list[str]:
        out: list[str] = []
        for part in parts:
            if out and self.random.random() < 0.2 and out[-1].endswith("."):
                out[-1] = out[-1][:-1] + ", and " + part[:1].lower() + part[1:]
            elif ", " in part and len(part) > 120 and self.random.random() < 0.4:
                head, tail = part.split(", ", 1)
                out.extend([head + ".", tail[:1].upper() + tail[1:]])
            else:
                out.append(part)
        return out
