"""Every poison kind, produced straight onto a topic with kafka-python, and what must become of it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from kafka import KafkaProducer
from kafka.errors import InvalidRecordError

from akhbar.messages import EnrichedArticle, LanguageGuess, RawArticle, encode
from fetcher.urls import canonicalize_url

from .audit import Expect, url_id
from .texts import long_arabic, story

OVERSIZED_BYTES = 1_080_000  # > 1 MiB (the default AKHBAR_MAX_MESSAGE_BYTES), < the topics' max.message.bytes

# kind -> words one of which a reason for it must name (case-insensitive)
REASONS: dict[str, tuple[str, ...]] = {
    "invalid_json": ("json",),
    "wrong_schema": ("required", "missing", "invalid"),
    "unknown_schema_version": ("schema_version", "version"),
    "empty_value": ("empty", "eof", "json"),
    "tombstone": ("tombstone", "empty", "null"),
    "invalid_utf8": ("utf-8", "utf8", "unicode", "decode"),
}
# Valid articles in an unusual envelope: they must end indexed or dead-lettered, exactly one of the two.
EITHER = ("null_key", "oversized")


@dataclass
class Sent:
    kind: str
    topic: str
    partition: int
    offset: int
    article_id: str | None = None


def article(url: str, index: int, *, enriched: bool, body_bytes: int | None = None) -> RawArticle:
    s = story(index, seed=4242)
    paragraphs = list(s.paragraphs)
    if body_bytes:  # one long body, no paragraph list (which would carry the text twice)
        paragraphs = long_arabic(int(body_bytes / 1.5), seed=index)
    now = datetime.now(UTC)
    canonical = canonicalize_url(url)
    raw = RawArticle(
        id=url_id(url),
        url=canonical,
        fetched_url=url,
        source="poison",
        title=s.title,
        body="\n".join(paragraphs),
        paragraphs=[] if body_bytes else paragraphs,
        language_hint="ar",
        fetched_at=now,
        revision=int(now.timestamp() * 1000),
    )
    if enriched:
        raw = EnrichedArticle(
            **raw.model_dump(), language=LanguageGuess(code="ar", script="Arab", confidence=0.99)
        )
    if body_bytes:  # cut the body until the JSON is just over body_bytes
        while len(encode(raw)) > body_bytes + 2_000:
            excess = len(encode(raw)) - body_bytes
            raw.body = raw.body[: len(raw.body) - max(500, excess // 2)]
        assert len(encode(raw)) > 1_048_576, len(encode(raw))
    return raw


def produce_poison(bootstrap: str, topic: str, base: str, *, enriched: bool) -> list[Sent]:
    """One message of every kind on ``topic``; returns where each landed."""
    valid = article(f"{base}/poison/valid-shape.html", 1, enriched=enriched)
    as_dict = json.loads(encode(valid))
    unknown_version = {**as_dict, "schema_version": 99}
    null_key = article(f"{base}/poison/null-key.html", 2, enriched=enriched)
    oversized = article(f"{base}/poison/oversized.html", 3, enriched=enriched, body_bytes=OVERSIZED_BYTES)
    messages: list[tuple[str, bytes | None, bytes | None, str | None]] = [
        ("invalid_json", b"poison-invalid-json", b'{"id": "abc", "title": not json', None),
        ("wrong_schema", b"poison-wrong-schema", b'{"hello": "world", "items": [1, 2, 3]}', None),
        ("unknown_schema_version", b"poison-version", json.dumps(unknown_version).encode(), None),
        ("empty_value", b"poison-empty", b"", None),
        ("tombstone", b"poison-tombstone", None, None),
        ("invalid_utf8", b"poison-utf8", b'{"id": "\xff\xfe\xfa", "title": "\xc3\x28"}', None),
        ("null_key", None, encode(null_key), null_key.id),
        ("oversized", oversized.id.encode(), encode(oversized), oversized.id),
    ]
    sent: list[Sent] = []
    for kind, key, value, aid in messages:
        # One producer per message: a broker refusal is fatal to a kafka-python 3.0.12 producer.
        producer = KafkaProducer(
            bootstrap_servers=bootstrap, acks="all", max_request_size=2 * 1024 * 1024, linger_ms=0
        )
        try:
            meta = producer.send(topic, key=key, value=value).get(timeout=30)
        except InvalidRecordError as err:
            # The enriched topic is compacted by article id (D6): the broker itself refuses a
            # message without a key, so no such message can reach the indexer.
            assert enriched and key is None and "without key" in str(err), err
            sent.append(Sent("null_key_refused_by_broker", topic, -1, -1, None))
            continue
        finally:
            producer.close(timeout=10)
        sent.append(Sent(kind, topic, meta.partition, meta.offset, aid))
    return sent


def expectations(sent: list[Sent], stage: str) -> tuple[list[Expect], dict[str, str]]:
    """Letters the invalid kinds must produce (matched by topic/partition/offset), and the either-ids."""
    expects: list[Expect] = []
    either: dict[str, str] = {}
    for s in sent:
        if s.offset < 0:  # refused by the broker: nothing to find downstream
            continue
        if s.kind in EITHER:
            assert s.article_id is not None
            either[s.kind] = s.article_id
            continue
        expects.append(
            Expect(
                name=s.kind,
                stage=stage,
                match=lambda letter, s=s: (  # type: ignore[misc]
                    letter.topic == s.topic and letter.partition == s.partition and letter.offset == s.offset
                ),
                reason_contains=REASONS[s.kind],
            )
        )
    return expects, either
