"""One poll of one source: discover links, fetch new pages, extract, publish, remember.

Pure steps (extract, canonicalise, dedup) are imported; this module only wires
them to the HTTP client, the Kafka publisher and the state store. Per-URL
failures never stop the poll: permanent ones go to the fetcher's dead-letter
topic with the URL and reason, transient ones are retried on the next poll.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from akhbar.errors import ExtractionError, PermanentError, TransientError
from akhbar.kafka import DeadLetterPublisher
from akhbar.messages import DeadLetter, RawArticle, Stage, article_id
from prometheus_client import Counter

from fetcher.dedup import NearDuplicateIndex, content_hash, simhash64
from fetcher.extract import ExtractedArticle, extract_article
from fetcher.feeds import Discovered, parse_feed, parse_sitemap
from fetcher.http import PoliteClient, RequestPolicy
from fetcher.publish import ArticlePublisher
from fetcher.sources import Source, SourceKind
from fetcher.state import FetcherState
from fetcher.urls import canonicalize_url

log = logging.getLogger(__name__)

ARTICLES = Counter("akhbar_fetcher_articles_total", "Articles by outcome", ["source", "outcome"])
ERRORS = Counter("akhbar_fetcher_errors_total", "Failures by kind", ["source", "kind"])

_MAX_SITEMAP_DEPTH = 2


@dataclass
class PollSummary:
    source: str
    discovered: int = 0
    published: int = 0
    unchanged: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    transient_errors: int = 0
    feed_not_modified: int = 0


class SourcePoller:
    def __init__(
        self,
        client: PoliteClient,
        publisher: ArticlePublisher,
        dlq: DeadLetterPublisher,
        state: FetcherState,
        *,
        near_duplicates: NearDuplicateIndex | None = None,
        max_articles_per_poll: int = 200,
    ) -> None:
        self._client = client
        self._publisher = publisher
        self._dlq = dlq
        self._state = state
        self._near = near_duplicates or NearDuplicateIndex()
        self._max_articles = max_articles_per_poll

    async def poll(self, source: Source) -> PollSummary:
        summary = PollSummary(source.name)
        policy = RequestPolicy(
            allow_private=source.allow_private_addresses,
            headers=source.headers,
            min_interval_s=1.0 / source.rate_limit_per_s,
        )
        try:
            links = await self._discover(source, policy, summary)
        except TransientError as err:
            ERRORS.labels(source.name, "discovery_unavailable").inc()
            summary.transient_errors += 1
            self._state.record_poll(source.name, error=str(err))
            log.warning("source unavailable", extra={"source": source.name, "error": str(err)})
            return summary
        summary.discovered = len(links)
        for link in links[: self._max_articles]:
            await self._article(source, policy, link, summary)
        self._state.record_poll(source.name)
        log.info("polled", extra=summary.__dict__)
        return summary

    async def _discover(
        self, source: Source, policy: RequestPolicy, summary: PollSummary
    ) -> list[Discovered]:
        if source.kind is SourceKind.ARTICLE:
            return [Discovered(url=str(u)) for u in source.urls]
        links: list[Discovered] = []
        queue = [(str(u), 0) for u in source.urls]
        while queue:
            url, depth = queue.pop(0)
            etag, modified = self._state.validators(url)
            try:
                result = await self._client.get(url, policy, etag=etag, last_modified=modified)
            except PermanentError as err:
                self._dead_letter(source, url, err, b"")
                summary.dead_lettered += 1
                continue
            if result.not_modified:
                summary.feed_not_modified += 1
                ARTICLES.labels(source.name, "feed_not_modified").inc()
                continue
            try:
                found = (
                    parse_feed(result.body, url=result.url)
                    if source.kind is SourceKind.FEED
                    else parse_sitemap(result.body, url=result.url)
                )
            except ExtractionError as err:
                self._dead_letter(source, url, err, result.body)
                summary.dead_lettered += 1
                continue
            for item in found:
                if item.is_sitemap:
                    if depth < _MAX_SITEMAP_DEPTH:
                        queue.append((item.url, depth + 1))
                else:
                    links.append(item)
            # Validators are saved only after the document parsed: a broken feed is re-fetched in full.
            self._state.save_validators(url, result.etag, result.last_modified)
        return links

    async def _article(
        self, source: Source, policy: RequestPolicy, link: Discovered, summary: PollSummary
    ) -> None:
        url = canonicalize_url(link.url)
        previous_hash = self._state.seen_hash(url)
        if previous_hash is not None and source.kind is not SourceKind.ARTICLE:
            summary.unchanged += 1
            ARTICLES.labels(source.name, "skipped_seen").inc()
            return
        body = b""
        try:
            result = await self._client.get(link.url, policy)
            body = result.body
            extracted = extract_article(
                result.body,
                url=result.url,
                content_type=result.content_type,
                site_timezone=source.timezone,
                now=datetime.now(UTC),
            )
        except TransientError as err:
            summary.transient_errors += 1
            ERRORS.labels(source.name, getattr(err, "kind", "unavailable")).inc()
            log.warning("page unavailable; retry next poll", extra={"url": link.url, "error": str(err)})
            return
        except PermanentError as err:
            self._dead_letter(source, link.url, err, body)
            summary.dead_lettered += 1
            return
        article = self._to_raw(source, link, url, extracted)
        if previous_hash is not None and previous_hash == article.content_hash:
            summary.unchanged += 1
            ARTICLES.labels(source.name, "skipped_unchanged").inc()
            return
        if article.duplicate_of:
            summary.duplicates += 1
            ARTICLES.labels(source.name, "near_duplicate").inc()
        await self._publisher.publish(article)
        # Only now, with the broker's acknowledgement in hand, is the URL remembered.
        self._state.mark_published(url, article.id, article.content_hash, source.name)
        summary.published += 1
        ARTICLES.labels(source.name, "published").inc()

    def _to_raw(self, source: Source, link: Discovered, url: str, ex: ExtractedArticle) -> RawArticle:
        canonical = canonicalize_url(ex.canonical_url, base=url) if ex.canonical_url else url
        aid = article_id(canonical)
        text = f"{ex.title}\n{ex.text}"
        duplicate_of = self._near.add(aid, ex.text)
        tags = list(dict.fromkeys([*ex.tags, *link.tags]))
        now = datetime.now(UTC)
        return RawArticle(
            id=aid,
            url=canonical,
            fetched_url=link.url,
            source=source.name,
            title=ex.title,
            body=ex.text,
            paragraphs=list(ex.paragraphs),
            byline=ex.byline,
            published_at=ex.published_at,
            date_source=ex.date_source,
            updated_at=ex.updated_at,
            lead_image=ex.lead_image,
            tags=tags,
            section=ex.section,
            language_hint=source.language,
            is_aggregator=source.aggregator or ex.is_aggregator_page,
            provenance=ex.provenance,
            content_hash=content_hash(text),
            simhash=f"{simhash64(ex.text):016x}",
            duplicate_of=duplicate_of if duplicate_of != aid else None,
            fetched_at=now,
            revision=int(time.time() * 1000),
        )

    def _dead_letter(self, source: Source, url: str, err: Exception, body: bytes) -> None:
        kind = getattr(err, "kind", type(err).__name__)
        ERRORS.labels(source.name, kind).inc()
        reason = getattr(err, "reason", str(err))
        self._dlq.publish(
            DeadLetter.build(
                stage=Stage.FETCHER,
                error=err,
                original=body[:1_000_000],
                key=url,
                url=url,
                reason=f"{source.name}: {reason}",
            )
        )
