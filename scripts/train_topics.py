#!/usr/bin/env python3
"""Train Akhbar's topic classifier (reproducible; fixed seeds; ~6-12 min on one core).

    python scripts/train_topics.py [--data-dir <repo>/../shared/data] [--out services/enricher/models/topics]

Reads ``topics/train.jsonl`` (ANT) and ``topics/asnd_train.jsonl`` (ASND), maps
their labels to the taxonomy (``LABEL_MAP`` below, documented in MODEL_CARD.md),
carves a deterministic stratified dev split, filters the region-desk rows with a
word-only model (stage 1), trains word + char n-gram TF-IDF + multinomial logistic
regression (plus a dense block: tf-idf weighted mean of word2vec vectors trained on the
unlabelled text of the training part), fits the short-text stacker (over the logits and topic-lexicon
hits), short-text offsets and a softmax temperature on its out-of-fold predictions of the training part
(stage 2), reports dev scores, and writes ``vocab.json``, ``weights.npz``, ``meta.json``,
``embeddings.npz``, ``dev_report.json`` and ``MODEL_CARD.md``. The corpora are never copied.
The script re-executes itself with ``PYTHONHASHSEED=0`` (word2vec determinism; one worker).
"""

# ruff: noqa: E402, E501
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "services"))

import itertools

from akhbar.arabic import normalize_arabic
from enricher.taxonomy import ARABIC_LABELS, TOPIC_CODES, TOPICS
from enricher.topics import (
    CHAR_BODY_WORDS,
    CHAR_NGRAMS,
    FEATURE_VERSION,
    LEXICON_CODES,
    MAX_BODY_WORDS,
    TITLE_REPEAT,
    TopicClassifier,
    _tokens,
    doc_embedding,
    embedding_tokens,
    featurize_blocks,
    lexicon_digest,
    lexicon_features,
)

SEED = 20261128
DEV_FRACTION = 0.15
CARD_DATE = "2026-11-29"
W2V_BODY_WORDS = 400  # body words per document in the (unlabelled) word2vec corpus

# (dataset, raw label) -> (taxonomy code | None, kind). kind: "gold" (topical label),
# "weak" (section label used as politics evidence after filtering), "drop".
LABEL_MAP: dict[tuple[str, str], tuple[str | None, str, str]] = {
    ("ant", "politics"): ("politics", "gold", "topical desk (JawharaFM only)"),
    ("ant", "economy"): ("economy", "gold", "topical desk"),
    ("ant", "sports"): ("sports", "gold", "topical desk"),
    ("ant", "culture"): ("culture", "gold", "topical desk"),
    ("ant", "technology"): ("technology", "gold", "topical desk; includes science"),
    ("ant", "society"): ("society", "gold", "JawharaFM only: crime, accidents, protests, services"),
    ("ant", "international"): (
        "politics",
        "weak",
        "region desk, not a topic; ~88 % predicted politics out-of-fold (diplomacy, war, terrorism, "
        "elections abroad). Kept as politics unless the out-of-fold model gives another code p >= 0.6 "
        "and politics p < 0.2 (then dropped, not relabelled: those are often still political)",
    ),
    ("ant", "middle_east"): ("politics", "weak", "as international; ~95 % predicted politics out-of-fold"),
    ("ant", "local"): (
        None,
        "drop",
        "region desk (Tunisia) mixing politics, crime, strikes, education, weather; only silver "
        "health/religion rows (title rules) are taken from it",
    ),
    ("ant", "misc"): (None, "drop", "'diverse' desk: odd news, health studies, mixed; silver rows only"),
    ("asnd", "politics"): ("politics", "gold", "annotated topic"),
    ("asnd", "crime_war_conflict"): (
        "politics",
        "gold",
        "mostly war, occupation, attacks (region desks file them as politics); annotators confused it "
        "with politics (conflicting duplicates)",
    ),
    ("asnd", "human_rights_press_freedom"): (
        "politics",
        "gold",
        "detainees, trials, press freedom: political; confused with politics by annotators",
    ),
    ("asnd", "economy"): ("economy", "gold", "business-and-economy"),
    ("asnd", "sports"): ("sports", "gold", "annotated topic"),
    ("asnd", "culture"): ("culture", "gold", "art-and-entertainment"),
    ("asnd", "technology"): ("technology", "gold", "science-and-technology"),
    ("asnd", "health"): ("health", "gold", "annotated topic (only source of health)"),
    ("asnd", "religion"): ("religion", "gold", "spiritual (only source of religion)"),
    ("asnd", "education"): ("society", "gold", "education is a society topic in the taxonomy"),
    ("asnd", "environment"): (
        None,
        "drop",
        "93 posts split across wildlife, disasters, climate diplomacy: no single taxonomy code",
    ),
    ("asnd", "misc"): (None, "drop", "'others': replies to followers, greetings, mixed"),
}

# Model-selection log (2026-11-28): 3-fold CV on the filtered training part (silver rows not scored;
# short-text offsets tuned on the same out-of-fold logits) and the dev split, macro-F1 over the
# eight codes. Choices were made on CV; dev is reported alongside. Filled in by hand from
# the experiment runs (same filter, same dev rows as the shipped model; folds differ slightly
# from the final run's, so the chosen row differs a little from the final figures).
EXPERIMENTS: list[tuple[str, float, float, float, float]] = [
    # (configuration, CV all, CV ASND, dev all, dev ASND)
    ("v1: words only, balanced weights (harness re-run of the shipped v1)", 0.790, 0.589, 0.781, 0.544),
    ("+ char 2-5-grams (block weight 1.0)", 0.793, 0.623, 0.802, 0.632),
    ("+ char 3-5-grams (block weight 0.7)", 0.800, 0.617, 0.789, 0.649),
    ("+ char 2-5, stricter silver health/religion rules (train only)", 0.794, 0.631, 0.803, 0.658),
    ("+ char 2-5, square-root balanced weights (power 0.5)", 0.814, 0.631, 0.813, 0.668),
    ("+ char 3-5 (0.7), weights power 0.5", 0.821, 0.624, 0.795, 0.634),
    ("+ char 3-5 (0.7), weights power 0.5, ANT title-only copies (weight 0.5)", 0.816, 0.626, 0.834, 0.670),
    ("**+ char 3-5 (0.7), weights power 0.25 (chosen: CV tie, best CV ASND)**", 0.820, 0.637, 0.823, 0.678),
    ("  same, C = 2.5 (not taken: CV equal)", 0.820, 0.639, 0.814, 0.671),
    ("  same, C = 10 (not taken: CV +0.002, within noise)", 0.822, 0.666, 0.817, 0.648),
    # 2026-11-29 (v3): same folds and short-text offset procedure as the final run; out-of-fold
    # macro-F1 (OOF) in the CV column. Chosen on OOF.
    ("v2 as shipped (re-run of this harness)", 0.813, 0.617, 0.814, 0.686),
    ("v2, ASND rows weighted x2 (not taken)", 0.812, 0.607, 0.804, 0.663),
    ("v2 + word2vec CBOW-100 doc block (5 epochs, 49k words), weight 0.5", 0.823, 0.637, 0.838, 0.684),
    ("v2 + word2vec CBOW-100 doc block, weight 1.0", 0.811, 0.611, 0.796, 0.649),
    ("v2 + skip-gram-100 (8 epochs) doc block, weight 0.5", 0.830, 0.666, 0.825, 0.678),
    ("v2 + separate LR on the skip-gram doc vectors, logits blended (x0.25)", 0.830, 0.668, 0.811, 0.673),
    ("**v2 + skip-gram-100 block, 30k words, float16, weight 0.5 (chosen)**", 0.830, 0.643, 0.831, 0.701),
    ("  same, block weight 0.7 (not taken)", 0.827, 0.636, 0.810, 0.628),
    ("  same, ASND posts repeated 3x in the word2vec corpus (not taken)", 0.824, 0.639, 0.813, 0.648),
    ("  same, C = 10 (not taken: OOF +0.003, within noise; dev religion 0.20)", 0.833, 0.632, 0.791, 0.633),
    ("  same, C = 3 (not taken: OOF -0.003)", 0.827, 0.643, 0.835, 0.701),
]

