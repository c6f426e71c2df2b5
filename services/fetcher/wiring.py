"""How a fetcher process assembles its parts, and one page fetched on its own.

``python -m fetcher run|once`` and ``akhbar fetch URL [--publish]`` build the poller here,
so a page fetched by hand goes through the same client, guard, extractor, dedup, size
policy and dead-letter path as one found in a feed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from akhbar.kafka import DeadLetterPublisher, ReliableProducer, ensure_topics, make_producer
from akhbar.limits import raw_article_budget
from akhbar.messages import RawArticle
from fetcher.extract import extract_article
from fetcher.http import PoliteClient, RequestPolicy
from fetcher.poller import PollSummary, SourcePoller
from fetcher.publish import ArticlePublisher, ArticleSink
from fetcher.settings import FetcherSettings
from fetcher.sources import Source, SourceKind
from fetcher.state import FetcherState


def make_fetcher_producer(settings: FetcherSettings) -> ReliableProducer:
    # linger 2 ms: each article waits for its own ack before the next one of its source is sent
    return ReliableProducer(
        lambda: make_producer(settings, client_id="akhbar-fetcher", max_block_ms=5000, linger_ms=2),
        client="akhbar-fetcher",
    )


def make_poller(
    settings: FetcherSettings,
    client: PoliteClient,
    producer: ReliableProducer,
    state: FetcherState,
    *,
    publisher: ArticleSink | None = None,
    broker_status: Callable[[bool, str | None], None] | None = None,
) -> SourcePoller:
    """The poller with every limit from ``settings``; ``publisher`` wraps the raw-topic sink."""
    return SourcePoller(
        client,
        publisher or ArticlePublisher(producer, settings.topic_raw, timeout_s=settings.publish_timeout_s),
        DeadLetterPublisher(
            producer, settings.topic_dlq_fetcher, max_message_bytes=settings.max_message_bytes
        ),
        state,
        near_duplicates=state.near_duplicate_index(max_items=settings.dedup_max_items),
        max_articles_per_poll=settings.max_articles_per_poll,
        rejected_retry_s=settings.rejected_retry_s,
        max_article_bytes=raw_article_budget(settings.max_message_bytes),
        max_timeouts_per_url=settings.max_timeouts_per_url,
        concurrency=settings.fetch_concurrency,
        outbox_max_articles=settings.outbox_max_articles,
        broker_status=broker_status,
    )


async def fetch_page(
    settings: FetcherSettings, url: str, *, allow_private: bool = False, timezone: str = "UTC"
) -> dict[str, Any]:
    """Fetch and extract one page; publishes nothing, remembers nothing."""
    host = (urlsplit(url).hostname or "").lower()
    policy = RequestPolicy(private_hosts=frozenset({host}) if allow_private else frozenset())
    async with PoliteClient.build_client(settings) as client:
        result = await PoliteClient(client, settings).get(url, policy)
    extracted = extract_article(
        result.body,
        url=result.url,
        content_type=result.content_type,
        site_timezone=timezone,
        now=datetime.now(UTC),
    )
    return asdict(extracted)


class _Recorded:
    """The raw-topic sink, keeping what it published (``akhbar fetch --publish`` prints it)."""

    def __init__(self, inner: ArticleSink) -> None:
        self._inner = inner
        self.articles: list[RawArticle] = []

    async def publish(self, article: RawArticle, *, timeout_s: float | None = None) -> None:
        await self._inner.publish(article, timeout_s=timeout_s)
        self.articles.append(article)


async def publish_page(
    settings: FetcherSettings,
    url: str,
    *,
    source_name: str,
    allow_private: bool = False,
    timezone: str = "UTC",
    language: str | None = "ar",
) -> tuple[PollSummary, list[RawArticle]]:
    """Poll ``url`` as a one-page ``article`` source: published, remembered and deduplicated as usual.

    The state file is the fetcher's (``AKHBAR_STATE_PATH``): an unchanged page is not sent twice.
    A page dead-lettered before is tried again at once (an operator asked for it), not after
    ``rejected_retry_s``.
    """
    settings = settings.model_copy(update={"rejected_retry_s": 0.0})
    source = Source.model_validate(
        {
            "name": source_name,
            "kind": SourceKind.ARTICLE,
            "urls": [url],
            "timezone": timezone,
            "language": language,
            "allow_private_addresses": allow_private,
        }
    )
    ensure_topics(settings, [settings.topic_raw, settings.topic_dlq_fetcher])
    producer = make_fetcher_producer(settings)
    state = FetcherState(settings.state_path)
    try:
        async with PoliteClient.build_client(settings) as http:
            recorded = _Recorded(
                ArticlePublisher(producer, settings.topic_raw, timeout_s=settings.publish_timeout_s)
            )
            poller = make_poller(settings, PoliteClient(http, settings), producer, state, publisher=recorded)
            summary = await poller.poll(source)
    finally:
        producer.flush(timeout_s=10)
        producer.close(timeout_s=10)
        state.close()
    return summary, recorded.articles
