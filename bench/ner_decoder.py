"""Enricher CPU per article with the numpy CRF decoder vs python-crfsuite, side by side.

Two enrichers (same models) process the same distinct ~400-word articles in the same order,
interleaved in chunks of ``--chunk`` articles, so machine noise hits both alike; each keeps its
own caches, so both go through the same cold start. Prints CPU ms per article and the ratio
per block of ``--block`` articles, and checks that both produce identical documents.
Rerun:  .venv/bin/python bench/ner_decoder.py --n 2000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services"))
sys.path.insert(0, str(ROOT / "bench"))

from enricher_speed import load_texts, raw_articles  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--chunk", type=int, default=50)
    ap.add_argument("--block", type=int, default=500)
    args = ap.parse_args()
    from enricher.enrich import ArticleEnricher
    from enricher.language import warm_up

    arts = raw_articles(load_texts(args.n, 400))
    fast, ref = ArticleEnricher.load(), ArticleEnricher.load()
    ref._tagger.crfsuite_decoding = True
    warm_up()
    clock = time.process_time
    t_fast = t_ref = 0.0
    tot_fast = tot_ref = 0.0
    differ = 0
    print(
        f"{len(arts)} distinct articles of ~400 words; CPU ms per article (numpy decoder vs python-crfsuite)"
    )
    for k in range(0, len(arts), args.chunk):
        chunk = arts[k : k + args.chunk]
        t0 = clock()
        a = [fast.enrich(x) for x in chunk]
        t1 = clock()
        b = [ref.enrich(x) for x in chunk]
        t2 = clock()
        differ += sum(x != y for x, y in zip(a, b, strict=True))
        t_fast += t1 - t0
        t_ref += t2 - t1
        done = k + len(chunk)
        if done % args.block == 0 or done == len(arts):
            n = args.block if done % args.block == 0 else done % args.block
            print(
                f"{done:>6}: numpy {1000 * t_fast / n:6.2f} ms  crfsuite {1000 * t_ref / n:6.2f} ms"
                f"  ratio {t_fast / t_ref:.3f}  -> {n / t_fast:6.1f} vs {n / t_ref:6.1f} articles/CPU-s"
            )
            tot_fast += t_fast
            tot_ref += t_ref
            t_fast = t_ref = 0.0
    print(
        f"all: {len(arts) / tot_fast:.1f} vs {len(arts) / tot_ref:.1f} articles/CPU-s, "
        f"ratio {tot_fast / tot_ref:.3f}; documents that differ: {differ}"
    )


if __name__ == "__main__":
    main()