# 2026-11-29 (v5): same folds, filter and dev rows as the final run. Columns: out-of-fold macro-F1 with
# the short-text offsets (and stacker) fitted on the same out-of-fold rows (as v3's column), OOF ASND,
# the same with the short-text adjustment cross-fitted (fitted on the other two folds' short rows:
# honest), dev, dev ASND. Chosen on OOF, ties broken by the cross-fitted score repeated over five
# random 5-way partitions of the short rows (offsets only 0.821 +- 0.004; stacker C 0.1 / power 1:
# 0.827 +- 0.001; C 1 / power 1: 0.827 +- 0.004; C 1 / power 0.5: 0.825 +- 0.002). "scaled" = the
# other model's scores rescaled to the LR logits' standard deviation before adding (a linear blend,
# which would have folded into one weight matrix). None: not measured.
EXPERIMENTS_V5: list[tuple[str, float, float | None, float, float, float | None]] = [
    ("v4 as shipped (re-run of this harness; offsets tuned in-sample)", 0.83, 0.643, 0.817, 0.831, 0.701),
    (
        "v4 + ASND-only LR (C 1.0, weights power 0.5) added to short-text logits x0.25",
        0.822,
        0.636,
        0.811,
        0.83,
        0.687,
    ),
    (
        "v4 + ASND-only LR (C 1.0, weights power 0.5) added to short-text logits x0.5",
        0.821,
        0.645,
        0.808,
        0.831,
        0.676,
    ),
    (
        "v4 + ASND-only LR (C 1.0, weights power 0.5) added to short-text logits x1.0",
        0.818,
        0.649,
        0.806,
        0.832,
        0.676,
    ),
    (
        "v4 + ASND-only LR (C 1.0, weights power 1.0) added to short-text logits x0.25",
        0.825,
        0.65,
        0.81,
        0.837,
        0.699,
    ),
    (
        "v4 + ASND-only LR (C 1.0, weights power 1.0) added to short-text logits x0.5",
        0.821,
        0.643,
        0.804,
        0.84,
        0.704,
    ),
    (
        "v4 + ASND-only LR (C 1.0, weights power 1.0) added to short-text logits x1.0",
        0.818,
        0.656,
        0.805,
        0.805,
        0.633,
    ),
    (
        "v4 + self-training: local/misc articles the fold model calls health/religion (p >= 0.5) as silver",
        0.827,
        0.633,
        0.805,
        0.82,
        0.631,
    ),
    (
        "v4 + lexicon block in the main model (log hits + short-text copies, weight 1)",
        0.807,
        0.635,
        0.8,
        0.816,
        0.637,
    ),
    ("v4 features, linear SVM C=0.1 alone (no LR)", 0.826, 0.641, 0.82, 0.831, 0.718),
    ("v4 LR + 0.25 x scaled linear SVM C=0.1", 0.826, 0.625, 0.812, 0.825, 0.641),
    ("v4 LR + 0.5 x scaled linear SVM C=0.1", 0.829, 0.627, 0.818, 0.821, 0.638),
    ("v4 LR + 1.0 x scaled linear SVM C=0.1", 0.833, 0.65, 0.823, 0.836, 0.707),
    ("v4 features, linear SVM C=0.3 alone (no LR)", 0.827, 0.646, 0.822, 0.835, 0.717),
    ("v4 LR + 0.25 x scaled linear SVM C=0.3", 0.827, 0.627, 0.819, 0.831, 0.657),
    ("v4 LR + 0.5 x scaled linear SVM C=0.3", 0.827, 0.626, 0.815, 0.827, 0.644),
    ("v4 LR + 1.0 x scaled linear SVM C=0.3", 0.828, 0.63, 0.814, 0.824, 0.641),
    ("v4 features, complement NB alpha=0.1 alone (no LR)", 0.759, 0.548, 0.759, 0.782, 0.619),
    ("v4 LR + 0.25 x scaled complement NB alpha=0.1", 0.828, 0.645, 0.811, 0.83, 0.7),
    ("v4 LR + 0.5 x scaled complement NB alpha=0.1", 0.829, 0.646, 0.824, 0.831, 0.707),
    ("v4 LR + 1.0 x scaled complement NB alpha=0.1", 0.83, 0.644, 0.816, 0.832, 0.707),
    ("v4 features, complement NB alpha=0.3 alone (no LR)", 0.751, 0.544, 0.751, 0.797, 0.606),
    ("v4 LR + 0.25 x scaled complement NB alpha=0.3", 0.828, 0.645, 0.811, 0.83, 0.7),
    ("v4 LR + 0.5 x scaled complement NB alpha=0.3", 0.829, 0.646, 0.816, 0.83, 0.7),
    ("v4 LR + 1.0 x scaled complement NB alpha=0.3", 0.83, 0.647, 0.814, 0.831, 0.707),
    ("v4 LR + 0.75 x scaled linear SVM C=0.1", 0.827, 0.627, 0.82, 0.837, 0.646),
    ("v4 LR + 1.5 x scaled linear SVM C=0.1", 0.825, 0.641, 0.816, 0.837, 0.699),
    ("v4 LR + 2.0 x scaled linear SVM C=0.1", 0.82, 0.644, 0.804, 0.837, 0.7),
    ("v4 LR + 3.0 x scaled linear SVM C=0.1", 0.816, 0.626, 0.81, 0.83, 0.696),
    ("v4 LR + 0.75 x scaled linear SVM C=0.3", 0.827, 0.626, 0.816, 0.826, 0.634),
    ("v4 LR + 1.5 x scaled linear SVM C=0.3", 0.828, 0.638, 0.818, 0.833, 0.686),
    ("v4 LR + 2.0 x scaled linear SVM C=0.3", 0.826, 0.629, 0.818, 0.83, 0.647),
    ("v4 LR + 3.0 x scaled linear SVM C=0.3", 0.825, 0.626, 0.815, 0.829, 0.675),
    ("v4, silver rows weighted x0.5", 0.822, 0.643, 0.802, 0.814, 0.637),
    ("v4, silver rows weighted x2", 0.822, 0.619, 0.806, 0.813, 0.641),
    ("v4 + title-only copies of the silver rows (post-like)", 0.826, 0.635, 0.808, 0.841, 0.666),
    ("v4, offsets averaged over 8 bootstrap resamples", 0.825, None, 0.816, 0.819, None),
    ("v4, offsets averaged over 16 half-samples", 0.822, None, 0.814, 0.819, None),
    (
        "v4 + short-text stacker on [logits] (C 0.1, weights power 0.5, no offsets)",
        0.828,
        0.653,
        0.822,
        0.844,
        0.707,
    ),
    (
        "v4 + short-text stacker on [logits] (C 0.1, weights power 0.5, then offsets)",
        0.835,
        0.65,
        0.807,
        0.842,
        0.667,
    ),
    (
        "v4 + short-text stacker on [logits] (C 0.1, weights power 1.0, no offsets)",
        0.79,
        0.589,
        0.781,
        0.813,
        0.639,
    ),
    (
        "v4 + short-text stacker on [logits] (C 0.1, weights power 1.0, then offsets)",
        0.834,
        0.652,
        0.819,
        0.836,
        0.663,
    ),
    (
        "v4 + short-text stacker on [logits] (C 1.0, weights power 0.5, no offsets)",
        0.827,
        0.651,
        0.817,
        0.841,
        0.704,
    ),
    (
        "v4 + short-text stacker on [logits] (C 1.0, weights power 0.5, then offsets)",
        0.831,
        0.634,
        0.804,
        0.817,
        0.63,
    ),
    (
        "v4 + short-text stacker on [logits] (C 1.0, weights power 1.0, no offsets)",
        0.792,
        0.591,
        0.779,
        0.811,
        0.624,
    ),
    (
        "v4 + short-text stacker on [logits] (C 1.0, weights power 1.0, then offsets)",
        0.832,
        0.644,
        0.816,
        0.827,
        0.66,
    ),
    (
        "v4 + short-text stacker on [logits, lexicon hits] (C 0.1, weights power 0.5, no offsets)",
        0.831,
        0.658,
        0.82,
        0.833,
        0.702,
    ),
    (
        "v4 + short-text stacker on [logits, lexicon hits] (C 0.1, weights power 0.5, then offsets)",
        0.84,
        0.647,
        0.822,
        0.835,
        0.664,
    ),
    (
        "v4 + short-text stacker on [logits, lexicon hits] (C 0.1, weights power 1.0, no offsets)",
        0.801,
        0.605,
        0.792,
        0.825,
        0.639,
    ),
    (
        "**v4 + short-text stacker on [logits, lexicon hits] (C 0.1, weights power 1.0, then offsets) (chosen)**",
        0.841,
        0.664,
        0.823,
        0.841,
        0.671,
    ),
    (
        "v4 + short-text stacker on [logits, lexicon hits] (C 1.0, weights power 0.5, no offsets)",
        0.831,
        0.666,
        0.819,
        0.822,
        0.681,
    ),
    (
        "v4 + short-text stacker on [logits, lexicon hits] (C 1.0, weights power 0.5, then offsets)",
        0.841,
        0.654,
        0.825,
        0.827,
        0.659,
    ),
    (
        "v4 + short-text stacker on [logits, lexicon hits] (C 1.0, weights power 1.0, no offsets)",
        0.799,
        0.601,
        0.79,
        0.818,
        0.626,
    ),
    (
        "v4 + short-text stacker on [logits, lexicon hits] (C 1.0, weights power 1.0, then offsets)",
        0.841,
        0.66,
        0.825,
        0.831,
        0.666,
    ),
    (
        "  same + economy / society (education) lexicons in the stacker (not taken: OOF tie, cross-fit 5x 0.825 +- 0.002)",
        0.841,
        0.684,
        0.822,
        0.838,
        0.699,
    ),
]

