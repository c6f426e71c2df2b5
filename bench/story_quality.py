"""Story clustering quality on the project's labelled story set (bench/data/stories, D17).

Each split's articles go through the real enricher (``ArticleEnricher``: language, NER, topics),
the indexer's own document builder (``to_document``: the canonical ``entity_keys``) and the
indexer's own story stage (:class:`indexer.stories.stage.StoryStage`) over the in-memory
CandidateSource — the same retrieval semantics as the Elasticsearch one — one article at a time in
published order; an article id already assigned keeps its story, as the indexer's lookup does
(a syndicated copy whose canonical link names the original is the same article). Scores are
B-cubed and pairwise precision/recall/F1 against the gold events (bench/story_metrics.py).

Thresholds and weights are tuned on **dev only** (``--split dev --sweep``); ``test`` is the frozen
split, scored with the shipped params.

    .venv/bin/python bench/story_quality.py                       # dev and test, shipped params
    .venv/bin/python bench/story_quality.py --split dev --sweep   # the tuning grid, dev only
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from story_metrics import Scores, bcubed, pairwise
from story_set import LabelledArticle, load_story_set

from akhbar.messages import EnrichedArticle
from enricher.enrich import ArticleEnricher
from indexer.documents import to_document
from indexer.settings import IndexerSettings
from indexer.stories.assign import Candidate
from indexer.stories.candidates import InMemoryCandidates
from indexer.stories.similarity import StoryParams
from indexer.stories.stage import StoryStage

Item = tuple[LabelledArticle, EnrichedArticle, list[str]]


class MemoryIndex:
    """The articles index of the benchmark: candidates and lookups by id, both in memory."""

    def __init__(self, k: int, window_hours: float, params: StoryParams) -> None:
        self.candidates = InMemoryCandidates(k=k, window_hours=window_hours, boosts=params.boosts)

    def stories_of(self, ids: Sequence[str]) -> dict[str, Candidate]:
        found = (self.candidates.get(i) for i in ids)
        return {c.article_id: c for c in found if c is not None}


def enrich_split(enricher: ArticleEnricher, split: str) -> list[Item]:
    items = []
    for labelled in load_story_set(split):
        enriched = enricher.enrich(labelled.article)
        items.append((labelled, enriched, list(to_document(enriched)["entity_keys"])))
    # published order (the arrival order of a live feed), ties by fetch time then label id
    items.sort(key=lambda it: (it[1].published_at or it[1].fetched_at, it[1].fetched_at, it[0].id))
    return items


def cluster(items: list[Item], params: StoryParams, *, k: int, window_hours: float) -> dict[str, str]:
    index = MemoryIndex(k, window_hours, params)
    stage = StoryStage(
        params,
        source=index.candidates,
        lookup=index,
        stories_index="bench-stories",
        k=k,
        window_hours=window_hours,
        recent_members=0,  # the memory index is always current: no unrefreshed window to cover
    )
    predicted: dict[str, str] = {}
    for labelled, article, keys in items:
        (decision,) = stage.decide([(article, keys)])
        index.candidates.add(Candidate(article.id, decision.assignment.story_id, decision.fingerprint))
        predicted[labelled.id] = decision.assignment.story_id
    return predicted


def score(items: list[Item], predicted: dict[str, str]) -> tuple[Scores, Scores]:
    gold = {labelled.id: labelled.event for labelled, _, _ in items}
    return bcubed(predicted, gold), pairwise(predicted, gold)


def _line(name: str, items: list[Item], b3: Scores, pw: Scores) -> str:
    events = len({labelled.event for labelled, _, _ in items})
    return f"{name:<5} {len(items):>4} articles {events:>4} events   B-cubed {b3}   pairwise {pw}"


def sweep(
    items: list[Item], base: StoryParams, *, k: int, window_hours: float
) -> list[tuple[float, dict[str, Any]]]:
    """A grid over the threshold, the weights, the smoothing and the half-life (dev only)."""
    results = []
    grid = itertools.product(
        (0.1, 0.12, 0.14, 0.16, 0.18, 0.2, 0.22, 0.25, 0.3),  # threshold
        ((0.3, 0.5, 0.2), (0.2, 0.6, 0.2), (0.3, 0.6, 0.1), (0.25, 0.45, 0.3), (0.4, 0.4, 0.2)),
        (1.0, 2.0, 4.0),  # smoothing
        (1, 2, 3, 4),  # min_shared_terms
        (6.0, 12.0, 24.0, 72.0),  # half_life_hours
    )
    for threshold, (wt, wx, we), smoothing, shared, half_life in grid:
        params = replace(
            base,
            threshold=threshold,
            w_title=wt,
            w_text=wx,
            w_entities=we,
            overlap_smoothing=smoothing,
            min_shared_terms=shared,
            half_life_hours=half_life,
        )
        b3, pw = score(items, cluster(items, params, k=k, window_hours=window_hours))
        config = {
            "threshold": threshold,
            "weights": {"title": wt, "text": wx, "entities": we},
            "overlap_smoothing": smoothing,
            "min_shared_terms": shared,
            "half_life_hours": half_life,
            "bcubed": str(b3),
            "pairwise": str(pw),
        }
        results.append((b3.f1, config))
    results.sort(key=lambda r: -r[0])
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "test", "both"], default="both")
    parser.add_argument("--params", type=Path, default=None, help="params JSON (default: the shipped one)")
    parser.add_argument("--sweep", action="store_true", help="tuning grid (refused on test)")
    parser.add_argument("--top", type=int, default=10, help="sweep: configurations shown")
    args = parser.parse_args()
    if args.sweep and args.split != "dev":
        parser.error("tune on dev only: --sweep needs --split dev")
    defaults = IndexerSettings()
    k, window = defaults.story_candidates, defaults.story_window_hours
    params = StoryParams.load(args.params)
    started = time.process_time()
    enricher = ArticleEnricher.load()
    splits = ["dev", "test"] if args.split == "both" else [args.split]
    data = {split: enrich_split(enricher, split) for split in splits}
    print(f"enriched in {time.process_time() - started:.1f} CPU s; K={k}, window {window:g} h")
    if args.sweep:
        for f1, config in sweep(data["dev"], params, k=k, window_hours=window)[: args.top]:
            print(f"dev B-cubed F1 {f1:.4f}  {json.dumps(config, ensure_ascii=False)}")
        return 0
    print(
        f"params: threshold {params.threshold}, weights title {params.w_title} / text {params.w_text} / "
        f"entities {params.w_entities}, smoothing {params.overlap_smoothing}, "
        f"min shared {params.min_shared_terms}, half-life {params.half_life_hours} h"
    )
    for split in splits:
        items = data[split]
        b3, pw = score(items, cluster(items, params, k=k, window_hours=window))
        label = {"dev": "dev (tuned on)", "test": "test (frozen)"}[split]
        print(_line(split, items, b3, pw) + f"   [{label}]")
    print(f"rerun: .venv/bin/python bench/story_quality.py --split {args.split}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
