"""`wirefeed eval dedup`: duplicate detection on ECB+ articles plus generated copies of them."""

from __future__ import annotations

import itertools
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from lxml import etree
from rensa import RMinHash, RMinHashLSH

from service.evaluation import ECBPLUS_CORPUS, DataOption, data_folder, eval_app, refuse
from service.evaluation.stories import label_stream
from service.evaluation.variants import NEAR_COPY_EDITS, Record, Variant, VariantMaker
from service.models import Rejected
from service.pipeline.normalise import normalise_article

_NAME = re.compile(r"(\d+)_(\d+)(ecb|ecbplus)\.xml")
_WORD = re.compile(r"\w+")
KINDS = ("exact", "version", "near_copy", "rewrite", "in_data")
# Copies already in ECB+ (the same wire story on several sites): judged by verbatim overlap,
# the share of the shorter text's 5-word shingles found in the other. At or above COPY a pair
# is a copy; between AMBIGUOUS and COPY it is partly shared text that no label fits, so one
# article of each such pair is left out of the stream (the count is printed).
COPY = 0.5
AMBIGUOUS = 0.2
MIN_WORDS = 40
START = datetime(2013, 6, 1, tzinfo=UTC).timestamp()


@dataclass(slots=True)
class Item:
    """One record of the labelled stream and its truth."""

    record: Record
    group: str
    kind: str | None
    edits: tuple[str, ...] = ()
    time: float = 0.0


@dataclass(slots=True)
class Stream:
    items: list[Item] = field(default_factory=list)
    excluded: int = 0
    # The left-out pairs that share part of their text, as (earlier, later) records.
    partial_pairs: list[tuple[Record, Record, float]] = field(default_factory=list)
    short: int = 0
    in_data_pairs: list[tuple[str, str, float]] = field(default_factory=list)


def _detokenise(tokens: list[str]) -> str:
    text = " ".join(tokens).replace("``", '"').replace("''", '"')
    text = re.sub(r" ([,.;:!?%)\]])", r"\1", text)
    text = re.sub(r"([(\[$]) ", r"\1", text)
    return re.sub(r" ('s|n't|'re|'ve|'ll|'d|'m)\b", r"\1", text)


def load_ecbplus(data: Path) -> list[dict[str, Any]]:
    """ECB+ documents as plain text: sentences joined, ecbplus's URL line dropped; the title
    is the first line of an ecbplus document when it has no full stop."""
    root = data / ECBPLUS_CORPUS
    docs = []
    for path in sorted(root.rglob("*.xml")):
        match = _NAME.fullmatch(path.name)
        if not match:
            continue
        lines: dict[int, list[str]] = defaultdict(list)
        for token in etree.parse(str(path)).getroot().iter("token"):
            lines[int(token.get("sentence", "0"))].append(token.text or "")
        sentences = [_detokenise(lines[k]) for k in sorted(lines)]
        title = None
        if match.group(3) == "ecbplus":
            sentences = sentences[1:]
            if sentences and not sentences[0].endswith((".", "!", "?", '"')):
                title, sentences = sentences[0], sentences[1:]
        docs.append(
            {
                "name": path.stem,
                "topic": int(match.group(1)),
                "event": f"{match.group(1)}_{match.group(3)}",
                "title": title,
                "sentences": sentences,
            }
        )
    return docs


def _shingles(text: str) -> set[str]:
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + 5]) for i in range(max(1, len(words) - 4))}


def find_copies_in_data(
    docs: Sequence[dict[str, Any]],
) -> tuple[list[tuple[int, int, float]], list[tuple[int, int, float]]]:
    """Every pair's verbatim overlap, brute force (the corpus is small): copies and unclear."""
    sets = [_shingles(" ".join(d["sentences"])) for d in docs]
    copies, unclear = [], []
    for i, j in itertools.combinations(range(len(docs)), 2):
        shared = len(sets[i] & sets[j])
        if not shared:
            continue
        overlap = shared / min(len(sets[i]), len(sets[j]))
        if overlap >= COPY:
            copies.append((i, j, overlap))
        elif overlap >= AMBIGUOUS:
            unclear.append((i, j, overlap))
    return copies, unclear