WEAK_FILTER_OTHER = 0.6
WEAK_FILTER_POLITICS = 0.2

# Silver labels: ANT has no health / religion desk, so articles of the non-topical desks
# (local, misc, international, middle_east) whose *title* matches exactly one of these
# high-precision patterns (after akhbar.arabic normalisation) are used as training rows of
# that code. Train split only; silver dev rows are reported apart, never in the main metric.
SILVER_FROM = frozenset({"local", "misc", "international", "middle_east"})
SILVER_RULES: dict[str, re.Pattern[str]] = {
    "health": re.compile(
        r"\bالصحه\b|منظمه الصحه|\bاطباء\b|\bالاطباء\b|\bالطبيه\b|\bمرض\b|\bامراض\b|سرطان|السكري|فيروس"
        r"|\bوباء\b|لقاح|تلقيح|تطعيم|الكوليرا|الايدز|انفلونزا|السمنه|التدخين|\bدواء\b|\bادويه\b|الادويه"
        r"|الزهايمر|\bصحيه\b|\bالصحي\b|المستشفيات|الصيادله"
    ),
    "religion": re.compile(
        r"\bالحج\b|الحجاج|\bالعمره\b|المعتمرين|\bالصيام\b|المفتي|\bفتوي|فتاوي|الازهر|الاوقاف|الشوون الدينيه"
        r"|المساجد|\bمسجد|الكنيسه|الكنائس|\bالبابا\b|الفاتيكان|صلاه الجمعه|خطب|القران|الاديان|الديني"
    ),
}
SILVER_VETO = re.compile(r"مقتل|قتلي|قتيل|شهداء|غارات|قصف|انفجار|اسعار|الاسعار")


def load(data_dir: Path) -> list[dict]:
    docs: list[dict] = []
    for dataset, name in (("ant", "train.jsonl"), ("asnd", "asnd_train.jsonl")):
        with open(data_dir / "topics" / name, encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                title, _, body = d["text"].partition("\n")
                if dataset == "asnd":  # a post has no title: use it all as body
                    title, body = "", d["text"]
                code, kind, _ = LABEL_MAP[(dataset, d["label"])]
                if dataset == "ant" and d["label"] in SILVER_FROM:
                    t = normalize_arabic(title)
                    hits = [c for c, rx in SILVER_RULES.items() if rx.search(t)]
                    if len(hits) == 1 and not SILVER_VETO.search(t):
                        code, kind = hits[0], "silver"
                docs.append(
                    {
                        "dataset": dataset,
                        "source": d["source"],
                        "raw": d["label"],
                        "id": d["id"],
                        "title": title,
                        "body": body,
                        "code": code,
                        "kind": kind,
                    }
                )
    return docs


def dev_split(docs: list[dict]) -> None:
    """15 % of every (dataset, source, raw label) stratum, after sort by id and a seeded shuffle."""
    strata: dict[tuple, list[dict]] = defaultdict(list)
    for d in docs:
        strata[(d["dataset"], d["source"], d["raw"])].append(d)
    for key in sorted(strata):
        items = sorted(strata[key], key=lambda d: d["id"])
        random.Random(f"{SEED}/{'/'.join(key)}").shuffle(items)
        n_dev = round(len(items) * DEV_FRACTION)
        for i, d in enumerate(items):
            d["split"] = "dev" if i < n_dev else "train"


def f1_table(y_true: list[str], y_pred: list[str], labels: list[str]) -> dict:
    from sklearn.metrics import precision_recall_fscore_support

    present = [c for c in labels if c in set(y_true)]
    if not present:
        return {"macro_f1": 0.0, "accuracy": 0.0, "n": 0, "labels": {}}
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=present, zero_division=0)
    per = {
        c: {
            "p": round(float(p[i]), 4),
            "r": round(float(r[i]), 4),
            "f1": round(float(f[i]), 4),
            "n": int(s[i]),
        }
        for i, c in enumerate(present)
    }
    acc = float(np.mean([a == b for a, b in zip(y_true, y_pred, strict=False)])) if y_true else 0.0
    return {
        "macro_f1": round(float(np.mean(f)) if len(f) else 0.0, 4),
        "accuracy": round(acc, 4),
        "n": len(y_true),
        "labels": per,
    }


