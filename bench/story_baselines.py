"""Reference points on the story set: what trivial clusterings score (B-cubed and pairwise).

A story stage is worth something only above these. Baselines:

- ``singletons``: every article its own story (B-cubed precision 1; recall = the share of
  distractors and the like);
- ``one per topic``: every article of a topic in one story;
- ``lead overlap``: single-link over pairs published within 48 hours whose title + lead word sets
  (``normalize_arabic``, words longer than 3 letters) have Jaccard ≥ t. The threshold is swept on
  ``dev`` and the best one is then scored once on ``test``.

    .venv/bin/python bench/story_baselines.py   # prints Markdown, writes bench/results/story_baselines.md
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Hashable
from datetime import timedelta
from pathlib import Path

from story_metrics import bcubed, pairwise
from story_set import LabelledArticle, load_story_set

from akhbar.arabic import normalize_arabic

RESULTS = Path(__file__).resolve().parent / "results" / "story_baselines.md"
WINDOW = timedelta(hours=48)
THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.3)

Clustering = Callable[[list[LabelledArticle]], dict[str, Hashable]]


def _words(article: LabelledArticle) -> set[str]:
    lead = article.article.paragraphs[0] if article.article.paragraphs else ""
    return {w for w in normalize_arabic(f"{article.article.title} {lead}").split() if len(w) > 3}


def lead_overlap(threshold: float) -> Clustering:
    def cluster(articles: list[LabelledArticle]) -> dict[str, Hashable]:
        ordered = sorted(articles, key=lambda a: a.article.fetched_at)
        words = [_words(a) for a in ordered]
        parent = list(range(len(ordered)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i, later in enumerate(ordered):
            for j in range(i - 1, -1, -1):
                if later.article.fetched_at - ordered[j].article.fetched_at > WINDOW:
                    break
                union = words[i] | words[j]
                if union and len(words[i] & words[j]) / len(union) >= threshold:
                    parent[root(i)] = root(j)
        return {a.id: root(i) for i, a in enumerate(ordered)}

    return cluster


def _row(name: str, split: str, articles: list[LabelledArticle], clustering: Clustering) -> str:
    gold = {a.id: a.event for a in articles}
    predicted = clustering(articles)
    b3, pw = bcubed(predicted, gold), pairwise(predicted, gold)
    return (
        f"| {name} | {split} | {b3.precision:.3f} | {b3.recall:.3f} | **{b3.f1:.3f}** "
        f"| {pw.precision:.3f} | {pw.recall:.3f} | {pw.f1:.3f} |"
    )


def main() -> int:
    dev, test = load_story_set("dev"), load_story_set("test")
    lines = [
        "# Story set: trivial baselines",
        "",
        f"{len(dev)} dev and {len(test)} test articles (bench/data/stories/). "
        "Rerun: `.venv/bin/python bench/story_baselines.py`.",
        "The lead-overlap threshold is chosen on dev (best B-cubed F1); test is scored once with it.",
        "",
        "| clustering | split | B³ P | B³ R | B³ F1 | pair P | pair R | pair F1 |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        _row("singletons", "dev", dev, lambda arts: {a.id: a.id for a in arts}),
        _row("one per topic", "dev", dev, lambda arts: {a.id: a.topic for a in arts}),
    ]
    best, best_f1 = THRESHOLDS[0], -1.0
    for threshold in THRESHOLDS:
        lines.append(_row(f"lead overlap ≥ {threshold}", "dev", dev, lead_overlap(threshold)))
        predicted = lead_overlap(threshold)(dev)
        f1 = bcubed(predicted, {a.id: a.event for a in dev}).f1
        if f1 > best_f1:
            best, best_f1 = threshold, f1
    lines.append(_row(f"lead overlap ≥ {best} (chosen on dev)", "test", test, lead_overlap(best)))
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
