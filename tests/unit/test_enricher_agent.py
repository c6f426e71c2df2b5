"""The faust agent in faust's test context: outbound topics' ``send`` are AsyncMocks (faust's testing guide)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest

from akhbar.messages import DeadLetter, EnrichedArticle, RawArticle, Stage, article_id, decode, encode
from enricher import streams
from enricher.app import app, dlq_topic, enriched_topic

URL = "https://news.example.org/2026/02/04/water"


def raw_article() -> RawArticle:
    return RawArticle(
        id=article_id(URL),
        url=URL,
        source="example",
        fetched_at=datetime(2026, 2, 4, 8, tzinfo=UTC),
        revision=7,
        title="وزير الخارجية الأردني أيمن الصفدي يستقبل نظيره الفرنسي في عمان",
        body=(
            "استقبل وزير الخارجية الأردني أيمن الصفدي اليوم في عمان وزير الخارجية الفرنسي، وبحث الجانبان "
            "تطورات الأوضاع في المنطقة والعلاقات الثنائية بين البلدين. وأكد الصفدي أن الأردن يدعم "
            "جهود مجلس الأمن الدولي لوقف إطلاق النار."
        ),
        tags=["سياسة"],
    )


def _acked(*_: Any, **__: Any) -> asyncio.Future[None]:
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


@pytest.fixture
def sends() -> Iterator[tuple[AsyncMock, AsyncMock]]:
    app.conf.store = "memory://"
    app.flow_control.resume()
    with (
        patch.object(enriched_topic, "send", AsyncMock(side_effect=_acked)) as ok,
        patch.object(dlq_topic, "send", AsyncMock(side_effect=_acked)) as dead,
    ):
        yield ok, dead


def _run(values: list[tuple[bytes, bytes]], until: Any) -> None:
    async def main() -> None:
        async with streams.enrich_articles.test_context() as agent:

            async def put_all() -> None:
                for key, value in values:
                    await agent.put(key=key, value=value)

            putting = asyncio.ensure_future(put_all())  # a held agent stops taking puts
            try:
                for _ in range(200):
                    if until():
                        return
                    await asyncio.sleep(0.05)
                raise AssertionError("agent did not produce in time")
            finally:
                putting.cancel()

    asyncio.run(main())


def test_valid_article_is_enriched_and_keyed_by_id(sends: tuple[AsyncMock, AsyncMock]) -> None:
    ok, dead = sends
    raw = raw_article()
    _run([(raw.id.encode(), encode(raw))], until=lambda: ok.call_count == 1)
    assert dead.call_count == 0
    kwargs = ok.call_args.kwargs
    assert kwargs["key"] == raw.id.encode()
    enriched = decode(EnrichedArticle, kwargs["value"])
    assert enriched.id == raw.id and enriched.revision == 7 and enriched.title == raw.title
    assert (enriched.language.code, enriched.language.script) == ("ar", "Arab")
    assert enriched.topics[0].code == "politics"
    assert set(enriched.model_versions) == {"language", "ner", "topics", "entities"}
    names = {(e.type, e.normalized) for e in enriched.entities}
    assert ("LOC", "عمان") in names
    # عمّان (JO) and عمان (OM) fold alike: the key is the plain one and no ISO code is guessed (D20)
    amman = next(e for e in enriched.entities if e.normalized == "عمان")
    assert (amman.key, amman.iso) == ("LOC:عمان", None)


def test_invalid_and_valid_messages_in_one_batch(sends: tuple[AsyncMock, AsyncMock]) -> None:
    ok, dead = sends
    raw = raw_article()
    _run(
        [(b"k1", b"{not json"), (raw.id.encode(), encode(raw)), (b"k2", b'{"id": "x"}')],
        until=lambda: ok.call_count == 1 and dead.call_count == 2,
    )
    letters = [decode(DeadLetter, c.kwargs["value"]) for c in dead.call_args_list]
    assert [(d.stage, d.error_class, d.original_key) for d in letters] == [
        (Stage.ENRICHER, "InvalidMessage", "k1"),
        (Stage.ENRICHER, "InvalidMessage", "k2"),
    ]
    assert letters[0].original() == b"{not json"
    assert letters[1].reason.startswith("RawArticle invalid at ")
    assert [d.offset for d in letters] == [0, 2]


def test_enrichment_failure_is_dead_lettered_not_lost(sends: tuple[AsyncMock, AsyncMock]) -> None:
    ok, dead = sends
    raw = raw_article()
    with patch.object(streams.enricher(), "enrich", side_effect=RuntimeError("model exploded")):
        _run([(raw.id.encode(), encode(raw))], until=lambda: dead.call_count == 1)
    letter = decode(DeadLetter, dead.call_args.kwargs["value"])
    assert letter.error_class == "RuntimeError"
    assert letter.reason == "enrichment failed: RuntimeError: model exploded"
    assert decode(RawArticle, letter.original()) == raw
    assert ok.call_count == 0


def test_the_dead_letter_brake_holds_the_stream(sends: tuple[AsyncMock, AsyncMock]) -> None:
    """More than ratio × window letters: the stage stops before the next letter and is not ready."""
    ok, dead = sends
    exits: list[int] = []
    small = streams.DeadLetterBrake("enricher", ratio=0.5, window=10)
    raw = raw_article()
    values = [(f"k{i}".encode(), b"{not json") for i in range(8)] + [(raw.id.encode(), encode(raw))]
    with (
        patch.object(streams, "brake", small),
        patch.object(streams, "on_fatal", exits.append),
        patch.object(streams.settings, "batch_size", 1),
    ):
        _run(values, until=lambda: small.engaged)
    assert dead.call_count == 5 and ok.call_count == 0  # the valid article waits behind the brake
    assert exits == [0]  # the held batch is never acked: the worker leaves without acking it
    ready, body = streams.health.state.readyz()
    assert not ready and any(r.startswith("dead-letter brake: 6 of the last 10") for r in body["reasons"])
