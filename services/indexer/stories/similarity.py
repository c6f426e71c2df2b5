"""How similar an article is to one member of a story, from their fingerprints.

    similarity = decay(hours apart) * (w_title * overlap(titles)
                                       + w_text * overlap(title+lead terms)
                                       + w_entities * overlap(entity keys))

``overlap(A, B) = |A ∩ B| / (min(|A|, |B|) + s)``: an overlap coefficient (a short headline
inside a long lead still counts fully) smoothed by ``s`` so two tiny sets sharing one word do
not score 1. ``decay(h) = 0.5 ** (h / half_life_hours)``. A member sharing fewer than
``min_shared_terms`` title+lead terms outside the words of either's entity names scores 0:
entities alone (the same minister, named in two events of the same day) never make them one.
Every number lives in ``data/params.json`` (documented there); bench/story_quality.py measures
them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.stories.features import FeatureParams, Fingerprint, data_text


@dataclass(frozen=True, slots=True)
class RetrievalBoosts:
    title: float = 2.0
    lead: float = 1.0
    entity: float = 1.5


@dataclass(frozen=True, slots=True)
class StoryParams:
    """Everything tunable about stories, loaded from one JSON file."""

    features: FeatureParams
    w_title: float
    w_text: float
    w_entities: float
    overlap_smoothing: float
    min_shared_terms: int
    half_life_hours: float
    threshold: float
    boosts: RetrievalBoosts

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> StoryParams:
        weights = raw["weights"]
        params = cls(
            features=FeatureParams.from_mapping(raw),
            w_title=float(weights["title"]),
            w_text=float(weights["text"]),
            w_entities=float(weights["entities"]),
            overlap_smoothing=float(raw["overlap_smoothing"]),
            min_shared_terms=int(raw["min_shared_terms"]),
            half_life_hours=float(raw["half_life_hours"]),
            threshold=float(raw["threshold"]),
            boosts=RetrievalBoosts(**{k: float(v) for k, v in raw["retrieval_boosts"].items()}),
        )
        if min(params.w_title, params.w_text, params.w_entities, params.overlap_smoothing) < 0:
            raise ValueError("story params: weights and smoothing must be ≥ 0")
        if params.half_life_hours <= 0 or not 0 < params.threshold <= 1.5:
            raise ValueError("story params: half_life_hours must be > 0 and threshold in (0, 1.5]")
        return params

    @classmethod
    def load(cls, path: Path | None = None) -> StoryParams:
        """``path`` (AKHBAR_STORY_PARAMS_FILE), or the shipped ``indexer/stories/data/params.json``."""
        text = path.read_text(encoding="utf-8") if path is not None else data_text("params.json")
        return cls.from_mapping(json.loads(text))


def overlap(a: frozenset[str], b: frozenset[str], smoothing: float) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / (min(len(a), len(b)) + smoothing)


def decay(hours: float, half_life_hours: float) -> float:
    return float(0.5 ** (abs(hours) / half_life_hours))


def similarity(a: Fingerprint, b: Fingerprint, params: StoryParams) -> float:
    terms_a, terms_b = a.terms, b.terms
    # the gate counts only words outside the entities' names: one minister named in two events of
    # the same day shares his name's words, not the event's
    if len((terms_a & terms_b) - a.names - b.names) < params.min_shared_terms:
        return 0.0
    s = params.overlap_smoothing
    raw = (
        params.w_title * overlap(a.title, b.title, s)
        + params.w_text * overlap(terms_a, terms_b, s)
        + params.w_entities * overlap(a.entities, b.entities, s)
    )
    hours = (a.time - b.time).total_seconds() / 3600
    return raw * decay(hours, params.half_life_hours)