def ece(probs: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    conf = probs.max(1)
    correct = probs.argmax(1) == y
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            total += m.mean() * abs(conf[m].mean() - correct[m].mean())
    return float(total)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    best_t, best_nll = 1.0, float("inf")
    for t in np.exp(np.linspace(np.log(0.2), np.log(5.0), 161)):
        p = softmax(logits / t)
        nll = -float(np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


SHORT_MAX_TOKENS = 50
BIAS_GRID = np.arange(-1.0, 3.01, 0.25)


def macro_f1(y: np.ndarray, pred: np.ndarray, k: int) -> float:
    fs = []
    for c in range(k):
        tp = int(np.sum((pred == c) & (y == c)))
        n_true, n_pred = int(np.sum(y == c)), int(np.sum(pred == c))
        if n_true == 0:
            continue
        fs.append(2 * tp / (n_true + n_pred) if n_true + n_pred else 0.0)
    return float(np.mean(fs)) if fs else 0.0


STACK_C = 0.1  # inverse regularisation of the short-text stacker (chosen on cross-fitted OOF)


@dataclass
class ShortAdjust:
    """Short texts (< SHORT_MAX_TOKENS tokens): stacked model over [logits, lexicon features], then offsets.

    Mirrors ``TopicClassifier.model_scores``; ``coef`` is None for the offsets-only procedure.
    """

    bias: np.ndarray
    coef: np.ndarray | None = None  # (k, k + len(LEXICON_CODES))
    intercept: np.ndarray | None = None

    def stacked(self, z: np.ndarray, docs: list[dict]) -> np.ndarray:
        if self.coef is None or self.intercept is None or not len(docs):
            return z
        return np.hstack([z, np.stack([d["lex"] for d in docs])]) @ self.coef.T + self.intercept

    def apply(self, z: np.ndarray, docs: list[dict]) -> np.ndarray:
        z = z.copy()
        m = np.array([d["ntok"] < SHORT_MAX_TOKENS for d in docs], dtype=bool)
        if m.any():
            rows = [d for d, s in zip(docs, m, strict=True) if s]
            z[m] = self.stacked(z[m], rows) + self.bias
        return z


def fit_short(z: np.ndarray, docs: list[dict], y: np.ndarray, k: int, stack: bool = True) -> ShortAdjust:
    """Fit the short-text adjustment on out-of-fold logits ``z`` of short rows ``docs`` (labels ``y``).

    Stacker: multinomial logistic regression on [logits, lexicon features] with balanced sample
    weights (C = STACK_C); then per-code offsets tuned for macro-F1 on its own outputs.
    """
    from sklearn.linear_model import LogisticRegression

    if not stack:
        return ShortAdjust(tune_bias(z, y))
    cnt = Counter(y.tolist())
    assert len(cnt) == k, "every code needs short training rows"
    w = np.array([len(y) / (k * cnt[c]) for c in y.tolist()])
    x = np.hstack([z, np.stack([d["lex"] for d in docs])])
    m = LogisticRegression(C=STACK_C, max_iter=2000, random_state=0).fit(x, y, sample_weight=w / w.mean())
    adj = ShortAdjust(np.zeros(k), m.coef_.astype(np.float64), m.intercept_.astype(np.float64))
    adj.bias = tune_bias(adj.stacked(z, docs), y)
    return adj


def tune_bias(logits: np.ndarray, y: np.ndarray, passes: int = 3) -> np.ndarray:
    """Per-class logit offsets maximising macro-F1 (coordinate ascent on a grid; ties keep 0)."""
    k = logits.shape[1]
    bias = np.zeros(k)
    for _ in range(passes):
        for c in range(k):
            best = (macro_f1(y, (logits + bias).argmax(1), k), -abs(bias[c]), bias[c])
            for v in BIAS_GRID:
                b = bias.copy()
                b[c] = v
                cand = (macro_f1(y, (logits + b).argmax(1), k), -abs(v), v)
                if cand > best:
                    best = cand
            bias[c] = best[2]
    return bias


class Vectorizer:
    """Word TF-IDF block, optionally followed by a char n-gram TF-IDF block scaled by ``char_weight``."""

    def __init__(self, args: argparse.Namespace, use_char: bool) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        def tfidf(min_df: int, max_features: int):
            return TfidfVectorizer(
                analyzer=lambda f: f,
                min_df=min_df,
                max_features=max_features,
                sublinear_tf=True,
                norm="l2",
                dtype=np.float32,
            )

        self.word = tfidf(args.min_df, args.max_features)
        self.char = tfidf(args.char_min_df, args.char_max_features) if use_char else None
        self.char_weight = args.char_weight
        # Dense document-embedding block (precomputed ``d["emb"]``), only with the char block (stage 2).
        self.emb_weight = args.emb_weight if use_char else 0.0

    def _emb(self, docs: list[dict]):
        return sp.csr_matrix(np.stack([d["emb"] for d in docs]) * self.emb_weight)

    def fit_transform(self, docs: list[dict]):
        x = self.word.fit_transform([d["feats"] for d in docs])
        if self.char is None:
            return x
        xc = self.char.fit_transform([d["cf"] for d in docs]) * self.char_weight
        blocks = [x, xc] + ([self._emb(docs)] if self.emb_weight else [])
        return sp.hstack(blocks).tocsr()

    def transform(self, docs: list[dict]):
        x = self.word.transform([d["feats"] for d in docs])
        if self.char is None:
            return x
        xc = self.char.transform([d["cf"] for d in docs]) * self.char_weight
        blocks = [x, xc] + ([self._emb(docs)] if self.emb_weight else [])
        return sp.hstack(blocks).tocsr()


class Trainer:
    def __init__(
        self,
        args: argparse.Namespace,
        classes: list[str],
        use_char: bool = True,
        weight_power: float | None = None,
    ) -> None:
        self.args = args
        self.weight_power = args.class_weight_power if weight_power is None else weight_power
        self.classes = classes
        self.cidx = {c: i for i, c in enumerate(classes)}
        self.use_char = use_char

    def weights(self, docs: list[dict]) -> np.ndarray:
        # Per class (n / (k * n_class)) ** class_weight_power: 1 = balanced, 0.25 (default, chosen
        # by CV) = small codes up-weighted, but less: fully balanced weights made health/religion
        # over-predicted on ambiguous texts). Within a class the two data sets get the class's
        # weight in proportion to sqrt(size), so ASND's short posts are not drowned by ANT articles.
        per_class_ds = Counter((d["code"], d["dataset"]) for d in docs)
        per_class = Counter(d["code"] for d in docs)
        n, k = len(docs), len(per_class)
        w = np.empty(len(docs))
        for i, d in enumerate(docs):
            c = d["code"]
            shares = {ds: np.sqrt(per_class_ds[(c, ds)]) for ds in ("ant", "asnd") if per_class_ds[(c, ds)]}
            share = shares[d["dataset"]] / sum(shares.values())
            w[i] = (
                (n / (k * per_class[c])) ** self.weight_power
                * share
                * per_class[c]
                / per_class_ds[(c, d["dataset"])]
            )
        return w * (len(docs) / w.sum())

    def fit(self, docs: list[dict]):
        from sklearn.linear_model import LogisticRegression

        vec = Vectorizer(self.args, self.use_char)
        x = vec.fit_transform(docs)
        y = np.array([self.cidx[d["code"]] for d in docs])
        clf = LogisticRegression(C=self.args.C, max_iter=200, tol=1e-3, random_state=SEED)
        clf.fit(x, y, sample_weight=self.weights(docs))
        return vec, clf

    @staticmethod
    def logits(vec, clf, docs: list[dict], short: ShortAdjust | None = None) -> np.ndarray:
        z = clf.decision_function(vec.transform(docs))
        if short is not None and len(docs):
            z = short.apply(z, docs)
        return z


def evaluate(docs: list[dict], probs: np.ndarray, classes: list[str]) -> dict:
    pred = [classes[i] for i in probs.argmax(1)]
    for d, p in zip(docs, pred, strict=False):
        d["pred"] = p
    rep: dict = {}

    def sub(name: str, sel) -> None:
        ds = [d for d in docs if sel(d)]
        rep[name] = f1_table([d["code"] for d in ds], [d["pred"] for d in ds], list(TOPIC_CODES))

    sub("all", lambda d: True)
    sub("gold_only", lambda d: d["kind"] == "gold")
    sub("region_desks_kept", lambda d: d["kind"] == "weak")
    sub("dataset:ant", lambda d: d["dataset"] == "ant")
    sub("dataset:ant_gold_only", lambda d: d["dataset"] == "ant" and d["kind"] == "gold")
    sub("dataset:asnd", lambda d: d["dataset"] == "asnd")
    for src in sorted({d["source"] for d in docs}):
        sub(f"source:{src}", lambda d, s=src: d["source"] == s)
    y = np.array([classes.index(d["code"]) for d in docs])
    rep["ece"] = round(ece(probs, y), 4)
    rep["confusion"] = {
        c: dict(Counter(d["pred"] for d in docs if d["code"] == c).most_common()) for c in classes
    }
    return rep


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "services" / "enricher" / "models" / "topics")
    ap.add_argument("--C", type=float, default=5.0)
    ap.add_argument("--min-df", type=int, default=3)
    ap.add_argument("--max-features", type=int, default=250_000)
    ap.add_argument("--class-weight-power", type=float, default=0.25)
    ap.add_argument("--char-weight", type=float, default=0.7, help="scale of the char n-gram block")
    ap.add_argument("--char-min-df", type=int, default=3)
    ap.add_argument("--char-max-features", type=int, default=300_000)
    ap.add_argument(
        "--emb-weight", type=float, default=0.5, help="scale of the word2vec document block (0: none)"
    )
    ap.add_argument("--emb-dim", type=int, default=100)
    ap.add_argument("--emb-vocab", type=int, default=30_000, help="most frequent words kept (artifact size)")
    ap.add_argument("--emb-epochs", type=int, default=8)
    ap.add_argument("--emb-window", type=int, default=5)
    ap.add_argument("--emb-min-count", type=int, default=5)
    ap.add_argument(
        "--folds", type=int, default=3, help="folds of the out-of-fold pass (filter, temperature)"
    )
    ap.add_argument("--no-write", action="store_true", help="evaluate only")
    ap.add_argument(
        "--no-stack", action="store_true", help="short texts: offsets only, no lexicon stacker (v4)"
    )
    ap.add_argument(
        "--card-only",
        action="store_true",
        help="rewrite MODEL_CARD.md from the artifact's dev_report.json and meta.json; no training",
    )
    ap.add_argument(
        "--dump-dropped",
        type=argparse.FileType("w", encoding="utf-8"),
        default=None,
        help="write the region-desk rows the filter drops (for inspection)",
    )
    args = ap.parse_args()
    if args.emb_weight <= 0:
        ap.error("--emb-weight must be > 0 (the inference code expects the embedding block)")
    if os.environ.get("PYTHONHASHSEED") != "0":  # word2vec is reproducible only with a fixed hash seed
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable, *sys.argv])
    if args.card_only:
        report = json.loads((args.out / "dev_report.json").read_text(encoding="utf-8"))
        meta = json.loads((args.out / "meta.json").read_text(encoding="utf-8"))
        sizes = {f.name: f.stat().st_size for f in sorted(args.out.iterdir()) if f.is_file()}
        (args.out / "MODEL_CARD.md").write_text(model_card(report, meta, sizes), encoding="utf-8")
        return 0
    t0 = time.time()
    random.seed(SEED)
    np.random.seed(SEED)

    docs = load(args.data_dir)
    dev_split(docs)
    # Unlabelled text of the training part (every row of the train split, dropped labels included;
    # never a dev row) for word2vec.
    corpus = []
    for d in docs:
        if d["split"] == "train":
            lead = " ".join(d["body"].split(None, W2V_BODY_WORDS)[:W2V_BODY_WORDS])
            toks = _tokens(d["title"]) + _tokens(lead)
            if toks:
                corpus.append(toks)
    docs = [d for d in docs if d["kind"] != "drop"]
    for d in docs:
        d["feats"], d["cf"], d["ntok"] = featurize_blocks(d["title"], d["body"])
        d["lex"] = lexicon_features(embedding_tokens(d["title"], d["body"]))
    emb = train_embeddings(args, corpus, [d for d in docs if d["split"] == "train"])
    print(f"word2vec: {len(corpus)} texts, {emb['vectors'].shape} kept, {time.time() - t0:.0f}s", flush=True)
    for d in docs:
        d["emb"] = doc_embedding(
            embedding_tokens(d["title"], d["body"]), emb["index"], emb["idf"], emb["vectors"]
        )
    classes = [c for c in TOPIC_CODES if any(d["code"] == c for d in docs)]
    # Stage 1 (region-desk filter) uses the word block and balanced weights, as in the first
    # version of the model, so the filtered training set and the dev set stay exactly those of that version.
    trainer = Trainer(args, classes, use_char=False, weight_power=1.0)
    print(f"loaded {len(docs)} docs in {time.time() - t0:.0f}s; classes {classes}", flush=True)

    # Out-of-fold pass over the unfiltered training part: its predictions filter the region-desk
    # (weak politics) rows.
    train_all = [d for d in docs if d["split"] == "train"]
    weak_dev_all = [d for d in docs if d["split"] == "dev" and d["kind"] == "weak"]
    rng = random.Random(SEED)
    order = list(range(len(train_all)))
    rng.shuffle(order)
    oof = np.zeros((len(train_all), len(classes)))
    weak_dev_p = np.zeros((len(weak_dev_all), len(classes)))
    for k in range(args.folds):
        hold = set(order[k :: args.folds])
        v, c = trainer.fit([d for i, d in enumerate(train_all) if i not in hold])
        ho_idx = sorted(hold)
        oof[ho_idx] = trainer.logits(v, c, [train_all[i] for i in ho_idx])
        weak_dev_p += softmax(trainer.logits(v, c, weak_dev_all)) / args.folds
        print(f"fold {k} done {time.time() - t0:.0f}s", flush=True)
    for d, lg in zip(train_all, oof, strict=False):
        d["p_filter"] = softmax(lg[None, :])[0]
    for d, p in zip(weak_dev_all, weak_dev_p, strict=False):
        d["p_filter"] = p
    pol = classes.index("politics")
    stage1: dict = {"pred_distribution": {}, "dropped": {}}
    weak_train = [d for d in train_all if d["kind"] == "weak"]
    for raw in ("international", "middle_east"):
        preds = [classes[int(d["p_filter"].argmax())] for d in weak_train if d["raw"] == raw]
        stage1["pred_distribution"][raw] = {
            k: round(v / len(preds), 4) for k, v in Counter(preds).most_common()
        }
    dropped_ids = set()
    for d in weak_train + weak_dev_all:
        p = d["p_filter"]
        if np.delete(p, pol).max() >= WEAK_FILTER_OTHER and p[pol] < WEAK_FILTER_POLITICS:
            key = f"{d['raw']}->{classes[int(p.argmax())]}"
            stage1["dropped"][key] = stage1["dropped"].get(key, 0) + 1
            dropped_ids.add(id(d))
            if args.dump_dropped:
                args.dump_dropped.write(f"{key}\t{d['source']}\t{p.max():.2f}\t{d['title'][:120]}\n")
    stage1["total"] = len(weak_train) + len(weak_dev_all)
    stage1["kept"] = stage1["total"] - len(dropped_ids)
    print("filter", json.dumps(stage1, ensure_ascii=False), f"{time.time() - t0:.0f}s", flush=True)
    keep = [i for i, d in enumerate(train_all) if id(d) not in dropped_ids]
    train = [train_all[i] for i in keep]
    y_oof = np.array([classes.index(train_all[i]["code"]) for i in keep])
    # Stage 2: out-of-fold logits of the final model type (word + char blocks) over the filtered
    # training part, same fold assignment; they tune the short-text offsets and the temperature.
    trainer = Trainer(args, classes, use_char=True)
    fold_of = {i: k for k in range(args.folds) for i in order[k :: args.folds]}
    oof = np.zeros((len(train_all), len(classes)))
    for k in range(args.folds):
        fit_rows = [train_all[i] for i in keep if fold_of[i] != k]
        ho_idx = [i for i in keep if fold_of[i] == k]
        v, c = trainer.fit(fit_rows)
        oof[ho_idx] = trainer.logits(v, c, [train_all[i] for i in ho_idx])
        print(f"stage-2 fold {k} done {time.time() - t0:.0f}s", flush=True)
    # Short texts (ASND posts; also headlines-only items in production) are re-scored by a stacker
    # over their out-of-fold logits and topic-lexicon hits, then get per-class offsets tuned for
    # macro-F1: the politics-heavy post stream otherwise starves the small codes (health, religion,
    # economy) of recall, and the lexicon carries the health/religion vocabulary that 106/54 posts
    # cannot teach the main model.
    short = np.array(
        [train_all[i]["ntok"] < SHORT_MAX_TOKENS and train_all[i]["kind"] != "silver" for i in keep]
    )
    short_rows = [train_all[i] for i, s in zip(keep, short, strict=True) if s]
    adj = fit_short(oof[keep][short], short_rows, y_oof[short], len(classes), stack=not args.no_stack)
    short_bias = adj.bias
    keep_docs = [train_all[i] for i in keep]
    oof_adj = oof.copy()
    oof_adj[keep] = adj.apply(oof[keep], keep_docs)
    print(
        "short bias",
        dict(zip(classes, short_bias.round(2).tolist(), strict=True)),
        int(short.sum()),
        flush=True,
    )
    # Honest variant: the short-text adjustment of fold k fitted on the other folds' short rows only.
    oof_xfit = oof.copy()
    keep_fold = np.array([fold_of[i] for i in keep])
    for k in range(args.folds):
        m = short & (keep_fold != k)
        a_k = fit_short(
            oof[keep][m],
            [d for d, s in zip(keep_docs, m, strict=True) if s],
            y_oof[m],
            len(classes),
            stack=not args.no_stack,
        )
        ix = [i for i, f in zip(keep, keep_fold, strict=True) if f == k]
        oof_xfit[ix] = a_k.apply(oof[ix], [train_all[i] for i in ix])
    temperature = fit_temperature(oof_adj[keep], y_oof)
    dev_all = [d for d in docs if d["split"] == "dev" and id(d) not in dropped_ids]
    dev = [d for d in dev_all if d["kind"] != "silver"]
    silver_dev = [d for d in dev_all if d["kind"] == "silver"]

    vec, clf = trainer.fit(train)
    dev_probs = softmax(trainer.logits(vec, clf, dev, adj) / temperature)
    report = evaluate(dev, dev_probs, classes)
    report["temperature"] = temperature
    report["short_bias"] = dict(zip(classes, short_bias.round(3).tolist(), strict=True))
    nb = softmax(trainer.logits(vec, clf, dev)).argmax(1)
    for name, sel in (("all", lambda d: True), ("asnd", lambda d: d["dataset"] == "asnd")):
        ix = [i for i, d in enumerate(dev) if sel(d)]
        report[f"without_short_bias:{name}"] = f1_table(
            [dev[i]["code"] for i in ix], [classes[int(nb[i])] for i in ix], list(TOPIC_CODES)
        )
    report["ece_uncalibrated"] = round(
        ece(
            softmax(trainer.logits(vec, clf, dev, adj)),
            np.array([classes.index(d["code"]) for d in dev]),
        ),
        4,
    )
    wp = softmax(trainer.logits(vec, clf, weak_dev_all, adj) / temperature).argmax(1)
    report["region_desk_dev_unfiltered_pred"] = {
        classes[k]: round(v / len(wp), 4) for k, v in Counter(wp.tolist()).most_common()
    }
    report["stage1"] = stage1
    # Out-of-fold scores on the (filtered) training part: ~6x the rows of dev, steadier for small codes.
    for prefix, zz in (("oof_train", oof_adj), ("oof_train_crossfit", oof_xfit)):
        oof_rows = [(train_all[i], zz[i]) for i in keep if train_all[i]["kind"] != "silver"]
        for name, sel in (
            ("all", lambda d: True),
            ("ant", lambda d: d["dataset"] == "ant"),
            ("asnd", lambda d: d["dataset"] == "asnd"),
        ):
            rows = [(d, lg) for d, lg in oof_rows if sel(d)]
            report[f"{prefix}:{name}"] = f1_table(
                [d["code"] for d, _ in rows], [classes[int(lg.argmax())] for _, lg in rows], list(TOPIC_CODES)
            )
    sp = softmax(trainer.logits(vec, clf, silver_dev, adj) / temperature).argmax(1)
    report["silver_dev"] = f1_table(
        [d["code"] for d in silver_dev], [classes[k] for k in sp], ["health", "religion"]
    )
    report["counts"] = {
        "train": dict(Counter(d["code"] for d in train)),
        "dev": dict(Counter(d["code"] for d in dev)),
        "train_by_dataset": {
            f"{c}/{ds}": n for (c, ds), n in sorted(Counter((d["code"], d["dataset"]) for d in train).items())
        },
    }
    print(
        json.dumps(
            {k: report[k] for k in ("all", "gold_only", "dataset:ant", "dataset:asnd")},
            ensure_ascii=False,
            indent=None,
        ),
        flush=True,
    )
    print(
        f"T={temperature:.3f} ece={report['ece']} (uncal {report['ece_uncalibrated']}) "
        f"vocab={len(vec.word.vocabulary_)}+{len(vec.char.vocabulary_)} {time.time() - t0:.0f}s",
        flush=True,
    )
    if args.no_write:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0

    write_artifact(args, vec, clf, classes, temperature, adj, report, dev, emb)
    print(f"done in {time.time() - t0:.0f}s", flush=True)
    return 0


