"""Story clustering cost per article with 100, 1k and 10k live stories (synthetic articles)."""

from __future__ import annotations

import random
import statistics
import time
from collections import Counter
from typing import Annotated, Any

import typer

from service.benchmarks import bench_app
from service.models import Article
from service.pipeline.cluster import StoryIndex

_SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "de", "an", "el", "or", "us", "ba")


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))


def _articles(stories: int, per_story: int, words: int, seed: int) -> list[tuple[int, Article]]:
    """Articles drawn from a shared Zipf-ish background plus each story's own names and words."""
    rng = random.Random(seed)
    background = [_word(rng) for _ in range(5000)]
    weights = [1.0 / (rank + 1) for rank in range(len(background))]
    out: list[tuple[int, Article]] = []
    for story in range(stories):
        own = [_word(rng) + str(story) for _ in range(25)]
        names = [_word(rng).capitalize() + str(story) for _ in range(6)]
        for copy in range(per_story):
            tokens = rng.choices(background, weights, k=words)
            for i in range(0, words, 6):
                tokens[i] = rng.choice(own)
            for i in range(3, words, 15):
                tokens[i] = rng.choice(names)
            body = ". ".join(" ".join(tokens[i : i + 20]) for i in range(0, words, 20))
            article_id = f"a{story}-{copy}-{seed}"
            headline = " ".join([names[0], *own[:6]])
            out.append(
                (story, Article(article_id, article_id, 1, headline, body, "xx", article_id))
            )
    return out


def measure(live: int, words: int, probes: int) -> dict[str, Any]:
    store: dict[str, Any] = {}
    index = StoryIndex(store)
    joins = probes // 2
    # Every story drawn with enough further articles for the probes that join one: the
    # first article of each is indexed, the others are probes (the same story's own words and
    # names, so they join it; a probe from another draw would share nothing and open a story).
    extra = -(-joins // live)
    drawn = _articles(live, 1 + extra, words, seed=1)
    for _, article in drawn[:: 1 + extra]:
        index.assign_story(article, 0.0)
    built = sum(1 for key in store if key.startswith("story:"))
    later = [a for i, (_, a) in enumerate(drawn) if i % (1 + extra)]
    # Round robin over the stories (story 0's 2nd article, story 1's 2nd, ...).
    later.sort(key=lambda article: int(article.id.split("-")[1]))
    probe = later[:joins] + [a for _, a in _articles(probes - joins, 1, words, seed=3)]
    random.Random(4).shuffle(probe)
    timings = []
    events: Counter[str] = Counter()
    postings, scored = index.postings_read, index.stories_scored
    for article in probe:
        started = time.perf_counter()
        decision = index.assign_story(article, 1.0)
        timings.append(time.perf_counter() - started)
        events[decision.event] += 1
    return {
        "live": built,
        "median_us": statistics.median(timings) * 1e6,
        "p95_us": sorted(timings)[int(len(timings) * 0.95)] * 1e6,
        "store_keys": len(store),
        # Work per article: bounded by query_terms x postings and max_candidates.
        "postings_read": (index.postings_read - postings) / len(probe),
        "stories_scored": (index.stories_scored - scored) / len(probe),
        # What the timed probes did: about half must join (updated), half open (created).
        "events": events,
    }


@bench_app.command("cluster")
def cluster(
    words: Annotated[
        str, typer.Option(help="article lengths in words, comma-separated")
    ] = "40,400",
    probes: Annotated[int, typer.Option(help="articles timed per point")] = 400,
    live: Annotated[
        str, typer.Option(help="live stories per point, comma-separated")
    ] = "100,1000,10000",
) -> None:
    """Time `StoryIndex.assign_story` (dict store, one core) at 100, 1k and 10k live stories
    (or `--live`), with the work per article: postings read and candidate stories scored."""
    typer.echo(
        f"{'words':>6} {'live stories':>12} {'median us':>10} {'p95 us':>8} {'store keys':>10}"
        f" {'postings read':>13} {'scored':>7}  probes: created/joined/merged"
    )
    for length in (int(w) for w in words.split(",")):
        for stories in (int(n) for n in live.split(",")):
            result = measure(stories, length, probes)
            events = result["events"]
            typer.echo(
                f"{length:>6} {result['live']:>12} {result['median_us']:>10.0f}"
                f" {result['p95_us']:>8.0f} {result['store_keys']:>10}"
                f" {result['postings_read']:>13.0f} {result['stories_scored']:>7.1f}"
                f"  {events['created']}/{events['updated']}/{events['merged']}"
            )