def _paragraphs(sentences: list[str], rng: random.Random) -> str:
    out, at = [], 0
    while at < len(sentences):
        size = rng.choice((1, 2, 2, 3))
        out.append(" ".join(sentences[at : at + size]))
        at += size
    return "\n\n".join(out)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat()


def build_stream(docs: list[dict[str, Any]], seed: int) -> Stream:
    """Real articles at synthetic times (an event's articles within hours of each other, all
    within the dedup horizon), each with its re-published variants a little later."""
    rng = random.Random(seed)
    maker = VariantMaker(seed)
    stream = Stream()
    kept = [d for d in docs if len(" ".join(d["sentences"]).split()) >= MIN_WORDS]
    stream.short = len(docs) - len(kept)
    copies, unclear = find_copies_in_data(kept)
    dropped: set[int] = set()
    for i, j, _ in sorted(unclear, key=lambda p: -p[2]):
        if i not in dropped and j not in dropped:
            dropped.add(j)
    stream.excluded = len(dropped)
    texts = random.Random(seed + 1)  # the main stream's draws stay as they were
    for i, j, overlap in unclear:
        pair = tuple(
            {"id": kept[k]["name"], "text": _paragraphs(kept[k]["sentences"], texts)}
            | ({"title": kept[k]["title"]} if kept[k]["title"] else {})
            for k in (i, j)
        )
        stream.partial_pairs.append((pair[0], pair[1], overlap))
    parent = list(range(len(kept)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j, overlap in copies:
        if i not in dropped and j not in dropped:
            parent[find(j)] = find(i)
            stream.in_data_pairs.append((kept[i]["name"], kept[j]["name"], overlap))
    event_time = {e: START + rng.uniform(0, 3 * 86400) for e in sorted({d["event"] for d in kept})}
    originals: list[Item] = []
    for index, doc in enumerate(kept):
        if index in dropped:
            continue
        time = event_time[doc["event"]] + rng.uniform(0, 12 * 3600)
        record: Record = {
            "id": doc["name"],
            "uri": f"urn:ecbplus:{doc['name']}",
            "version": 1,
            "text": _paragraphs(doc["sentences"], rng),
            "published": _iso(time),
            "source": "ecbplus",
        }
        if doc["title"]:
            record["title"] = doc["title"]
        originals.append(Item(record, kept[find(index)]["name"], None, time=time))
    items = list(originals)
    for original in originals:
        for variant, delay in _variants_of(original.record, maker, rng):
            time = original.time + delay
            variant.record["published"] = _iso(time)
            items.append(Item(variant.record, original.group, variant.kind, variant.edits, time))
    items.sort(key=lambda item: (item.time, item.record["id"]))
    # Within a truth group, copies that came first in the data are originals, the rest copies.
    seen: set[str] = set()
    for item in items:
        if item.kind is None and item.group in seen:
            item.kind = "in_data"
        seen.add(item.group)
    stream.items = items
    return stream


def _variants_of(
    base: Record, maker: VariantMaker, rng: random.Random
) -> Iterable[tuple[Variant, float]]:
    roll = rng.random()
    if roll < 0.45:
        for _ in range(rng.choice((1, 1, 2))):
            yield maker.near_copy(base), rng.uniform(300, 36 * 3600)
    elif roll < 0.7:
        yield maker.rewrite(base), rng.uniform(600, 36 * 3600)
    elif roll < 0.8:
        yield maker.exact(base), rng.uniform(60, 24 * 3600)
    elif roll < 0.9:
        yield maker.version(base), rng.uniform(600, 6 * 3600)


# Metrics --------------------------------------------------------------------------------------


def _groups(links: dict[str, str | None], ids: Sequence[str]) -> dict[str, str]:
    """Connected components of the copy-of links, named by a member."""
    parent = {i: i for i in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for article, target in links.items():
        if target is not None and target in parent:
            parent[find(article)] = find(target)
    return {i: find(i) for i in ids}


def _pairs(labels: Sequence[str]) -> int:
    return sum(n * (n - 1) // 2 for n in Counter(labels).values())


def pairwise_scores(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of 'same group', and the adjusted Rand index."""
    both = _pairs([f"{t}\x00{p}" for t, p in zip(truth, predicted, strict=True)])
    true_pairs, predicted_pairs = _pairs(truth), _pairs(predicted)
    precision = both / predicted_pairs if predicted_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    total = len(truth) * (len(truth) - 1) / 2
    expected = true_pairs * predicted_pairs / total if total else 0.0
    top = (true_pairs + predicted_pairs) / 2
    ari = (both - expected) / (top - expected) if top != expected else 1.0
    return {"precision": precision, "recall": recall, "f1": f1, "ari": ari, "pairs": true_pairs}


@dataclass(slots=True)
class Outcome:
    name: str
    rows: dict[str, dict[str, float]]
    hidden: int
    wrongly_hidden: int
    kinds: Counter[tuple[str, str]]
    misses: list[tuple[Item, str | None]]
    false: list[tuple[Item, str]]


def score_stream(
    stream: Stream, predicted: dict[str, tuple[str | None, str | None]], name: str
) -> Outcome:
    """Scores per kind: the stream restricted to originals plus the copies of that kind."""
    items = stream.items
    ids = [item.record["id"] for item in items]
    links = {i: predicted[i][1] for i in ids}
    groups = _groups(links, ids)
    truth_group = {item.record["id"]: item.group for item in items}
    rows = {}
    for kind in ("all", *KINDS):
        chosen = [item for item in items if kind == "all" or item.kind in (None, kind)]
        if kind != "all" and not any(item.kind == kind for item in chosen):
            continue
        truth = [item.group for item in chosen]
        guess = [groups[item.record["id"]] for item in chosen]
        rows[kind] = pairwise_scores(truth, guess) | {
            "copies": sum(item.kind is not None for item in chosen)
        }
    for edit in NEAR_COPY_EDITS:
        chosen = [item for item in items if item.kind is None or edit in item.edits]
        truth = [item.group for item in chosen]
        guess = [groups[item.record["id"]] for item in chosen]
        rows[f"  near_copy+{edit}"] = pairwise_scores(truth, guess) | {
            "copies": sum(item.kind is not None for item in chosen)
        }
    kinds: Counter[tuple[str, str]] = Counter()
    hidden = wrongly = 0
    misses: list[tuple[Item, str | None]] = []
    false: list[tuple[Item, str]] = []
    for item in items:
        guessed, target = predicted[item.record["id"]]
        kinds[(item.kind or "-", guessed or "-")] += 1
        if guessed is not None and guessed != "version" and target is not None:
            hidden += 1
            if truth_group.get(target) != item.group:
                wrongly += 1
                false.append((item, target))
        if item.kind is not None and (target is None or truth_group.get(target) != item.group):
            misses.append((item, target))
    return Outcome(name, rows, hidden, wrongly, kinds, misses, false)


def run_wirefeed(stream: Stream) -> dict[str, tuple[str | None, str | None]]:
    """Labels through `wirefeed label`'s own code path."""
    out: dict[str, tuple[str | None, str | None]] = {}
    for line in label_stream([item.record for item in stream.items]):
        target = line.get("duplicate_of") or line.get("supersedes")
        out[str(line["id"])] = (line.get("kind"), target)
    return out


def run_baseline(
    stream: Stream, threshold: float = 0.5
) -> dict[str, tuple[str | None, str | None]]:
    """Off-the-shelf MinHash LSH: 5-word shingles, estimated Jaccard >= threshold, first match."""
    lsh = RMinHashLSH(threshold, 128, 32)
    ids: list[str] = []
    digests: list[np.ndarray[Any, Any]] = []
    out: dict[str, tuple[str | None, str | None]] = {}
    for item in stream.items:
        article_id = item.record["id"]
        try:
            article = normalise_article(item.record)
        except Rejected:
            out[article_id] = (None, None)
            continue
        minhash = RMinHash(128, 42)
        minhash.update(sorted(_shingles(article.body)))
        digest = np.array(minhash.digest(), dtype=np.uint32)
        matches = sorted(
            key for key in lsh.query(minhash) if (digests[key] == digest).mean() >= threshold
        )
        if matches:
            out[article_id] = ("near_copy", ids[matches[0]])
            continue
        lsh.insert(len(ids), minhash)
        ids.append(article_id)
        digests.append(digest)
        out[article_id] = (None, None)
    return out


def _print(outcome: Outcome) -> None:
    typer.echo(f"\n{outcome.name}")
    typer.echo(f"{'kind':<26}{'copies':>7}{'pairs':>7}{'P':>8}{'R':>8}{'F1':>8}{'ARI':>8}")
    for kind, row in outcome.rows.items():
        typer.echo(
            f"{kind:<26}{int(row['copies']):>7}{int(row['pairs']):>7}{row['precision']:>8.4f}"
            f"{row['recall']:>8.4f}{row['f1']:>8.4f}{row['ari']:>8.4f}"
        )
    precision = 1 - outcome.wrongly_hidden / outcome.hidden if outcome.hidden else 1.0
    typer.echo(
        f"hidden as duplicates: {outcome.hidden}, wrongly: {outcome.wrongly_hidden} "
        f"(precision of hiding {precision:.4f})"
    )


def _print_partial(stream: Stream) -> None:
    """The pairs left out for sharing part of their text: is one a copy of the other? The
    truth is unclear, so they are not scored above; how `wirefeed label` decides each pair
    (alone, the later after the earlier) is shown instead."""
    kinds: Counter[str] = Counter()
    for first, second, _ in stream.partial_pairs:
        out = label_stream([first, second])
        linked = out[1].get("duplicate_of") == first["id"]
        kinds[str(out[1].get("kind")) if linked else "not linked"] += 1
    typer.echo(
        f"\npairs left out as partly shared text: {len(stream.partial_pairs)}; decided as a"
        f" pair, the later is linked to the earlier: {sum(kinds.values()) - kinds['not linked']}"
        f" ({', '.join(f'{kind}: {n}' for kind, n in sorted(kinds.items()))})"
    )


@eval_app.command("dedup")
def evaluate_dedup(
    data: DataOption = None,
    split: Annotated[str, typer.Option(help="dev (topics 1-22), test (23-45) or all")] = "test",
    seed: Annotated[int, typer.Option(help="seed of times and variants")] = 7,
    baseline: Annotated[bool, typer.Option(help="also score off-the-shelf MinHash LSH")] = True,
    errors: Annotated[int, typer.Option(help="print up to N misses and false duplicates")] = 0,
) -> None:
    """Pairwise P/R/F1 and ARI per duplicate kind on a labelled stream built from ECB+."""
    folder = data_folder("dedup", data, [ECBPLUS_CORPUS])
    docs = load_ecbplus(folder)
    if not docs:
        refuse("dedup", f"{folder}: no ECB+ articles in {ECBPLUS_CORPUS}")
    if split == "dev":
        docs = [d for d in docs if d["topic"] <= 22]
    elif split == "test":
        docs = [d for d in docs if d["topic"] > 22]
    stream = build_stream(docs, seed)
    counts = Counter(item.kind or "original" for item in stream.items)
    typer.echo(
        f"split {split}: {len(stream.items)} records ({dict(sorted(counts.items()))}); "
        f"ECB+ articles under {MIN_WORDS} words left out: {stream.short}; left out as partly "
        f"shared text (overlap {AMBIGUOUS}-{COPY}): {stream.excluded}; copy pairs in the data: "
        f"{len(stream.in_data_pairs)}"
    )
    outcomes = [score_stream(stream, run_wirefeed(stream), "wirefeed (label_records)")]
    if baseline:
        outcomes.append(
            score_stream(stream, run_baseline(stream), "baseline: MinHash LSH 5-shingles 0.5")
        )
    for outcome in outcomes:
        _print(outcome)
    _print_partial(stream)
    ours = outcomes[0]
    typer.echo(
        "\nkind confusion (truth -> predicted): "
        + ", ".join(f"{t}->{p}: {n}" for (t, p), n in sorted(ours.kinds.items()))
    )
    for item, target in ours.misses[:errors]:
        typer.echo(f"miss  {item.kind} {item.record['id']} edits={item.edits} linked to {target}")
    for item, target in ours.false[:errors]:
        typer.echo(f"false {item.kind} {item.record['id']} -> {target}")