def train_embeddings(args: argparse.Namespace, corpus: list[list[str]], train_docs: list[dict]) -> dict:
    """Skip-gram word2vec on the unlabelled training text (1 worker, fixed seed: deterministic).

    Keeps the ``--emb-vocab`` most frequent words; rows are l2-normalised and rounded to float16
    (as stored), idf = log((1 + N) / (1 + df)) + 1 over the training rows' embedding tokens.
    """
    from gensim.models import Word2Vec

    m = Word2Vec(
        corpus,
        vector_size=args.emb_dim,
        window=args.emb_window,
        min_count=args.emb_min_count,
        workers=1,
        seed=SEED,
        epochs=args.emb_epochs,
        sg=1,
        negative=5,
        sample=1e-4,
    )
    words = list(m.wv.index_to_key[: args.emb_vocab])
    v = m.wv.vectors[: len(words)].astype(np.float32)
    v16 = (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float16)
    index = {w: i for i, w in enumerate(words)}
    df: Counter = Counter()
    for d in train_docs:
        df.update({index[t] for t in embedding_tokens(d["title"], d["body"]) if t in index})
    idf = np.ones(len(words), dtype=np.float32)
    for j, n in df.items():
        idf[j] = np.log((1 + len(train_docs)) / (1 + n)) + 1
    return {
        "words": words,
        "index": index,
        "vectors16": v16,
        "vectors": v16.astype(np.float32),
        "idf": idf,
        "corpus_texts": len(corpus),
        "corpus_tokens": sum(map(len, corpus)),
        "w2v_vocab": len(m.wv),
    }


