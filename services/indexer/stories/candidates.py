"""Where recent story members come from: Elasticsearch (shared by every indexer worker) or memory.

Both implementations have the same retrieval semantics, so the benchmark measures what the
service does: a member matches when it shares at least one probe term (the article's title terms
and those of its lead's first words, ``Fingerprint.probe``) with its ``story_terms`` or
canonical entity key (``entity_keys``) with the article and its ``story_time`` lies within
``window_hours`` of the article's; its retrieval score is the sum of a constant boost per shared
item (the article's title terms weigh ``boosts.title``, its other lead terms ``boosts.lead``,
entity keys ``boosts.entity``); the top ``k`` by score, then newest, then article id, are returned.
Elasticsearch ranks by score alone (so Lucene can skip what cannot make the top k): members tied
at the k-th score may differ between the two, nothing else.
"""

from __future__ import annotations

import collections
import heapq
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch import ConnectionError as ESConnectionError

from akhbar.errors import SearchUnavailable
from indexer.stories.assign import Candidate
from indexer.stories.features import Fingerprint
from indexer.stories.similarity import RetrievalBoosts


class CandidateSource(Protocol):
    def find(self, fingerprints: Sequence[Fingerprint]) -> list[list[Candidate]]:
        """For each fingerprint, its top-K recent story members (best first)."""
        ...


def _iso(when: datetime) -> str:
    return when.isoformat()


def candidate_query(
    fp: Fingerprint, *, k: int, window_hours: float, boosts: RetrievalBoosts
) -> dict[str, Any]:
    """The search body for one fingerprint (pure: asserted exactly in tests, shown in docs)."""
    should: list[dict[str, Any]] = [
        {
            "constant_score": {
                "filter": {"term": {"story_terms": term}},
                "boost": boosts.title if term in fp.title else boosts.lead,
            }
        }
        for term in sorted(fp.probe)
    ]
    should += [
        {"constant_score": {"filter": {"term": {"entity_keys": key}}, "boost": boosts.entity}}
        for key in sorted(fp.entities)
    ]
    window = timedelta(hours=window_hours)
    return {
        "size": k,
        "query": {
            "bool": {
                "should": should,
                "minimum_should_match": 1,
                "filter": [
                    {"exists": {"field": "story_id"}},
                    {"range": {"story_time": {"gte": _iso(fp.time - window), "lte": _iso(fp.time + window)}}},
                ],
            }
        },
        # by score alone, no total: Lucene can skip documents that cannot make the top k
        "track_total_hits": False,
        # doc values, not _source: a hit costs no decompression of the whole article
        "_source": False,
        "docvalue_fields": [*CANDIDATE_FIELDS[:-1], {"field": "story_time", "format": "strict_date_time"}],
    }


def _ranked(scored: list[tuple[float, Candidate]], k: int) -> list[Candidate]:
    """Best first: score, then newest, then article id (the in-memory source's order)."""
    keyed = [(-score, -c.fingerprint.time.timestamp(), c.article_id, c) for score, c in scored]
    return [c for *_, c in heapq.nsmallest(k, keyed, key=lambda t: t[:3])]


CANDIDATE_FIELDS = [
    "id",
    "story_id",
    "story_terms",
    "story_title_terms",
    "story_names",
    "entity_keys",
    "story_time",
]


def candidate_from_source(source: Mapping[str, Any]) -> Candidate:
    """A member from its ``_source`` (the lookup by id)."""
    return Candidate(
        article_id=str(source["id"]),
        story_id=str(source["story_id"]),
        fingerprint=Fingerprint.from_stored(
            source, source.get("entity_keys") or (), datetime.fromisoformat(str(source["story_time"]))
        ),
    )


def candidate_from_fields(fields: Mapping[str, list[Any]]) -> Candidate:
    """A member from a search hit's doc values (every value a list)."""
    return Candidate(
        article_id=str(fields["id"][0]),
        story_id=str(fields["story_id"][0]),
        fingerprint=Fingerprint.from_stored(
            fields, fields.get("entity_keys") or (), datetime.fromisoformat(str(fields["story_time"][0]))
        ),
    )


