"""The pure story decision: join the most similar recent story, or found a new one.

A story's similarity to an article is that of its most similar retrieved member (single link
over the top-K members a CandidateSource returns). The best story at or above the threshold is
joined; ties go to the story with the earliest member, then the smallest story id, so the same
candidates always give the same answer. Otherwise the article founds a story whose id is
:func:`founding_story_id` of its own id: a replay of the founder founds the same story.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from indexer.stories.features import Fingerprint
from indexer.stories.similarity import StoryParams, similarity


@dataclass(frozen=True, slots=True)
class Candidate:
    """A member of a story as retrieved: its article id, story id and stored fingerprint."""

    article_id: str
    story_id: str
    fingerprint: Fingerprint


@dataclass(frozen=True, slots=True)
class Assignment:
    story_id: str
    score: float  # similarity to the story joined; 0.0 for a founder
    founded: bool
    via: str | None = None  # the member that decided it


def founding_story_id(article_id: str) -> str:
    """A story is named after the article that founded it (its first article)."""
    return article_id


def assign(
    article_id: str, fingerprint: Fingerprint, candidates: Sequence[Candidate], params: StoryParams
) -> Assignment:
    best: dict[str, tuple[float, datetime, str]] = {}  # story → (score, earliest member time, via)
    for c in candidates:
        if c.article_id == article_id:
            continue
        score = similarity(fingerprint, c.fingerprint, params)
        seen = best.get(c.story_id)
        if seen is None:
            best[c.story_id] = (score, c.fingerprint.time, c.article_id)
            continue
        top, earliest, via = seen
        if score > top:
            top, via = score, c.article_id
        best[c.story_id] = (top, min(earliest, c.fingerprint.time), via)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[1][1], kv[0]))
    if ranked and ranked[0][1][0] >= params.threshold:
        story_id, (score, _, via) = ranked[0]
        return Assignment(story_id=story_id, score=score, founded=False, via=via)
    return Assignment(story_id=founding_story_id(article_id), score=0.0, founded=True)
