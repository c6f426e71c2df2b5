"""The story stage of the indexer's batch path: one story id per article, and its story's upsert.

Per batch, before the bulk (D17):

1. every article's fingerprint (:mod:`indexer.stories.features`);
2. an article this process assigned recently keeps that story; the others are looked up by id with
   one realtime ``mget`` on the target index and the read alias: an article already indexed keeps
   its ``story_id`` (re-delivery, replay, and a reindex carrying ids over from the index readers use);
3. the rest get their candidates in one ``msearch`` (:class:`ElasticsearchCandidates`), merged with
   this process's window of recent assignments (:class:`InMemoryCandidates`: what ES has not
   refreshed yet), and are decided in batch order by :func:`indexer.stories.assign.assign`, each
   decision added to the window before the next, so a burst of copies in one batch is one story.

Errors from Elasticsearch are :class:`~akhbar.errors.SearchUnavailable`: the batch is kept and
retried like a failed bulk; a decision once made for a pending article is kept across retries.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch import ConnectionError as ESConnectionError
from prometheus_client import Counter

from akhbar.errors import SearchUnavailable
from akhbar.messages import EnrichedArticle, RawArticle
from indexer.stories.assign import Assignment, Candidate, assign
from indexer.stories.candidates import (
    CandidateSource,
    ElasticsearchCandidates,
    InMemoryCandidates,
    candidate_from_source,
)
from indexer.stories.features import FeatureExtractor, Fingerprint
from indexer.stories.similarity import StoryParams
from indexer.stories.story_index import Member, utc_text

log = logging.getLogger(__name__)

ASSIGNED = Counter(
    "akhbar_indexer_story_assignments_total",
    "Story decisions, by kind (joined, founded, kept: already had a story)",
    ["kind"],
)

_LOOKUP_FIELDS = [
    "id",
    "story_id",
    "story_terms",
    "story_title_terms",
    "story_names",
    "entity_keys",
    "story_time",
]


@dataclass(frozen=True, slots=True)
class StoryDecision:
    """What the stage decided for one article: its story fields and its story's update."""

    assignment: Assignment
    fingerprint: Fingerprint
    kept: bool

    def document_fields(self) -> dict[str, Any]:
        """Added to the article document (``story_*`` fields of the articles mapping)."""
        return {
            "story_id": self.assignment.story_id,
            **self.fingerprint.stored(),
            "story_time": utc_text(self.fingerprint.time),
        }


class StoryLookup(Protocol):
    def stories_of(self, ids: Sequence[str]) -> dict[str, Candidate]:
        """The articles among ``ids`` that already have a story, as stored."""
        ...


class ElasticsearchLookup:
    """Realtime ``mget`` by id over the target index, then the read alias (a reindex's old index)."""

    def __init__(self, es: Elasticsearch, indices: Sequence[str]) -> None:
        self._es, self._indices = es, list(indices)

    def stories_of(self, ids: Sequence[str]) -> dict[str, Candidate]:
        if not ids:
            return {}
        docs = [{"_index": index, "_id": aid} for aid in dict.fromkeys(ids) for index in self._indices]
        try:
            answer = self._es.mget(docs=docs, source_includes=_LOOKUP_FIELDS, realtime=True).body
        except (ESConnectionError, TransportError, ApiError) as err:
            raise SearchUnavailable(f"story lookup of {len(ids)} articles failed: {err}") from err
        out: dict[str, Candidate] = {}
        for doc in answer["docs"]:
            if "error" in doc:
                reason = str(doc["error"])
                if "index_not_found" in reason:
                    continue  # a read alias not made yet
                raise SearchUnavailable(f"story lookup failed: {reason[:300]}")
            source = doc.get("_source") or {}
            if (
                doc.get("found")
                and source.get("story_id")
                and source.get("story_time")
                and doc["_id"] not in out
            ):
                out[doc["_id"]] = candidate_from_source(source)
        return out


