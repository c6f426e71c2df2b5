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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "services"))

from enricher.enrich import ArticleEnricher, artifact_version  # noqa: E402
from enricher.ner import RULES_VERSION, NerTagger, corpus  # noqa: E402
from enricher.ner.rules import RulePipeline  # noqa: E402
from enricher.ner.tagger import DEFAULT_MODEL_DIR  # noqa: E402
from enricher.topics import DEFAULT_MODEL_DIR as TOPICS_DIR  # noqa: E402
from enricher.topics import TopicClassifier  # noqa: E402

FROZEN_LOG = REPO / "bench/results/ner_frozen_log.tsv"
CV_FOLDS = 5


def configure(tagger: NerTagger, args: argparse.Namespace) -> NerTagger:
    """Experiment switches: rules off, mention grouping off."""
    off = {x for x in args.rules_off.split(",") if x}
    if off:
        tagger.pipeline = RulePipeline([n for n in tagger.pipeline.names if n not in off])
    tagger.grouping = bool(args.grouping)
    return tagger


CONFIGURE: Callable[[NerTagger], NerTagger] = lambda t: t  # noqa: E731


def cross_validate(data_dir: Path, cv_dir: Path, record: bool, model_dir: Path) -> None:
    """Pooled blocked CV over the development part with kept fold models (current code and rules)."""
    devel = corpus.splits(corpus.read_conll(data_dir / "ner/train.conll"))["development"]
    k = CV_FOLDS
    folds = [f for f in range(k) if (cv_dir / f"fold{f}" / "model.crfsuite").exists()]
    topics = TopicClassifier(TOPICS_DIR).load()
    pooled = corpus.Tally()
    per_fold = []
    blocks = corpus.cv_blocks(len(devel), k)
    for f in folds:  # the folds trained so far (a partial CV says so)
        a, b = blocks[f]
        enricher = ArticleEnricher(
            CONFIGURE(NerTagger.load(cv_dir / f"fold{f}")), topics, ner_version="cv", topics_version="cv"
        )
        tally = corpus.evaluate(enricher, devel[a:b])
        for c in ("tp", "fp", "fn"):
            getattr(pooled, c).update(getattr(tally, c))
        per_fold.append(tally.scores()["ALL"]["F1"])
    res = pooled.scores()
    print(f"== blocked {k}-fold CV over the development part (rules-{RULES_VERSION}), folds {folds}, pooled")
    print(corpus.format_scores(res))
    print("per fold ALL F1: " + ", ".join(f"{x:.4f}" for x in per_fold))
    if record:
        path = model_dir / "dev_scores.json"
        report = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        report["cv_production"] = {"scores": res, "per_fold_F1": per_fold, "folds_scored": folds, "of": k}
        path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--model-dir", default=str(DEFAULT_MODEL_DIR))
    ap.add_argument("--part", choices=("dev", "frozen", "cv"), required=True)
    ap.add_argument(
        "--cv-dir", default="", help="--part cv: fold models of train_ner.py --cv-folds K --cv-keep DIR"
    )
    ap.add_argument("--record", action="store_true", help="write the scores into the model's dev_scores.json")
    ap.add_argument("--rules-off", default="", help="comma-separated rules to switch off (experiments)")
    ap.add_argument("--grouping", type=int, default=1, help="0 = no mention grouping (experiments)")
    args = ap.parse_args()
    global CONFIGURE
    CONFIGURE = lambda t: configure(t, args)  # noqa: E731
    if args.part == "cv":
        cross_validate(Path(args.data_dir), Path(args.cv_dir), args.record, Path(args.model_dir))
        return
    model_dir = Path(args.model_dir)
    sents = corpus.splits(corpus.read_conll(Path(args.data_dir) / "ner/train.conll"))[args.part]
    version = f"{artifact_version(model_dir)}+rules-{RULES_VERSION}"
    enricher = ArticleEnricher(
        CONFIGURE(NerTagger.load(model_dir)),
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
