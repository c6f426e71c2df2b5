"""Clustering scores of a predicted story assignment against gold event labels.

- B-cubed (Bagga & Baldwin 1998), per item averaged: for item ``i`` with predicted cluster ``P(i)``
  and gold cluster ``G(i)``, precision_i = |P(i) ∩ G(i)| / |P(i)| and recall_i = |P(i) ∩ G(i)| / |G(i)|;
  precision and recall are the means over all items, F1 their harmonic mean.
- Pairwise: over all unordered pairs of items, a pair is predicted positive when both items share a
  predicted cluster and gold positive when they share a gold label; precision = TP / predicted pairs,
  recall = TP / gold pairs. With no predicted (or no gold) pairs the undefined ratio is 1.0 (nothing
  claimed, nothing wrong), so an all-singletons prediction of an all-singletons gold scores 1.0.

Both take two mappings item id → label over the same ids; labels are any hashable values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

__all__ = ["Scores", "bcubed", "pairwise"]


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def __str__(self) -> str:
        return f"P={self.precision:.4f} R={self.recall:.4f} F1={self.f1:.4f}"


def _check(predicted: Mapping[str, Hashable], gold: Mapping[str, Hashable]) -> None:
    if predicted.keys() != gold.keys():
        missing, extra = gold.keys() - predicted.keys(), predicted.keys() - gold.keys()
        raise ValueError(f"predicted and gold differ in items: {len(missing)} missing, {len(extra)} extra")
    if not gold:
        raise ValueError("no items to score")


def bcubed(predicted: Mapping[str, Hashable], gold: Mapping[str, Hashable]) -> Scores:
    """B-cubed precision and recall, averaged over items."""
    _check(predicted, gold)
    cells = Counter((predicted[i], gold[i]) for i in gold)
    pred_sizes = Counter(predicted[i] for i in gold)
    gold_sizes = Counter(gold.values())
    # Every item of one (predicted, gold) cell has the same per-item scores: sum per cell.
    precision = sum(n * n / pred_sizes[p] for (p, _), n in cells.items()) / len(gold)
    recall = sum(n * n / gold_sizes[g] for (_, g), n in cells.items()) / len(gold)
    return Scores(precision, recall)


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(predicted: Mapping[str, Hashable], gold: Mapping[str, Hashable]) -> Scores:
    """Pairwise precision and recall over all unordered item pairs."""
    _check(predicted, gold)
    true_pairs = sum(_pairs(n) for n in Counter((predicted[i], gold[i]) for i in gold).values())
    pred_pairs = sum(_pairs(n) for n in Counter(predicted[i] for i in gold).values())
    gold_pairs = sum(_pairs(n) for n in Counter(gold.values()).values())
    return Scores(
        true_pairs / pred_pairs if pred_pairs else 1.0,
        true_pairs / gold_pairs if gold_pairs else 1.0,
    )
