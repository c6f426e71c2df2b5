"""Enricher memory over a long run: RSS while enriching many distinct articles in one process.

A worker runs for days; its caches (NER word weights, clitic splits) must stay bounded. This
enriches ``--n`` distinct articles of ../shared/data/topics/train.jsonl (or the demo site,
repeated with numbered variants, when the corpus is absent) and prints RSS and cache sizes
every ``--every`` articles. Rerun:  .venv/bin/python bench/enricher_memory.py --n 15000
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services"))
sys.path.insert(0, str(ROOT / "bench"))

from akhbar.messages import RawArticle, article_id  # noqa: E402


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _articles(n: int):
    corpus = ROOT.parent / "shared" / "data" / "topics" / "train.jsonl"
    now = datetime(2026, 2, 4, tzinfo=UTC)
    if corpus.exists():
        with corpus.open(encoding="utf-8") as f:
            rows = (json.loads(line)["text"] for line in f)
            texts = (t.partition("\n")[::2] for t in rows)
            for i, (title, body) in enumerate(texts):
                if i >= n:
                    return
                url = f"https://bench.example.org/{i}"
                yield RawArticle(
                    id=article_id(url),
                    url=url,
                    source="bench",
                    title=title,
                    body=body,
                    fetched_at=now,
                    revision=1,
                )
    else:
        from enricher_speed import load_texts, raw_articles

        base = load_texts(50, 400)
        for i in range(n):
            title, body = base[i % len(base)]
            yield raw_articles([(f"{title} {i}", f"{body} رقم{i}")])[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=15000)
    ap.add_argument("--every", type=int, default=3000)
    args = ap.parse_args()
    from enricher.enrich import ArticleEnricher
    from enricher.language import warm_up

    enricher = ArticleEnricher.load()
    warm_up()
    tagger = enricher._tagger
    print(f"after load: RSS {_rss_mb():.0f} MB")
    peak = 0.0
    for i, art in enumerate(_articles(args.n), 1):
        enricher.enrich(art)
        if i % args.every == 0 or i == args.n:
            rss = _rss_mb()
            peak = max(peak, rss)
            print(
                f"{i:>6} articles: RSS {rss:.0f} MB; NER words cached {len(tagger._words):,}"
                f" (max {tagger.max_words:,}), clitic splits {len(tagger.fx._split_cache):,}"
            )
    print(f"peak RSS at the checkpoints: {peak:.0f} MB")


if __name__ == "__main__":
    main()
