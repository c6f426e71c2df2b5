from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from akhbar.errors import InvalidMessage
from akhbar.messages import DeadLetter, RawArticle, Stage, article_id, decode, encode


def _raw(**overrides: object) -> RawArticle:
    fields: dict[str, object] = {
        "id": article_id("https://example.org/a/1"),
        "url": "https://example.org/a/1",
        "source": "example",
        "title": "وزارة الخارجية تستقبل وفداً",
        "body": "استقبل وزير الخارجية أحمد الصالح وفداً.",
        "fetched_at": datetime(2026, 2, 4, 8, 0, tzinfo=UTC),
        "revision": 1,
    }
    fields.update(overrides)
    return RawArticle.model_validate(fields)


def test_article_id_is_stable_and_url_derived() -> None:
    assert article_id("https://example.org/a/1") == article_id("https://example.org/a/1")
    assert article_id("https://example.org/a/1") != article_id("https://example.org/a/2")
    assert len(article_id("https://example.org/a/1")) == 32


def test_wire_format_is_utf8_json_with_arabic_unescaped() -> None:
    wire = encode(_raw())
    assert "وزارة الخارجية".encode() in wire
    assert b"\\u06" not in wire
    assert json.loads(wire)["schema_version"] == 1
    assert decode(RawArticle, wire) == _raw()


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (b"not json", "RawArticle invalid"),
        (b"\xff\xfe", "RawArticle invalid"),
        (json.dumps({"id": "abc"}).encode(), "RawArticle invalid at id"),
        (None, "tombstone"),
    ],
)
def test_decode_failures_are_invalid_messages_with_position(value: bytes | None, fragment: str) -> None:
    with pytest.raises(InvalidMessage) as info:
        decode(RawArticle, value, topic="raw", partition=2, offset=41)
    assert fragment in str(info.value)
    assert (info.value.topic, info.value.partition, info.value.offset) == ("raw", 2, 41)
    assert str(info.value).endswith("at raw[2]@41")


def test_unknown_schema_version_is_rejected() -> None:
    wire = json.loads(encode(_raw()))
    wire["schema_version"] = 2
    with pytest.raises(InvalidMessage, match="schema_version"):
        decode(RawArticle, json.dumps(wire).encode())


def test_dead_letter_keeps_original_bytes_and_context() -> None:
    original = "ليس JSON".encode()
    letter = DeadLetter.build(
        stage=Stage.ENRICHER,
        error=ValueError("bad"),
        original=original,
        key=b"k1",
        topic="raw",
        partition=0,
        offset=7,
        reason="RawArticle invalid at <root>",
    )
    back = decode(DeadLetter, encode(letter))
    assert back.original() == original
    assert (back.stage, back.error_class, back.reason) == (
        Stage.ENRICHER,
        "ValueError",
        "RawArticle invalid at <root>",
    )
    assert (back.topic, back.partition, back.offset, back.original_key) == ("raw", 0, 7, "k1")