class ElasticsearchCandidates:
    """One ``msearch`` per batch over the articles index (or indices) named by ``index``.

    The first search of a process refreshes those indices first: what an earlier run (a restart,
    a rebalance's previous owner) wrote in its last refresh interval is then searchable, and only
    concurrent workers can miss each other's newest writes (D17 bounds that race).
    """

    def __init__(
        self,
        es: Elasticsearch,
        index: str | Sequence[str],
        *,
        k: int,
        window_hours: float,
        boosts: RetrievalBoosts,
    ) -> None:
        self._es = es
        self._index = index if isinstance(index, str) else ",".join(index)
        self._k, self._window_hours, self._boosts = k, window_hours, boosts
        self._refreshed = False

    def find(self, fingerprints: Sequence[Fingerprint]) -> list[list[Candidate]]:
        if not fingerprints:
            return []
        if not self._refreshed:
            try:
                self._es.indices.refresh(index=self._index, ignore_unavailable=True, allow_no_indices=True)
            except (ESConnectionError, TransportError, ApiError) as err:
                raise SearchUnavailable(f"refresh before the first story search failed: {err}") from err
            self._refreshed = True
        searches: list[dict[str, Any]] = []
        for fp in fingerprints:
            searches.append({"index": self._index, "ignore_unavailable": True, "allow_no_indices": True})
            searches.append(
                candidate_query(fp, k=self._k, window_hours=self._window_hours, boosts=self._boosts)
            )
        try:
            answer = self._es.msearch(searches=searches).body
        except (ESConnectionError, TransportError, ApiError) as err:
            raise SearchUnavailable(f"story candidate search failed: {err}") from err
        out: list[list[Candidate]] = []
        for response in answer["responses"]:
            if "error" in response:
                raise SearchUnavailable(f"story candidate search failed: {str(response['error'])[:300]}")
            best: dict[str, tuple[float, Candidate]] = {}
            for hit in response["hits"]["hits"]:  # a reindex searches two indices: one hit per id
                if hit["_id"] not in best:
                    best[hit["_id"]] = (float(hit["_score"]), candidate_from_fields(hit["fields"]))
            out.append(_ranked(list(best.values()), self._k))
        return out


class InMemoryCandidates:
    """The same retrieval over members held in memory: the benchmark's store and the indexer's
    window of its own recent assignments (visible before Elasticsearch refreshes). Holds at most
    ``max_members`` (the oldest added are dropped first)."""

    def __init__(
        self,
        *,
        k: int,
        window_hours: float,
        boosts: RetrievalBoosts,
        max_members: int | None = None,
        max_age_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._k, self._window, self._boosts = k, timedelta(hours=window_hours), boosts
        self._max, self._max_age_s, self._clock = max_members, max_age_s, clock
        self._added: dict[str, float] = {}  # member → when it was added (clock), for max_age_s
        self._members: collections.OrderedDict[str, Candidate] = collections.OrderedDict()
        self._times: dict[str, float] = {}  # member → its time as a timestamp (the hot sort key)
        self._by_term: dict[str, set[str]] = collections.defaultdict(set)
        self._by_entity: dict[str, set[str]] = collections.defaultdict(set)

    def __len__(self) -> int:
        return len(self._members)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._members

    def get(self, article_id: str) -> Candidate | None:
        return self._members.get(article_id)

    def add(self, candidate: Candidate) -> None:
        if candidate.article_id in self._members:
            self._remove(candidate.article_id)
        self._members[candidate.article_id] = candidate
        self._times[candidate.article_id] = candidate.fingerprint.time.timestamp()
        self._added[candidate.article_id] = self._clock()
        for term in candidate.fingerprint.terms:
            self._by_term[term].add(candidate.article_id)
        for key in candidate.fingerprint.entities:
            self._by_entity[key].add(candidate.article_id)
        while self._max is not None and len(self._members) > self._max:
            self._remove(next(iter(self._members)))

    def _remove(self, article_id: str) -> None:
        old = self._members.pop(article_id)
        del self._times[article_id], self._added[article_id]
        for index, keys in (
            (self._by_term, old.fingerprint.terms),
            (self._by_entity, old.fingerprint.entities),
        ):
            for key in keys:
                ids = index.get(key)
                if ids is not None:
                    ids.discard(article_id)
                    if not ids:
                        del index[key]

    def touch(self, article_ids: Sequence[str]) -> None:
        """Restart the age of these members (their write has just been acknowledged)."""
        for aid in article_ids:
            candidate = self._members.get(aid)
            if candidate is not None:
                self.add(candidate)

    def expire(self) -> None:
        """Drop the members older than ``max_age_s`` (the oldest are first in insertion order)."""
        if self._max_age_s is None:
            return
        limit = self._clock() - self._max_age_s
        while self._members:
            oldest = next(iter(self._members))
            if self._added[oldest] > limit:
                break
            self._remove(oldest)

    def find(self, fingerprints: Sequence[Fingerprint]) -> list[list[Candidate]]:
        return [self.find_one(fp) for fp in fingerprints]

    def find_one(self, fp: Fingerprint) -> list[Candidate]:
        scores: dict[str, float] = collections.defaultdict(float)
        for term in fp.probe:
            boost = self._boosts.title if term in fp.title else self._boosts.lead
            for aid in self._by_term.get(term, ()):
                scores[aid] += boost
        for key in fp.entities:
            for aid in self._by_entity.get(key, ()):
                scores[aid] += self._boosts.entity
        at, window = fp.time.timestamp(), self._window.total_seconds()
        times = self._times
        hits = [(-score, -times[aid], aid) for aid, score in scores.items() if abs(times[aid] - at) <= window]
        return [self._members[aid] for _, _, aid in heapq.nsmallest(self._k, hits)]
