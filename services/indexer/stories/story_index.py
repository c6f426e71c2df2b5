"""The ``<prefix>-stories`` index: one document per story, updated idempotently.

The document holds its member set. :func:`apply_members` (pure) adds a member only if it is
absent, and only then touches the counts, the first article, first/last seen, the entity and
topic tallies and the hourly timeline; a re-delivered, replayed or reindexed article finds itself
a member and changes nothing, so nothing is ever counted twice. The first article is the member
with the earliest story time (ties: the smaller id), whatever order the members arrive in.

The write is a compare-and-set (:func:`upsert_stories`): read the story documents with a realtime
``mget``, apply, write back with ``if_seq_no``/``if_primary_term`` (or ``create`` for a new story);
a 409 means another worker wrote first, and that story is read and applied again. Not a painless
scripted upsert: the local stack's Elasticsearch (``integ-test-zip``) ships no ``lang-painless``,
and one code path must run on both deployments (D17).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError, helpers
from elasticsearch import ConnectionError as ESConnectionError

from akhbar.errors import SearchUnavailable
from akhbar.es import TRANSIENT_STATUS
from akhbar.messages import EnrichedArticle

TOP_ENTITIES = 10
CAS_ATTEMPTS = 10

STORY_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "story_id": {"type": "keyword"},
        "members": {"type": "keyword"},
        "sources": {"type": "keyword"},
        "article_count": {"type": "integer"},
        "source_count": {"type": "integer"},
        "first_seen": {"type": "date"},
        "last_seen": {"type": "date"},
        "first_article": {
            "properties": {
                "id": {"type": "keyword"},
                "title": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 512}}},
                "url": {"type": "keyword"},
                "source": {"type": "keyword"},
                "first_seen_at": {"type": "date"},
            }
        },
        "top_entities": {"type": "keyword"},
        "entity_counts": {"type": "object", "enabled": False},
        "topic": {"type": "keyword"},
        "topic_counts": {"type": "object", "enabled": False},
        "timeline": {"properties": {"hour": {"type": "date"}, "count": {"type": "integer"}}},
    },
}


def utc_text(when: datetime) -> str:
    """``2026-02-04T09:30:00.000Z``: one fixed format, so times compare as text and parse as dates."""
    when = when.astimezone(UTC) if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def hour_text(when: datetime) -> str:
    when = when.astimezone(UTC) if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return utc_text(when.replace(minute=0, second=0, microsecond=0))


@dataclass(frozen=True, slots=True)
class Member:
    """What one article contributes to its story's document."""

    story_id: str
    article_id: str
    title: str
    url: str
    source: str
    time: str  # utc_text
    entity_keys: tuple[str, ...]
    topic: str | None

    @classmethod
    def of(
        cls, article: EnrichedArticle, story_id: str, time: datetime, entity_keys: Sequence[str]
    ) -> Member:
        return cls(
            story_id=story_id,
            article_id=article.id,
            title=article.title,
            url=article.url,
            source=article.source,
            time=utc_text(time),
            entity_keys=tuple(sorted(set(entity_keys))),
            topic=article.topics[0].code if article.topics else None,
        )

    def first_article(self) -> dict[str, str]:
        return {
            "id": self.article_id,
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "first_seen_at": self.time,
        }


def _empty(story_id: str) -> dict[str, Any]:
    return {
        "story_id": story_id,
        "members": [],
        "sources": [],
        "article_count": 0,
        "source_count": 0,
        "entity_counts": {},
        "top_entities": [],
        "topic_counts": {},
        "timeline": [],
    }


def apply_members(
    doc: Mapping[str, Any] | None, story_id: str, members: Sequence[Member]
) -> dict[str, Any] | None:
    """The story document with ``members`` added; None when every one of them is already in it."""
    out = copy.deepcopy(dict(doc)) if doc is not None else _empty(story_id)
    held = set(out["members"])
    changed = doc is None
    for m in members:
        if m.article_id in held:
            continue
        changed = True
        held.add(m.article_id)
        out["members"].append(m.article_id)
        if m.source not in out["sources"]:
            out["sources"].append(m.source)
        first = out.get("first_article")
        if first is None or (m.time, m.article_id) < (out["first_seen"], first["id"]):
            out["first_seen"], out["first_article"] = m.time, m.first_article()
        if out.get("last_seen") is None or m.time > out["last_seen"]:
            out["last_seen"] = m.time
        for key in m.entity_keys:
            out["entity_counts"][key] = out["entity_counts"].get(key, 0) + 1
        if m.topic is not None:
            out["topic_counts"][m.topic] = out["topic_counts"].get(m.topic, 0) + 1
        hour = hour_text(datetime.fromisoformat(m.time))
        bucket = next((b for b in out["timeline"] if b["hour"] == hour), None)
        if bucket is None:
            out["timeline"].append({"hour": hour, "count": 1})
            out["timeline"].sort(key=lambda b: b["hour"])
        else:
            bucket["count"] += 1
    if not changed:
        return None
    out["article_count"], out["source_count"] = len(out["members"]), len(out["sources"])
    ranked = sorted(out["entity_counts"].items(), key=lambda kv: (-kv[1], kv[0]))
    out["top_entities"] = [key for key, _ in ranked[:TOP_ENTITIES]]
    topics = sorted(out["topic_counts"].items(), key=lambda kv: (-kv[1], kv[0]))
    if topics:
        out["topic"] = topics[0][0]
    return out


