"""What went in vs what came out: ids offered, documents in Elasticsearch, dead letters."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError
from kafka import KafkaConsumer, TopicPartition

from akhbar.messages import DeadLetter, article_id
from fetcher.urls import canonicalize_url


def url_id(url: str) -> str:
    return article_id(canonicalize_url(url))


def es_docs(es: Elasticsearch, alias: str) -> list[dict[str, Any]]:
    """Every document under ``alias`` (after a refresh): _id plus a few fields."""
    try:
        es.indices.refresh(index=alias)
    except NotFoundError:
        return []
    res = es.search(
        index=alias,
        query={"match_all": {}},
        size=10_000,
        source_includes=["url", "title", "truncated", "original_body_chars", "duplicate_of", "source"],
        track_total_hits=True,
    )
    total = int(res["hits"]["total"]["value"])
    assert total <= 10_000, f"{total} documents: the audit reads at most 10,000 per case"
    return [{"_id": h["_id"], **h["_source"]} for h in res["hits"]["hits"]]


def es_count(es: Elasticsearch, alias: str) -> int:
    try:
        es.indices.refresh(index=alias)
        return int(es.count(index=alias)["count"])
    except NotFoundError:
        return 0
    except Exception:
        return -1  # Elasticsearch not answering


def es_ids(es: Elasticsearch, alias: str, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` are documents (a refresh, then an ids query)."""
    wanted = list(ids)
    found: set[str] = set()
    try:
        es.indices.refresh(index=alias)
        for i in range(0, len(wanted), 5000):
            chunk = wanted[i : i + 5000]
            res = es.search(index=alias, query={"ids": {"values": chunk}}, size=len(chunk), source=False)
            found.update(h["_id"] for h in res["hits"]["hits"])
    except NotFoundError:
        pass
    return found


def read_topic_to_end(bootstrap: str, topic: str, timeout_s: float = 20.0) -> list[Any]:
    """Every record of ``topic`` from offset 0 to its end (no group, nothing committed)."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
        consumer_timeout_ms=2000,
    )
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            return []
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        records: list[Any] = []
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < end[tp] for tp in tps) and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def end_offsets_total(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        return sum(consumer.end_offsets(tps).values()) if tps else 0
    finally:
        consumer.close()


@dataclass
class Letter:
    dlq: str
    letter: DeadLetter

    @property
    def kind(self) -> str:
        return f"{self.letter.stage.value}/{self.letter.error_class}"


def dead_letters(bootstrap: str, dlqs: Iterable[str]) -> list[Letter]:
    out: list[Letter] = []
    for dlq in dlqs:
        for record in read_topic_to_end(bootstrap, dlq):
            out.append(Letter(dlq, DeadLetter.model_validate_json(record.value)))
    return out


@dataclass
class Expect:
    """A rejection the case expects: which stage, and how to recognise its letter."""

    name: str
    stage: str
    match: Callable[[DeadLetter], bool]
    reason_contains: tuple[str, ...] = ()  # any of these (case-insensitive), when given
    # A feed that is broken is fetched again on every poll, and dead-lettered again each time:
    # then one or more letters (all with the reason) are right; everything else exactly one.
    repeats: bool = False


@dataclass
class Audit:
    offered: set[str]  # ids that must end indexed
    docs: list[dict[str, Any]]
    letters: list[Letter]
    either: dict[str, str] = field(default_factory=dict)  # name -> id: indexed XOR dead-lettered
    expected_letters: list[Expect] = field(default_factory=list)

    @property
    def indexed(self) -> set[str]:
        return {d["_id"] for d in self.docs}

    @property
    def lost(self) -> set[str]:
        return self.offered - self.indexed

    @property
    def duplicated(self) -> int:
        """Documents beyond one per id, plus documents sharing a URL with another."""
        by_id = len(self.docs) - len(self.indexed)
        urls = Counter(d.get("url") for d in self.docs)
        return by_id + sum(n - 1 for n in urls.values() if n > 1)

    @property
    def unexpected_docs(self) -> list[dict[str, Any]]:
        known = self.offered | set(self.either.values())
        return [d for d in self.docs if d["_id"] not in known]

    def by_reason(self) -> Counter[str]:
        return Counter(letter.kind for letter in self.letters)

    def match_letters(self) -> tuple[dict[str, list[Letter]], list[Letter]]:
        """Expected name -> its letters; letters no expectation (or either-id) claims."""
        claimed: dict[str, list[Letter]] = {e.name: [] for e in self.expected_letters}
        free: list[Letter] = []
        either_ids = set(self.either.values())
        for letter in self.letters:
            for e in self.expected_letters:
                if letter.letter.stage.value == e.stage and e.match(letter.letter):
                    claimed[e.name].append(letter)
                    break
            else:
                if _letter_article_id(letter.letter) not in either_ids:
                    free.append(letter)
        return claimed, free

    def letters_complete(self) -> bool:
        """Every expected rejection has its letter (used to wait, not to judge)."""
        claimed, _ = self.match_letters()
        return all(claimed[e.name] for e in self.expected_letters)

    def either_outcomes(self) -> dict[str, str]:
        """name -> "indexed" | "dead-lettered" | "both" | "neither" for the either-or inputs."""
        lettered = {_letter_article_id(x.letter) for x in self.letters}
        out: dict[str, str] = {}
        for name, aid in self.either.items():
            i, d = aid in self.indexed, aid in lettered
            out[name] = "both" if i and d else "indexed" if i else "dead-lettered" if d else "neither"
        return out

    def problems(self) -> list[str]:
        """Everything that breaks 'never lose, never duplicate, every rejection with a reason'."""
        out: list[str] = []
        if self.lost:
            out.append(f"{len(self.lost)} of {len(self.offered)} offered articles not indexed")
        if self.duplicated:
            out.append(f"{self.duplicated} duplicate documents")
        if self.unexpected_docs:
            out.append(f"unexpected documents: {[d.get('url') for d in self.unexpected_docs][:5]}")
        claimed, free = self.match_letters()
        for e in self.expected_letters:
            got = claimed[e.name]
            if len(got) != 1 and not (e.repeats and got):
                out.append(f"{e.name}: expected exactly 1 {e.stage} dead letter, found {len(got)}")
                continue
            for letter in got:
                reason = letter.letter.reason.strip()
                if not reason:
                    out.append(f"{e.name}: dead letter without a reason")
                elif e.reason_contains and not any(s.lower() in reason.lower() for s in e.reason_contains):
                    out.append(f"{e.name}: reason {reason[:200]!r} names none of {e.reason_contains}")
        if free:
            out.append(
                f"{len(free)} unexpected dead letters: "
                + "; ".join(
                    f"{x.kind} {x.letter.url or x.letter.offset}: {x.letter.reason[:120]}" for x in free[:5]
                )
            )
        for name, outcome in self.either_outcomes().items():
            if outcome in ("both", "neither"):
                out.append(f"{name}: {outcome} indexed and dead-lettered (must be exactly one)")
        return out


def _letter_article_id(letter: DeadLetter) -> str | None:
    """The article id a letter is about, when its original is a (valid) article."""
    try:
        data = json.loads(letter.original())
        return str(data["id"]) if isinstance(data, dict) and "id" in data else None
    except (ValueError, UnicodeDecodeError, KeyError):
        return letter.original_key
