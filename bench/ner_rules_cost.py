"""CPU cost of the list and title rule passes (places, organisations, title + body + name; since
rules v4 also stadiums, city clubs and quoted names; since rules v5 the relative's-noun passes).

Two taggers in one process, one with those passes switched off, run on the same articles in
alternating order (the first of a pair is measured slower); a null run (both taggers complete)
shows the noise floor (passes are switched off by leaving them out of the rule pipeline).
Run: ``.venv/bin/python bench/ner_rules_cost.py --n 600``.
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

from enricher.ner import NerTagger  # noqa: E402
from enricher.ner.rules import RulePipeline  # noqa: E402


def compare(docs: list[tuple[str, str]], off: tuple[str, ...]) -> tuple[float, float, int]:
    full, reduced = NerTagger.load(), NerTagger.load()
    reduced.pipeline = RulePipeline([n for n in full.pipeline.names if n not in off])
    for d in docs[:100]:  # warm both caches
        full.article_entities(*d)
        reduced.article_entities(*d)
    clock = time.process_time
    t_full = t_red = 0.0
    differ = 0
    for rep in range(2):
        for k, d in enumerate(docs):
            first, second = (full, reduced) if (rep + k) % 2 else (reduced, full)
            a = clock()
            r1 = first.article_entities(*d)
            b = clock()
            r2 = second.article_entities(*d)
            c = clock()
            if first is full:
                t_full, t_red = t_full + b - a, t_red + c - b
            else:
                t_red, t_full = t_red + b - a, t_full + c - b
            differ += rep == 0 and r1 != r2
    return t_full, t_red, differ


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--skip", type=int, default=20000)
    args = ap.parse_args()
    docs: list[tuple[str, str]] = []
    with open(Path(args.data_dir) / "topics/train.jsonl", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i < args.skip:
                continue
            title, _, body = (json.loads(line).get("text") or "").partition("\n")
            docs.append((title, body))
            if len(docs) >= args.n:
                break
    runs: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("null (both complete)", ()),
        ("rules v3 passes off", ("places", "organisations", "title_body_name")),
        (
            "v3 + v4 passes off",
            ("places", "organisations", "title_body_name", "venues", "city_clubs", "quoted_names"),
        ),
        (
            "v3 + v4 + v5 passes off",
            (
                "places",
                "organisations",
                "title_body_name",
                "venues",
                "city_clubs",
                "quoted_names",
                "trim_relatives",
                "relative_names",
            ),
        ),
    )
    for label, off in runs:
        t_full, t_red, differ = compare(docs, off)
        n = 2 * len(docs)
        print(
            f"{label:24}: complete {1000 * t_full / n:.3f} ms/article, reduced {1000 * t_red / n:.3f} ms, "
            f"ratio {t_full / t_red:.3f}; articles whose entities differ: {differ} of {len(docs)}"
        )


if __name__ == "__main__":
    main()
