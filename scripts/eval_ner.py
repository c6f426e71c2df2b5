#!/usr/bin/env python3
"""Score a NER model through production (``ArticleEnricher.enrich`` on 10-sentence documents).

Parts (``enricher/ner/corpus.py``, decision D10): ``dev`` (last 10 % of the development part) or
``frozen`` (the last sixth of train.conll, never used for a decision). For the frozen test only
aggregate scores are printed, and every run is appended to ``bench/results/ner_frozen_log.tsv``
(time, model version, scores), so how often it was looked at stays on record. ``--record`` also
writes the scores into the model's ``dev_scores.json``.

    .venv/bin/python scripts/eval_ner.py --part dev
    .venv/bin/python scripts/eval_ner.py --part frozen --record
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "services"))

from enricher.enrich import ArticleEnricher, artifact_version  # noqa: E402
from enricher.ner import RULES_VERSION, NerTagger, corpus  # noqa: E402
from enricher.ner.tagger import DEFAULT_MODEL_DIR  # noqa: E402
from enricher.topics import DEFAULT_MODEL_DIR as TOPICS_DIR  # noqa: E402
from enricher.topics import TopicClassifier  # noqa: E402

FROZEN_LOG = REPO / "bench/results/ner_frozen_log.tsv"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--model-dir", default=str(DEFAULT_MODEL_DIR))
    ap.add_argument("--part", choices=("dev", "frozen"), required=True)
    ap.add_argument("--record", action="store_true", help="write the scores into the model's dev_scores.json")
    args = ap.parse_args()
    model_dir = Path(args.model_dir)
    sents = corpus.splits(corpus.read_conll(Path(args.data_dir) / "ner/train.conll"))[args.part]
    version = f"{artifact_version(model_dir)}+rules-{RULES_VERSION}"
    enricher = ArticleEnricher(
        NerTagger.load(model_dir),
        TopicClassifier(TOPICS_DIR).load(),
        ner_version=version,
        topics_version=artifact_version(TOPICS_DIR),
    )
    t0 = time.time()
    res = corpus.evaluate(enricher, sents).scores()
    name = "frozen test" if args.part == "frozen" else "dev"
    print(f"== {name}: {len(sents)} sentences, model {version}, {time.time() - t0:.0f}s")
    print(corpus.format_scores(res))
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ")
    if args.part == "frozen":
        new = not FROZEN_LOG.exists()
        with FROZEN_LOG.open("a", encoding="utf-8") as fh:
            if new:
                fh.write("time\tmodel\tALL_F1\tPER_F1\tLOC_F1\tORG_F1\tMISC_F1\tALL_P\tALL_R\n")
            cols = [res[t]["F1"] for t in ("ALL", "PER", "LOC", "ORG", "MISC")] + [
                res["ALL"]["P"],
                res["ALL"]["R"],
            ]
            fh.write("\t".join([stamp, version, *(f"{c:.4f}" for c in cols)]) + "\n")
    if args.record:
        path = model_dir / "dev_scores.json"
        report = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        key = "frozen_test" if args.part == "frozen" else "dev_production"
        report[key] = {"scores": res, "model": version, "date": stamp, "sentences": len(sents)}
        path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
