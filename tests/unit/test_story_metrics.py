"""B-cubed and pairwise scores on small clusterings computed by hand (bench/story_metrics.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from story_metrics import Scores, bcubed, pairwise

# gold {a,b,c} {d,e,f,g}; predicted {a,b} {c,d,e} {f,g}
GOLD = {"a": "G1", "b": "G1", "c": "G1", "d": "G2", "e": "G2", "f": "G2", "g": "G2"}
PRED = {"a": 1, "b": 1, "c": 2, "d": 2, "e": 2, "f": 3, "g": 3}


def test_bcubed_averages_per_item_precision_and_recall() -> None:
    # precision per item: a 1, b 1, c 1/3, d 2/3, e 2/3, f 1, g 1 → (17/3)/7
    # recall per item:    a 2/3, b 2/3, c 1/3, d 1/2, e 1/2, f 1/2, g 1/2 → (11/3)/7
    scores = bcubed(PRED, GOLD)
    assert scores.precision == pytest.approx(17 / 21)
    assert scores.recall == pytest.approx(11 / 21)
    assert scores.f1 == pytest.approx(187 / 294)  # 2PR/(P+R) = 2·(17·11/441)/(28/21)


def test_pairwise_counts_unordered_pairs() -> None:
    # true pairs: ab, de, fg = 3; predicted pairs: 1 + 3 + 1 = 5; gold pairs: 3 + 6 = 9
    scores = pairwise(PRED, GOLD)
    assert scores.precision == pytest.approx(3 / 5)
    assert scores.recall == pytest.approx(1 / 3)
    assert scores.f1 == pytest.approx(3 / 7)


def test_one_big_cluster_has_full_recall_and_pays_in_precision() -> None:
    gold = {"a": "x", "b": "x", "c": "x", "d": "x", "e": "y"}
    merged = dict.fromkeys(gold, "all")
    b3 = bcubed(merged, gold)
    assert (b3.precision, b3.recall) == (pytest.approx(17 / 25), 1.0)
    assert b3.f1 == pytest.approx(17 / 21)
    pw = pairwise(merged, gold)
    assert (pw.precision, pw.recall, pw.f1) == (pytest.approx(6 / 10), 1.0, pytest.approx(0.75))


def test_all_singletons_claim_no_pair() -> None:
    gold = {"a": "x", "b": "x", "c": "x", "d": "x", "e": "y"}
    alone = {item: item for item in gold}
    b3 = bcubed(alone, gold)
    assert (b3.precision, b3.recall) == (1.0, pytest.approx(2 / 5))
    pw = pairwise(alone, gold)
    assert (pw.precision, pw.recall, pw.f1) == (1.0, 0.0, 0.0)


def test_a_perfect_clustering_scores_one_whatever_the_label_names() -> None:
    renamed = {item: f"story-{label}" for item, label in GOLD.items()}
    assert bcubed(renamed, GOLD) == Scores(1.0, 1.0)
    assert pairwise(renamed, GOLD) == Scores(1.0, 1.0)
    # The same label value in both mappings means nothing across them.
    crossed = {"a": "G2", "b": "G2", "c": "G2", "d": "G1", "e": "G1", "f": "G1", "g": "G1"}
    assert bcubed(crossed, GOLD).f1 == 1.0


def test_items_must_match() -> None:
    with pytest.raises(ValueError, match="1 missing, 0 extra"):
        bcubed({k: v for k, v in PRED.items() if k != "g"}, GOLD)
    with pytest.raises(ValueError, match="no items"):
        pairwise({}, {})
