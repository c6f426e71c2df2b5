"""The message contract between fetcher, enricher and indexer.

One definition, versioned, JSON on the wire (UTF-8, Arabic as-is). Every
consumer decodes through :func:`decode` so validation happens in one place and a
failure is always an :class:`~akhbar.errors.InvalidMessage`.

Compatibility rule: adding an optional field keeps ``SCHEMA_VERSION``; removing or
re-typing a field bumps it, and consumers keep reading the previous version.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from akhbar.errors import InvalidMessage

SCHEMA_VERSION = 1

# A dead letter carries its original whole up to this size (base64 of 512 KiB fits a 1 MiB message),
# else only a prefix of DEAD_LETTER_PREFIX_BYTES with the original's size and SHA-256.
DEAD_LETTER_MAX_ORIGINAL_BYTES = 512 * 1024
DEAD_LETTER_PREFIX_BYTES = 64 * 1024


class Stage(StrEnum):
    FETCHER = "fetcher"
    ENRICHER = "enricher"
    INDEXER = "indexer"


def article_id(canonical_url: str) -> str:
    """Stable article id: the first 32 hex digits of SHA-256 of the canonical URL.

    Used as Kafka key (same article, same partition, in order) and as ES ``_id``
    (a replay overwrites instead of duplicating).
    """
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:32]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=False, ser_json_timedelta="float")


class Provenance(_Model):
    """Where an aggregator got the story (parsed from its attribution line)."""

    original_source: str | None = None
    original_title: str | None = None
    original_date: datetime | None = None
    original_url: str | None = None


class Copy(_Model):
    """Another URL at which the fetcher found the same article (same canonical id) after the first."""

    url: str
    source: str
    seen_at: datetime


MAX_COPIES = 20
"""Copies listed on an article (the newest); ``copy_count`` counts them all."""


class RawArticle(_Model):
    """An article as extracted by the fetcher, before enrichment.

    ``fetched_url``, ``source`` and ``first_seen_at`` always describe the first copy seen: a
    syndicated copy or a later revision never overwrites them (D7); later copies are in ``copies``.
    """

    schema_version: Literal[1] = 1
    id: str = Field(min_length=8, max_length=64)
    url: str = Field(min_length=1, description="canonical URL")
    fetched_url: str | None = None
    source: str = Field(min_length=1, description="name of the configured source")
    title: str
    body: str
    paragraphs: list[str] = Field(default_factory=list)
    byline: str | None = None
    published_at: datetime | None = None
    date_source: str | None = Field(default=None, description="where published_at came from")
    updated_at: datetime | None = None
    lead_image: str | None = None
    tags: list[str] = Field(default_factory=list, description="source-provided tags/sections, in page order")
    section: str | None = None
    language_hint: str | None = None
    is_aggregator: bool = False
    provenance: Provenance | None = None
    content_hash: str | None = None
    simhash: str | None = None
    duplicate_of: str | None = None
    truncated: bool | None = Field(
        default=None, description="true when the body was cut to fit the size policy (akhbar.limits)"
    )
    original_body_chars: int | None = Field(
        default=None, ge=0, description="length of the body before it was cut (characters)"
    )
    first_seen_at: datetime | None = Field(
        default=None, description="when the first copy (fetched_url, source) was fetched"
    )
    copies: list[Copy] = Field(
        default_factory=list, max_length=MAX_COPIES, description="later copies at other URLs, newest last"
    )
    copy_count: int = Field(default=0, ge=0, description="how many later copies were seen in all")
    fetched_at: datetime
    revision: int = Field(
        ge=0,
        description="monotonic per article (fetch time in ms); the indexer never lets a lower one overwrite",
    )


class LanguageGuess(_Model):
    code: str = Field(description="ISO 639-1, or 'und'")
    script: str = Field(description="ISO 15924, e.g. Arab, Latn")
    confidence: float = Field(ge=0.0, le=1.0)


class Entity(_Model):
    type: Literal["PER", "LOC", "ORG", "MISC"]
    text: str
    normalized: str
    field: Literal["title", "body"]
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    confidence: float = Field(ge=0.0, le=1.0)


class EntitySummary(_Model):
    """One entity per article (title and body merged), with its mention count."""

    type: Literal["PER", "LOC", "ORG", "MISC"]
    name: str
    normalized: str
    count: int = Field(ge=1)
    confidence: float = Field(ge=0.0, le=1.0)
    key: str | None = Field(
        default=None,
        description="canonical key TYPE:normal form of the canonical name (PER:دونالد ترامب), D20",
    )
    iso: str | None = Field(
        default=None, description="ISO 3166-1 alpha-2 of a country, or of a city's country (SY); D20"
    )


class TopicTag(_Model):
    code: str = Field(description="stable English code, e.g. politics")
    label: str = Field(description="Arabic label, e.g. سياسة")
    score: float = Field(ge=0.0, le=1.0)
    evidence: Literal["model", "source_tag", "model+source_tag"] = "model"


class EnrichedArticle(RawArticle):
    """A raw article plus language, entities and topics.

    No wall-clock field is added here: replaying the same raw article with the
    same model versions yields a byte-identical document.
    """

    language: LanguageGuess
    title_language: LanguageGuess | None = None
    mentions: list[Entity] = Field(default_factory=list)
    entities: list[EntitySummary] = Field(default_factory=list)
    topics: list[TopicTag] = Field(default_factory=list)
    model_versions: dict[str, str] = Field(default_factory=dict)


class DeadLetter(_Model):
    """Envelope for anything a stage could not process; keeps the original bytes."""

    schema_version: Literal[1] = 1
    stage: Stage
    error_class: str
    reason: str
    original_b64: str = Field(description="original message value (or page body), base64")
    original_size: int | None = Field(default=None, ge=0, description="bytes of the whole original")
    original_sha256: str | None = Field(default=None, description="hex SHA-256 of the whole original")
    original_truncated: bool | None = Field(
        default=None, description="true when original_b64 holds only a prefix (the original was too large)"
    )
    original_key: str | None = None
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    url: str | None = None
    failed_at: datetime

    @classmethod
    def build(
        cls,
        *,
        stage: Stage,
        error: BaseException,
        original: bytes | None,
        key: bytes | str | None = None,
        topic: str | None = None,
        partition: int | None = None,
        offset: int | None = None,
        url: str | None = None,
        reason: str | None = None,
        max_original_bytes: int = DEAD_LETTER_MAX_ORIGINAL_BYTES,
    ) -> DeadLetter:
        """The envelope; an original over ``max_original_bytes`` is kept as a prefix, its size and hash."""
        if isinstance(key, bytes):
            key = key.decode("utf-8", "replace")
        data = original or b""
        kept = data if len(data) <= max_original_bytes else data[:DEAD_LETTER_PREFIX_BYTES]
        return cls(
            stage=stage,
            error_class=type(error).__name__,
            reason=(reason or str(error) or type(error).__name__)[:4000],
            original_b64=base64.b64encode(kept).decode("ascii"),
            original_size=len(data),
            original_sha256=hashlib.sha256(data).hexdigest(),
            original_truncated=True if len(kept) < len(data) else None,
            original_key=key[:1000] if key is not None else None,
            topic=topic,
            partition=partition,
            offset=offset,
            url=url[:4000] if url is not None else None,
            failed_at=datetime.now(UTC),
        )

    def bounded(self, max_bytes: int) -> DeadLetter:
        """This letter, or a copy with only a prefix of the original, so it encodes within ``max_bytes``."""
        if len(encode(self)) <= max_bytes:
            return self
        data = self.original()
        prefix = min(DEAD_LETTER_PREFIX_BYTES, max(0, (max_bytes - 16_384) * 3 // 4))
        return self.model_copy(
            update={
                "original_b64": base64.b64encode(data[:prefix]).decode("ascii"),
                "original_size": self.original_size if self.original_size is not None else len(data),
                "original_sha256": self.original_sha256 or hashlib.sha256(data).hexdigest(),
                "original_truncated": True,
            }
        )

    def original(self) -> bytes:
        """The original bytes as carried (only a prefix when ``original_truncated``)."""
        return base64.b64decode(self.original_b64)


M = TypeVar("M", bound=BaseModel)


def encode(message: BaseModel) -> bytes:
    """JSON, UTF-8, Arabic unescaped, ``None`` fields dropped to keep messages small."""
    return message.model_dump_json(exclude_none=True).encode("utf-8")


def decode(
    model: type[M],
    value: bytes | None,
    *,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
) -> M:
    """Validate one wire message; any failure is an InvalidMessage carrying its position."""
    if value is None:
        raise InvalidMessage(
            "empty message value (tombstone)", topic=topic, partition=partition, offset=offset
        )
    try:
        return model.model_validate_json(value)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "<root>"
        reason = f"{model.__name__} invalid at {where}: {first.get('msg')} ({err.error_count()} error(s))"
        raise InvalidMessage(reason, topic=topic, partition=partition, offset=offset) from err
    except (UnicodeDecodeError, ValueError) as err:
        raise InvalidMessage(
            f"not UTF-8 JSON: {err}", topic=topic, partition=partition, offset=offset
        ) from err
