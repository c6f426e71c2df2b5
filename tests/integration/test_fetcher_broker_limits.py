"""A broker-side size refusal on the real broker: dead-lettered with its reason, nothing else lost.

The raw topic is created with ``max.message.bytes=200000``, far below the size policy, so a legal
article of ~0.8 MB (random Arabic words: ~300 KB even gzip'd) is refused by the broker itself. In
kafka-python 3.0.12 that refusal makes the idempotent producer fatal (``classify_batch_error``:
a non-retriable error outside the epoch-bump set is ERROR_CLASS_FATAL for a non-transactional
idempotent producer, kafka/producer/transaction_manager.py), which is what stopped every source
in the issue. Here the one ``ReliableProducer`` replaces it, the article lands in the fetcher's
dead-letter topic, and the next article of the same source and another source's are published.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient, NewTopic

from akhbar.devsite import DevSite
from akhbar.kafka import DeadLetterPublisher, ReliableProducer, ensure_topics, make_producer
from akhbar.messages import DeadLetter
from fetcher.http import PoliteClient
from fetcher.poller import SourcePoller
from fetcher.publish import ArticlePublisher
from fetcher.settings import FetcherSettings
from fetcher.sources import Source
from fetcher.state import FetcherState

pytestmark = pytest.mark.kafka

NOW = datetime(2026, 2, 4, 12, 0, tzinfo=UTC)
LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
STORY = (
    "أقر البرلمان مساء الثلاثاء قانون الانتخابات الجديد بأغلبية ثمانية وسبعين صوتاً، بعد جلسة مطولة "
    "استمرت أكثر من عشر ساعات. وينص القانون على اعتماد النظام النسبي في خمس عشرة دائرة انتخابية، "
    "وعلى خفض سن الاقتراع إلى ثمانية عشر عاماً، إضافة إلى تخصيص مقاعد للنساء في كل دائرة."
)


def _html(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>"


def _random_paragraphs(chars: int) -> list[str]:
    rnd = random.Random(12)
    out: list[str] = []
    while sum(map(len, out)) < chars:
        out.append(
            " ".join("".join(rnd.choice(LETTERS) for _ in range(rnd.randint(2, 8))) for _ in range(60))
        )
    return out


def _feed(*paths: str) -> str:
    items = "".join(f"<item><title>i</title><link>{{base}}{p}</link></item>" for p in paths)
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'


def _read(bootstrap: str, topic: str, expected: int) -> list[bytes]:
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap.split(","), group_id=None, auto_offset_reset="earliest"
    )
    values: list[bytes] = []
    deadline, settled = time.monotonic() + 30, None
    try:
        while time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=300).values():
                values.extend(r.value for r in records)
            if len(values) >= expected:
                settled = settled or time.monotonic()
                if time.monotonic() - settled > 1.5:
                    break
    finally:
        consumer.close()
    return values


@pytest.fixture
def topics(kafka_bootstrap: str, unique_name: str) -> Iterator[tuple[str, str]]:
    raw, dlq = f"{unique_name}.raw", f"{unique_name}.dlq"
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap.split(","))
    try:
        admin.create_topics(
            [
                NewTopic(
                    raw, num_partitions=1, replication_factor=1, topic_configs={"max.message.bytes": "200000"}
                )
            ]
        )
        ensure_topics(FetcherSettings(kafka_bootstrap_servers=kafka_bootstrap, topic_partitions=1), [dlq])
        yield raw, dlq
    finally:
        admin.delete_topics([raw, dlq])
        admin.close()


def test_an_article_the_broker_refuses_is_dead_lettered_and_every_source_keeps_flowing(
    kafka_bootstrap: str, topics: tuple[str, str], tmp_path: Path
) -> None:
    raw, dlq = topics
    root = tmp_path / "site"
    root.mkdir()
    (root / "big.html").write_text(_html("خبر طويل جدا", _random_paragraphs(400_000)), encoding="utf-8")
    (root / "small-a.html").write_text(_html("البرلمان يقر القانون", [STORY]), encoding="utf-8")
    (root / "small-b.html").write_text(
        _html("المصرف يبقي الفائدة", [STORY.replace("البرلمان", "المصرف المركزي")]), encoding="utf-8"
    )
    (root / "a.rss").write_text(_feed("/big.html", "/small-a.html"), encoding="utf-8")
    (root / "b.rss").write_text(_feed("/small-b.html"), encoding="utf-8")

    settings = FetcherSettings(kafka_bootstrap_servers=kafka_bootstrap, politeness_delay_s=0, max_retries=0)
    producer = ReliableProducer(
        lambda: make_producer(settings, client_id="test-fetcher", max_block_ms=5000), client="test-fetcher"
    )
    state = FetcherState(tmp_path / "fetcher.sqlite3")
    with DevSite(root) as site:

        def source(name: str, feed: str) -> Source:
            return Source.model_validate(
                {
                    "name": name,
                    "kind": "feed",
                    "urls": [f"{site.base}/{feed}"],
                    "allow_private_addresses": True,
                    "rate_limit_per_s": 100,
                }
            )

        poller = SourcePoller(
            PoliteClient(PoliteClient.build_client(settings), settings),
            ArticlePublisher(producer, raw),
            DeadLetterPublisher(producer, dlq, max_message_bytes=settings.max_message_bytes),
            state,
            clock=lambda: NOW,
        )
        try:
            a = asyncio.run(poller.poll(source("a", "a.rss")))
            b = asyncio.run(poller.poll(source("b", "b.rss")))
        finally:
            producer.close(timeout_s=10)
        base = site.base

    assert [(s.source, s.published, s.dead_lettered, s.truncated) for s in (a, b)] == [
        ("a", 1, 1, 0),
        ("b", 1, 0, 0),
    ]
    articles: list[dict[str, Any]] = [json.loads(v) for v in _read(kafka_bootstrap, raw, 2)]
    assert [(m["source"], m["fetched_url"]) for m in articles] == [
        ("a", f"{base}/small-a.html"),
        ("b", f"{base}/small-b.html"),
    ]
    letters = [DeadLetter.model_validate_json(v) for v in _read(kafka_bootstrap, dlq, 1)]
    assert [(d.stage.value, d.url, d.error_class) for d in letters] == [
        ("fetcher", f"{base}/big.html", "MessageTooLarge")
    ]
    assert letters[0].reason.startswith(f"a: {raw} refused the message for its size: ")
    assert "MessageSizeTooLargeError" in letters[0].reason
    assert letters[0].original_size == (root / "big.html").stat().st_size and letters[0].original_truncated
    # kafka-python turned the producer fatal; it was replaced once, and the next sends went through.
    assert producer.rebuilds == 1
    # Nothing refused was marked seen; the refused URL is remembered as rejected, with its reason.
    assert state.seen_hash(f"{base}/big.html") is None
    rejection = state.rejection(f"{base}/big.html")
    assert rejection is not None and rejection[0] == "too_large"
    assert state.seen_count() == 2
    state.close()