def upsert_stories(
    es: Elasticsearch,
    index: str,
    members: Sequence[Member],
    *,
    on_missing_index: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Add ``members`` to their story documents by compare-and-set; returns counts by result
    (``created``, ``updated``, ``unchanged``). Raises SearchUnavailable on a transient failure
    (idempotent: the caller retries the same members) and on conflicts past CAS_ATTEMPTS.
    ``on_missing_index`` makes the index when it is gone (deleted to be rebuilt), then once more."""
    by_story: dict[str, list[Member]] = {}
    for m in members:
        by_story.setdefault(m.story_id, []).append(m)
    results = {"created": 0, "updated": 0, "unchanged": 0}
    todo = sorted(by_story)
    for _ in range(CAS_ATTEMPTS):
        if not todo:
            return results
        try:
            todo = _cas_round(es, index, todo, by_story, results)
        except _IndexMissing as err:
            if on_missing_index is None:
                raise SearchUnavailable(f"story index {index} is missing") from err
            on_missing_index()
            on_missing_index = None
    raise SearchUnavailable(f"story documents {todo[:5]} kept conflicting after {CAS_ATTEMPTS} attempts")


def _cas_round(
    es: Elasticsearch,
    index: str,
    story_ids: list[str],
    by_story: dict[str, list[Member]],
    results: dict[str, int],
) -> list[str]:
    """One read-apply-write pass; returns the story ids that lost a race and must be tried again."""
    try:
        try:
            docs = es.mget(index=index, ids=story_ids, realtime=True).body["docs"]
        except ApiError as err:
            if err.meta.status == 404 and "index_not_found" in str(err.error):
                raise _IndexMissing(index) from err
            raise
        actions: list[dict[str, Any]] = []
        for sid, found in zip(story_ids, docs, strict=True):
            current = found.get("_source") if found.get("found") else None
            new = apply_members(current, sid, by_story[sid])
            if new is None:
                results["unchanged"] += 1
                continue
            action: dict[str, Any] = {"_index": index, "_id": sid, "_source": new}
            if current is None:
                action["_op_type"] = "create"
            else:
                action.update(
                    _op_type="index", if_seq_no=found["_seq_no"], if_primary_term=found["_primary_term"]
                )
            actions.append(action)
        again: list[str] = []
        for action, (ok, item) in zip(
            actions,
            helpers.streaming_bulk(es, actions, raise_on_error=False, raise_on_exception=True, max_retries=0),
            strict=True,
        ):
            op = next(iter(item.values()))
            if ok:
                results["created" if action["_op_type"] == "create" else "updated"] += 1
                continue
            status = int(op.get("status", 0))
            if status == 409:
                again.append(action["_id"])
            elif status in TRANSIENT_STATUS:
                raise SearchUnavailable(f"story document {action['_id']} got {status}; will retry")
            else:
                raise StoryDocumentRejected(
                    f"story document {action['_id']} refused: {str(op.get('error'))[:300]}"
                )
    except (ESConnectionError, TransportError, ApiError) as err:
        raise SearchUnavailable(f"story upsert of {len(story_ids)} stories failed: {err}") from err
    return again


class _IndexMissing(Exception):
    pass


class StoryDocumentRejected(Exception):
    """Elasticsearch refused a story document for good (a mapping or size problem, not an outage)."""


def ensure_story_index(
    es: Elasticsearch, index: str, *, shards: int, replicas: int, refresh_interval: str
) -> None:
    """Create the stories index with its strict mapping if it is missing (idempotent)."""
    if es.indices.exists(index=index):
        return
    try:
        es.indices.create(
            index=index,
            settings={
                "index": {
                    "number_of_shards": shards,
                    "number_of_replicas": replicas,
                    "refresh_interval": refresh_interval,
                }
            },
            mappings=STORY_MAPPINGS,
        )
    except ApiError as err:
        if err.error != "resource_already_exists_exception":
            raise
