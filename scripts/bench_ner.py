#!/usr/bin/env python3
"""Measure NER tagging speed on real news articles, 1 core (CPU time and wall time).

Runs ``NerTagger.article_entities`` (tokenise, features, CRF, marginals, rules,
propagation, merge) over ``--n`` articles of ``topics/train.jsonl``; the text is only
read, never stored. Reports tokens/s and articles/s (400-word equivalent).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "services"))

from enricher.ner import NerTagger, tokenize  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--skip", type=int, default=20000, help="start at this line (away from the head)")
    ap.add_argument("--model-dir", default=None, help="model directory (default: the shipped one)")
    args = ap.parse_args()
    docs = []
    with open(Path(args.data_dir) / "topics/train.jsonl", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i < args.skip:
                continue
            text = json.loads(line).get("text") or ""
            title, _, body = text.partition("\n")
            docs.append((title, body))
            if len(docs) >= args.n:
                break
    ntok = sum(len(tokenize(t)) + len(tokenize(b)) for t, b in docs)
    t_load = time.perf_counter()
    tagger = NerTagger.load(args.model_dir) if args.model_dir else NerTagger.load()
    t_load = time.perf_counter() - t_load
    for label in ("cold", "warm"):
        c0, w0 = time.process_time(), time.perf_counter()
        n_ent = sum(len(tagger.article_entities(t, b)) for t, b in docs)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        print(
            f"{label}: {len(docs)} articles, {ntok} tokens, {n_ent} entities; "
            f"{ntok / cpu:,.0f} tok/s CPU ({ntok / wall:,.0f} wall), "
            f"{ntok / cpu / 400:,.0f} 400-word articles/s/core"
        )
    print(f"load: {t_load:.2f}s")


if __name__ == "__main__":
    main()