class StoryStage:
    """The decision loop over pluggable stores: Elasticsearch in the indexer
    (:meth:`for_elasticsearch`), memory in bench/story_quality.py."""

    def __init__(
        self,
        params: StoryParams,
        *,
        source: CandidateSource,
        lookup: StoryLookup,
        stories_index: str,
        k: int,
        window_hours: float,
        recent_members: int,
        recent_seconds: float | None = None,
    ) -> None:
        self.params = params
        self.extractor = FeatureExtractor(params.features)
        self.stories_index = stories_index
        self._source, self._lookup = source, lookup
        # article id → story id of this process's latest decisions: re-reads keep their story
        self.assigned: collections.OrderedDict[str, str] = collections.OrderedDict()
        self._max_assigned = recent_members
        # candidates not yet searchable in Elasticsearch: decided or written < recent_seconds ago
        self.recent = InMemoryCandidates(
            k=k,
            window_hours=window_hours,
            boosts=params.boosts,
            max_members=recent_members,
            max_age_s=recent_seconds,
        )

    @classmethod
    def for_elasticsearch(
        cls,
        es: Elasticsearch,
        params: StoryParams,
        *,
        target_index: str,
        read_alias: str,
        stories_index: str,
        k: int,
        window_hours: float,
        recent_members: int,
        recent_seconds: float | None = None,
    ) -> StoryStage:
        indices = [target_index] if target_index == read_alias else [target_index, read_alias]
        return cls(
            params,
            source=ElasticsearchCandidates(es, indices, k=k, window_hours=window_hours, boosts=params.boosts),
            lookup=ElasticsearchLookup(es, indices),
            stories_index=stories_index,
            k=k,
            window_hours=window_hours,
            recent_members=recent_members,
            recent_seconds=recent_seconds,
        )

    def decide(self, items: Sequence[tuple[RawArticle, Sequence[str]]]) -> list[StoryDecision]:
        """Story decisions for ``(article, entity_keys)`` in batch order (``entity_keys`` as the
        document holds them)."""
        prints = [self.extractor.fingerprint(a, keys) for a, keys in items]
        self.recent.expire()
        known = self._lookup.stories_of([a.id for a, _ in items if a.id not in self.assigned])
        for candidate in known.values():  # realtime reads: maybe not searchable yet
            self._remember(candidate.article_id, candidate.story_id)
            self.recent.add(candidate)
        fresh = [i for i, (a, _) in enumerate(items) if a.id not in self.assigned]
        found = dict(zip(fresh, self._source.find([prints[i] for i in fresh]), strict=True))
        decisions: list[StoryDecision] = []
        for i, ((article, _), fp) in enumerate(zip(items, prints, strict=True)):
            held = self.assigned.get(article.id)
            if held is not None:
                result = Assignment(story_id=held, score=0.0, founded=False)
                ASSIGNED.labels("kept").inc()
            else:
                pool = {c.article_id: c for c in found.get(i, [])}
                pool.update((c.article_id, c) for c in self.recent.find_one(fp))
                result = assign(article.id, fp, list(pool.values()), self.params)
                ASSIGNED.labels("founded" if result.founded else "joined").inc()
                self.recent.add(Candidate(article.id, result.story_id, fp))
            self._remember(article.id, result.story_id)
            decisions.append(StoryDecision(result, fp, kept=held is not None))
        return decisions

    def _remember(self, article_id: str, story_id: str) -> None:
        self.assigned[article_id] = story_id
        self.assigned.move_to_end(article_id)
        while len(self.assigned) > self._max_assigned:
            self.assigned.popitem(last=False)

    def written(self, article_ids: Sequence[str]) -> None:
        """The articles' documents were acknowledged: they become searchable within one refresh
        interval, so the window keeps them ``recent_seconds`` from now."""
        self.recent.touch(article_ids)

    def member(self, article: EnrichedArticle, decision: StoryDecision, entity_keys: list[str]) -> Member:
        """What the article adds to its story's document."""
        return Member.of(article, decision.assignment.story_id, decision.fingerprint.time, entity_keys)