def write_artifact(args, vec, clf, classes, temperature, adj, report, dev, emb) -> None:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    blocks = {}
    for name, v in (("word", vec.word), ("char", vec.char)):
        inv = sorted(v.vocabulary_.items(), key=lambda kv: kv[1])
        assert all(i == j for j, (_, i) in enumerate(inv))
        blocks[name] = [f for f, _ in inv]
    vocab = blocks["word"] + blocks["char"]
    blocks["emb"] = emb["words"]
    (out / "vocab.json").write_text(
        json.dumps(blocks, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
    np.savez_compressed(out / "embeddings.npz", vectors=emb["vectors16"], idf=emb["idf"])
    coef = clf.coef_.T.astype(np.float32)  # (n_features, n_classes)
    np.savez_compressed(
        out / "weights.npz",
        idf=np.concatenate([vec.word.idf_, vec.char.idf_]).astype(np.float32),
        coef=coef,
        intercept=clf.intercept_.astype(np.float32),
    )
    meta = {
        "name": "akhbar-topics",
        "date": CARD_DATE,
        "feature_version": FEATURE_VERSION,
        "max_body_words": MAX_BODY_WORDS,
        "title_repeat": TITLE_REPEAT,
        "char_ngrams": list(CHAR_NGRAMS),
        "char_body_words": CHAR_BODY_WORDS,
        "char_weight": args.char_weight,
        "n_word_features": len(blocks["word"]),
        "emb_weight": args.emb_weight,
        "emb_dim": args.emb_dim,
        "n_emb_words": len(emb["words"]),
        "word2vec": {
            "algorithm": "skip-gram, negative sampling 5, subsampling 1e-4, gensim 4, 1 worker",
            "dim": args.emb_dim,
            "window": args.emb_window,
            "min_count": args.emb_min_count,
            "epochs": args.emb_epochs,
            "corpus_texts": emb["corpus_texts"],
            "corpus_tokens": emb["corpus_tokens"],
            "vocab_before_cut": emb["w2v_vocab"],
        },
        "classes": classes,
        "temperature": temperature,
        "short_max_tokens": SHORT_MAX_TOKENS,
        "short_bias": [round(float(b), 4) for b in adj.bias],
        "short_stack": None
        if adj.coef is None or adj.intercept is None
        else {
            "lexicon": list(LEXICON_CODES),
            "lexicon_digest": lexicon_digest(),
            "C": STACK_C,
            "coef": adj.coef.round(6).tolist(),
            "intercept": adj.intercept.round(6).tolist(),
        },
        "emit_threshold": 0.25,
        "n_features": len(vocab),
        "train_params": {
            "C": args.C,
            "min_df": args.min_df,
            "max_features": args.max_features,
            "class_weight_power": args.class_weight_power,
            "char_min_df": args.char_min_df,
            "char_max_features": args.char_max_features,
            "seed": SEED,
            "dev_fraction": DEV_FRACTION,
        },
        "dev_macro_f1": report["all"]["macro_f1"],
    }
    (out / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / "dev_report.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )

    # Parity: the pure-numpy inference reproduces sklearn's probabilities.
    tc = TopicClassifier(out).load()
    stack = meta["short_stack"]
    parity = ShortAdjust(
        np.array(meta["short_bias"]),
        None if stack is None else np.array(stack["coef"]),
        None if stack is None else np.array(stack["intercept"]),
    )
    probs = softmax(Trainer.logits(vec, clf, dev[:200], parity) / temperature)
    for d, p in zip(dev[:200], probs, strict=False):
        ours = tc.model_scores(d["title"], d["body"])
        assert max(abs(ours[c] - float(p[i])) for i, c in enumerate(classes)) < 1e-3, d["id"]

    report["speed"] = bench(tc, dev)
    print("speed", report["speed"], flush=True)
    sizes = {f.name: f.stat().st_size for f in sorted(out.iterdir()) if f.is_file()}
    report["artifact_bytes"] = sum(
        v for k, v in sizes.items() if k in ("vocab.json", "weights.npz", "embeddings.npz", "meta.json")
    )
    (out / "dev_report.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    (out / "MODEL_CARD.md").write_text(model_card(report, meta, sizes), encoding="utf-8")
    digest = hashlib.sha256((out / "weights.npz").read_bytes()).hexdigest()[:16]
    print(f"artifact {report['artifact_bytes'] / 1e6:.2f} MB, weights sha256 {digest}")


def bench(tc: TopicClassifier, dev: list[dict], n: int = 300, passes: int = 5) -> dict:
    """Single-thread CPU time of classify() on ~400-word articles (dev ANT bodies padded/cut to 400 words)."""
    ant = [d for d in dev if d["dataset"] == "ant"][:n]
    arts = []
    for d in ant:
        words = d["body"].split()
        while len(words) < 400:
            words += words or ["خبر"]
        arts.append((d["title"], " ".join(words[:400])))
    for t, b in arts[:20]:
        tc.classify(t, b, ["سياسة"])
    times = []  # CPU time of this (single-threaded) process; the best pass (the machine is shared)
    for _ in range(passes):
        t0 = time.process_time()
        for t, b in arts:
            tc.classify(t, b, ["سياسة"])
        times.append((time.process_time() - t0) / len(arts))
    dt = min(times)
    return {
        "ms_per_article": round(dt * 1000, 3),
        "articles_per_s": round(1 / dt),
        "words": 400,
        "n": len(arts),
    }


def _table(rep: dict, codes: list[str]) -> list[str]:
    lines = ["| label | P | R | F1 | n |", "| --- | ---: | ---: | ---: | ---: |"]
    for c in codes:
        if c in rep["labels"]:
            v = rep["labels"][c]
            lines.append(
                f"| {c} {ARABIC_LABELS[c]} | {v['p']:.3f} | {v['r']:.3f} | {v['f1']:.3f} | {v['n']} |"
            )
    lines.append(f"| **macro-F1** | | | **{rep['macro_f1']:.3f}** | {rep['n']} |")
    return lines


def model_card(report: dict, meta: dict, sizes: dict) -> str:
    codes = list(TOPIC_CODES)
    L: list[str] = []
    L += [
        "# akhbar-topics — topic classifier model card",
        "",
        f"Date: {CARD_DATE}. Written by `scripts/train_topics.py` (do not edit by hand; rerun `make train-topics`).",
        "",
        "## Taxonomy",
        "",
        "| code | Arabic | description |",
        "| --- | --- | --- |",
    ]
    L += [f"| `{t.code}` | {t.label_ar} | {t.description} |" for t in TOPICS]
    L += [
        "",
        "No catch-all class: the model always names one of the eight codes (the top label is always",
        "present); a low top score (< 0.5) is the signal that the article fits none well.",
        "`environment` and `education` were considered: education is folded into `society`; environment",
        "has 93 short posts of mixed content and no article data, so it is not a code.",
        "",
        "## Data",
        "",
        "* **ANT** (Chouigui, Ben Khiroun & Elayeb, *ANT Corpus: An Arabic News Text Collection for Textual",
        "  Classification*, AICCSA 2017; https://antcorpus.github.io): articles of JawharaFM, AlArabiya, BBC,",
        "  CNN, France24, Sky News Arabia; `shared/data/topics/train.jsonl`. Licence: citation licence (cite the",
        "  AICCSA 2017 paper / refer to the project page in any material produced with it); texts are",
        "  copyright of the outlets — research use with attribution.",
        "* **ASND** (Chowdhury et al., *Improving Arabic Text Categorization Using Transformer Training",
        "  Diversification*, WANLP 2020): Al Jazeera social-media posts with annotated topics;",
        "  `shared/data/topics/asnd_train.jsonl`. Licence: CC BY 4.0 as listed by the Masader catalogue",
        "  (the release itself states none).",
        "",
        "Only the training files are used; the maintainers' hold-outs are untouched. The corpora are read",
        "from `--data-dir` and never copied into the repository; the artifact holds only a vocabulary and",
        "weights.",
        "",
        "## Label mapping",
        "",
        "| data set | source label | → code | use | why |",
        "| --- | --- | --- | --- | --- |",
    ]
    for (ds, raw), (code, kind, why) in LABEL_MAP.items():
        L.append(f"| {ds} | {raw} | {code or '—'} | {kind} | {why} |")
    st = report["stage1"]
    L += [
        "",
        "Evidence for the region-desk decision: out-of-fold predictions (3 folds over the unfiltered training",
        "part) for ANT's region-desk articles, share by predicted code. (A first try with a model trained only on",
        "the gold rows called just 46 % of `international` politics, but inspection showed that its politics",
        "class — Tunisian politics plus short posts — did not know world politics: most of what it called",
        "economy/technology was diplomacy, sanctions, Brexit; so that filter was discarded.)",
        "",
    ]
    for raw, dist in st["pred_distribution"].items():
        L.append(f"* {raw}: " + ", ".join(f"{k} {v:.0%}" for k, v in dist.items()))
    L += [
        "",
        f"Of {st['total']} region-desk articles {st['kept']} are kept as `politics`; dropped "
        f"(out-of-fold: another code p ≥ {WEAK_FILTER_OTHER} and politics p < {WEAK_FILTER_POLITICS}): "
        + ", ".join(f"{k} {v}" for k, v in sorted(st["dropped"].items()))
        + ".",
        "The same filter applies to dev rows (decided by the average of the three fold models, none of which saw",
        "them). Predictions of the final model on *all* region-desk dev articles, unfiltered: "
        + ", ".join(f"{k} {v:.0%}" for k, v in report["region_desk_dev_unfiltered_pred"].items())
        + ".",
        "",
        "Silver rows (training only): ANT articles from local / misc / international / middle_east whose",
        "normalised title matches exactly one of the high-precision patterns `SILVER_RULES` (health: وزارة الصحة,",
        "أطباء, سرطان, لقاح, فيروس…; religion: الحج, الأزهر, المساجد, الفاتيكان, فتوى…) and none of the veto words",
        "(killed, shelling, prices) become health / religion rows, since ANT has no such desk. Silver dev rows",
        "are never in the main metric; on them the model scores "
        + ", ".join(f"{c} F1 {v['f1']:.2f} (n {v['n']})" for c, v in report["silver_dev"]["labels"].items())
        + " (circular: same rules).",
        "",
        "Training rows per code and data set: "
        + ", ".join(f"{k} {v}" for k, v in report["counts"]["train_by_dataset"].items())
        + ".",
        "",
        "## Method",
        "",
        f"* Text: title (counted {TITLE_REPEAT}×) + first {MAX_BODY_WORDS} body words, normalised with",
        "  `akhbar.arabic.normalize_arabic`, lower-cased, letter tokens of ≥ 2 characters.",
        "* Features (`enricher.topics.featurize_blocks`, `doc_embedding`), two TF-IDF blocks (sublinear tf, each block",
        "  l2-normalised) and one dense block:",
        "  (a) word unigrams, light stems (article/conjunction/preposition prefixes and common suffixes stripped),",
        f"  word bigrams; min_df {meta['train_params']['min_df']}, at most {meta['train_params']['max_features']:,}"
        f" features ({meta['n_word_features']:,} kept); (b) word-bounded character {meta['char_ngrams'][0]}–"
        f'{meta["char_ngrams"][1]}-grams (`" token "`, like scikit-learn\'s `char_wb`) of the title and the first',
        f"  {meta['char_body_words']} body tokens, min_df {meta['train_params']['char_min_df']}"
        f" ({meta['n_features'] - meta['n_word_features']:,} kept), block scaled by {meta['char_weight']}. The char block"
        " helps short posts most (clitics, spelling variants, hashtags glued to words); (c) a document embedding:"
        f" the l2-normalised `(1 + log tf)·idf`-weighted sum of unit word2vec vectors ({meta['emb_dim']} dimensions) of"
        f" the title ({TITLE_REPEAT}×) and body-lead tokens, block scaled by {meta['emb_weight']}. The vectors are"
        f" skip-gram word2vec (gensim, window {meta['word2vec']['window']}, {meta['word2vec']['epochs']} epochs,"
        f" min count {meta['word2vec']['min_count']}, negative sampling, one worker, fixed seed, PYTHONHASHSEED=0) trained"
        f" on the *unlabelled* text of the training part only ({meta['word2vec']['corpus_texts']:,} texts of every train-split"
        f" row, dropped labels included, {meta['word2vec']['corpus_tokens']:,} tokens; no dev text); the"
        f" {meta['n_emb_words']:,} most frequent of {meta['word2vec']['vocab_before_cut']:,} words are kept as float16."
        " The dense block lets the model generalise across synonyms and related words that the sparse blocks saw"
        " too rarely — what the short health / religion / economy posts need. The word2vec corpus includes the"
        " texts of the held-out folds (no labels), so out-of-fold scores share that mild transductive effect.",
        f"* Model: multinomial logistic regression (C = {meta['train_params']['C']}), sample weights per code"
        f" (n / (k·n_code))^{meta['train_params']['class_weight_power']} (1 would be fully balanced, as in v1;",
        "  fully balanced weights over-predicted health/religion on ambiguous texts, and the short-text offsets",
        "  below restore their recall where it pays), and within a code split between the data sets in",
        "  proportion to √size.",
        "* Region-desk filter (stage 1) uses the word block with fully balanced weights, exactly as in the first",
        "  version, so training and dev rows are the same as that version's; stage 2 (the final model type)",
        "  gets its own out-of-fold logits on the filtered training part (same folds).",
        f"* Calibration: softmax temperature T = {meta['temperature']:.3f} fitted on {3}-fold out-of-fold logits of",
        f"  the training part (stage 2). Dev expected calibration error (10 bins): {report['ece']:.3f}"
        f" (uncalibrated {report['ece_uncalibrated']:.3f}).",
        f"* Short texts (< {SHORT_MAX_TOKENS} word tokens: posts, headline-only items) are re-scored by a stacker"
        f" (since v5): a multinomial logistic regression (C = {STACK_C}, balanced sample weights) over the main"
        " model's logits and `log(1 + hits)` of a hand-written topic lexicon per code"
        f" ({', '.join(LEXICON_CODES)}: `enricher.topics.LEXICON`, 56 / 74 light stems, matched on the title (2×)"
        " and body lead), fitted on the out-of-fold logits of the short training rows (silver excluded); then"
        " per-code logit offsets tuned for macro-F1 by coordinate ascent on the stacker's outputs for the same"
        " rows: "
        + ", ".join(f"{c} {v:+.2f}" for c, v in report["short_bias"].items())
        + f". Dev macro-F1 without stacker and offsets: all {report['without_short_bias:all']['macro_f1']:.3f},"
        f" ASND {report['without_short_bias:asnd']['macro_f1']:.3f}. The temperature is fitted after them. The"
        " lexicon helps only at this level: as a feature block of the main model it lowered OOF to 0.807 (the"
        " silver rows, chosen by similar title rules, taught it to trust the lexicon too much; see the v5 runs).",
        "* Multi-label output: every code with combined score ≥ 0.25, the top code always. Source",
        "  sections/tags (`enricher.taxonomy.section_evidence`) add evidence by noisy-OR",
        "  `1 − (1 − p_model)(1 − w_tag)`, w = 0.9 for a topical desk (سياسة, رياضة…), 0.6 for a usually-topical",
        "  one (علوم, حوادث, رمضان), 0.35 → politics for a region desk (عربي ودولي, الشرق الأوسط); local and",
        "  generic desks (أخبار محلية, منوعات) carry no evidence.",
        "* Seeds fixed (`SEED = 20261128`); dev = 15 % of every (data set, source, raw label) stratum after",
        "  sorting by id and a seeded shuffle; the shipped model is the one trained on the train part, so the",
        "  numbers below are its own.",
        "",
        "## Dev scores (top label vs mapped gold)",
        "",
        "Calibration anchor: TF-IDF + linear SVM on ANT's ten raw labels scores macro-F1 0.79 on the held-out",
        "test; the numbers below are over taxonomy codes after the mapping, so they are not the same task.",
        "",
        "### All dev rows (ANT + ASND)",
        "",
    ]
    L += _table(report["all"], codes)
    L += ["", "### Gold rows only (region desks excluded)", ""]
    L += _table(report["gold_only"], codes)
    for name in ("dataset:ant", "dataset:asnd"):
        L += ["", f"### {name}", ""]
        L += _table(report[name], codes)
    L += [
        "",
        "### Out-of-fold on the training part (3 folds, same filtering, silver rows excluded)",
        "",
        "Steadier for the small codes than dev (health and religion have only ASND rows); the short-text",
        "stacker and offsets were fitted on these same rows, so the first three columns are somewhat",
        "optimistic; the cross-fit columns fit them on the other two folds' short rows only.",
        "",
        "| label | all F1 | ANT F1 | ASND F1 | all F1, cross-fit | ASND F1, cross-fit | n (all) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    oa, on, oz = report["oof_train:all"], report["oof_train:ant"], report["oof_train:asnd"]
    xa, xz = report["oof_train_crossfit:all"], report["oof_train_crossfit:asnd"]
    for c in codes:
        if c in oa["labels"]:
            f_ant = f"{on['labels'][c]['f1']:.3f}" if c in on["labels"] else "–"
            f_asnd = f"{oz['labels'][c]['f1']:.3f}" if c in oz["labels"] else "–"
            x_asnd = f"{xz['labels'][c]['f1']:.3f}" if c in xz["labels"] else "–"
            L.append(
                f"| {c} | {oa['labels'][c]['f1']:.3f} | {f_ant} | {f_asnd} | {xa['labels'][c]['f1']:.3f}"
                f" | {x_asnd} | {oa['labels'][c]['n']} |"
            )
    L.append(
        f"| **macro-F1** | **{oa['macro_f1']:.3f}** | {on['macro_f1']:.3f} | {oz['macro_f1']:.3f}"
        f" | {xa['macro_f1']:.3f} | {xz['macro_f1']:.3f} | {oa['n']} |"
    )
    L += [
        "",
        "### Per source",
        "",
        "| source | n | accuracy | macro-F1 (codes present) | per code F1 |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for k, v in report.items():
        if k.startswith("source:"):
            per = ", ".join(f"{c} {x['f1']:.2f}" for c, x in v["labels"].items())
            L.append(f"| {k[7:]} | {v['n']} | {v['accuracy']:.3f} | {v['macro_f1']:.3f} | {per} |")
    L += [
        "",
        "### Model selection (what was tried)",
        "",
        "3-fold CV on the filtered training part and the dev split, macro-F1 over the eight codes; choices",
        "were made on CV (dev health / religion have only 19 / 10 rows, so dev moves by ±0.02 between",
        "near-equal models). Folds of the v2 runs (first block) differ slightly from the final run's; the v3 runs",
        "(second block, CV column = out-of-fold macro-F1 with the final run's folds, filter and offset tuning) use",
        "the same. The shipped v1 scored dev 0.794 (ASND 0.607) and out-of-fold 0.793; v2 (no embedding block)",
        "dev 0.814 (ASND 0.686), out-of-fold 0.813; v4 (offsets only, no stacker) dev 0.831 (ASND 0.701),",
        "out-of-fold 0.830 (cross-fit 0.817); this version: see the tables above.",
        "",
        "| configuration | CV all | CV ASND | dev all | dev ASND |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    L += [f"| {n} | {a:.3f} | {b:.3f} | {c:.3f} | {d:.3f} |" for n, a, b, c, d in EXPERIMENTS]
    L += [
        "",
        "v5 runs (2026-11-29; same folds, filter and dev rows as the final run). *OOF*: out-of-fold macro-F1 with",
        "the short-text offsets (and stacker) fitted on those same out-of-fold rows, as in the v3 block; *OOF",
        "cross-fit*: the short-text adjustment of each fold fitted on the other two folds' short rows only (honest;",
        "the in-sample column flatters every row by ≈ 0.01–0.02). Chosen on OOF; the three stacker rows tied there",
        "(0.841) were separated by the cross-fitted score repeated over five random 5-way partitions of the short",
        "rows: offsets only 0.821 ± 0.004, stacker C 0.1 / power 1 0.827 ± 0.001, C 1 / power 1 0.827 ± 0.004,",
        "C 1 / power 0.5 0.825 ± 0.002. “scaled”: the other model's scores rescaled to the LR logits' standard",
        "deviation before adding (a linear blend that would fold into one weight matrix).",
        "",
        "| configuration | OOF | OOF ASND | OOF cross-fit | dev all | dev ASND |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]

    def _f(v: float | None) -> str:
        return "–" if v is None else f"{v:.3f}"

    L += [f"| {n} | {_f(a)} | {_f(b)} | {_f(c)} | {_f(d)} | {_f(e)} |" for n, a, b, c, d, e in EXPERIMENTS_V5]
    L += ["", "### Confusions (gold → predicted counts)", ""]
    for c, dist in report["confusion"].items():
        L.append(f"* {c}: " + ", ".join(f"{k} {v}" for k, v in dist.items()))
    L += [
        "",
        "## Limits",
        "",
        "* `health` and `religion` have gold rows only as short ASND posts (106 / 54 in training, 19 / 10 in",
        "  dev) plus keyword-selected silver ANT articles; their F1 is low (the embedding block and the short-text",
        "  stacker lifted it a little: cross-fitted OOF religion 0.38 → 0.46, health 0.67 → 0.65) and",
        "  its confidence interval wide (one dev religion row is 0.05–0.1 F1) — they",
        "  are what keeps the pooled macro-F1 below the ANT-only figure. Source tags (صحة, دين…) remain the",
        "  reliable signal for them.",
        "* ASND `society` is only `education` (40 training posts); ANT `society` is JawharaFM's desk (crime,",
        "  accidents, protests): the model's notion of society is Tunisian local news first.",
        "* `politics` of ANT comes from JawharaFM (Tunisia) and region desks; `society` from JawharaFM only —",
        "  source and label are partly confounded (see per-source rows).",
        "* Articles of 2014–2019; topics that appeared later (e.g. new technologies, epidemics) rely on",
        "  generic vocabulary.",
        "",
        "## Artifact",
        "",
        f"Speed: {report['speed']['ms_per_article']:.2f} ms per {report['speed']['words']}-word article "
        f"(≈ {report['speed']['articles_per_s']} articles/s; CPU time via `time.process_time`, best of 5 passes over"
        f" {report['speed']['n']} dev articles, one thread, including normalisation and tag lookup; measured on a shared"
        " 2-core machine, so expect ±15 %). v4 cost ≈ 5 % more than v2 (the embedding block). v5 has the same"
        " weights, vocabulary and embeddings as v4 (byte-identical files; only `meta.json` gains the stacker):"
        " timed alternately with v4 in one process (7 passes each, median CPU per article), 500 dev rows in"
        " their natural mix 1.073 vs 1.061 ms (×1.012), 500 ASND posts 0.349 vs 0.337 ms (×1.035, +0.012 ms:"
        " lexicon look-up and an 8 × 10 product, short texts only), 500 ANT articles 1.238 vs 1.229 ms.",
        "",
        "Files: "
        + ", ".join(f"`{k}` {v / 1e6:.2f} MB" for k, v in sizes.items() if k != "MODEL_CARD.md")
        + '. No pickle: JSON vocabulary `{"word": [...], "char": [...]}` (feature strings in index order; char',
        "rows follow the word rows; `emb`: the embedding words), npz arrays `idf`, `coef` ((word + char + embedding",
        "dimensions) × n_classes, float32), `intercept`; `embeddings.npz`: `vectors` (words × dimensions, float16, unit",
        "rows) and `idf` of the embedding block; `meta.json` has classes, temperature, feature version, char n-gram",
        "settings, block weights and the word2vec settings, and `short_stack` (the short-text stacker: lexicon codes,",
        "coefficients over [8 logits, lexicon features], intercepts).",
        "Inference is pure numpy (`enricher.topics.TopicClassifier`), no scikit-learn at run time.",
        "",
    ]
    return "\n".join(L)


if __name__ == "__main__":
    sys.exit(main())
