"""One poll of one source: discover links, fetch new pages, extract, publish, remember.

Pure steps (extract, canonicalise, dedup, the size policy) are imported; this module
only wires them to the HTTP client, the sinks (fetcher.publish) and the state store.
Per-URL failures never stop the poll: permanent ones go to the fetcher's dead-letter
topic with the URL and reason (and the URL is not tried again for
``rejected_retry_s``), transient ones are retried on the next poll. A page that timed
out ``max_timeouts_per_url`` times in a row (counted in the state file) is dead-lettered
as ``timed out K times``.

Size: every article is cut to ``akhbar.limits.raw_article_budget`` before it is sent
(``truncated``, ``original_body_chars``), so a legal page of any length is published,
never refused. Should the broker refuse one anyway (a topic with a smaller
``max.message.bytes``), it is dead-lettered with that reason and remembered as rejected;
the next pages and sources keep flowing (``ReliableProducer`` replaces a producer that
the refusal made fatal). When the broker is unavailable, an extracted article goes to the
state's outbox (bounded by ``outbox_max_articles``) instead of being lost when its feed
scrolls on; the URL counts as handled, and every poll first publishes the outbox in order
and marks each article seen once acknowledged. Only when the outbox is full does the poll
stop with ``BrokerUnavailable``, nothing marked: the next poll tries again.

What is published: a URL never seen before; for ``article`` sources, a page
whose content hash changed since it was last published (a conditional GET
first, so an unchanged page usually costs a 304). Feed/sitemap items already
seen are skipped without a request. ``duplicate_of`` comes from a first-seen-wins
near-duplicate index rebuilt from the state file at start, and an article's
fingerprint is remembered only once the broker acknowledged it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from prometheus_client import Counter, Gauge

from akhbar.errors import BrokerUnavailable, ExtractionError, PermanentError
from akhbar.kafka import MessageTooLarge
from akhbar.limits import fit_article, raw_article_budget
from akhbar.messages import MAX_COPIES, Copy, DeadLetter, RawArticle, Stage, article_id, decode, encode
from akhbar.settings import CommonSettings
from fetcher.dedup import NearDuplicateIndex
from fetcher.errors import RepeatedTimeouts, SourceUnavailable
from fetcher.extract import ExtractedArticle, extract_article
from fetcher.feeds import Discovered, FeedDocument, parse_feed, parse_feed_document, parse_sitemap
from fetcher.http import FetchResult, PoliteClient, RequestPolicy
from fetcher.publish import ArticleSink, LetterSink
from fetcher.raw import body_fingerprint, build_raw_article, canonical_of
from fetcher.sources import Source, SourceKind
from fetcher.state import FetcherState, Queued
from fetcher.urls import canonicalize_url

log = logging.getLogger(__name__)

ARTICLES = Counter("akhbar_fetcher_articles_total", "Articles by outcome", ["source", "outcome"])
FETCHED = Counter(
    "akhbar_fetcher_fetched_total", "Documents fetched (2xx or 304), by role", ["source", "role"]
)
ERRORS = Counter("akhbar_fetcher_errors_total", "Failures by kind", ["source", "kind"])
TIMEOUTS = Counter(
    "akhbar_fetcher_timeouts_total", "Fetches (feeds and pages) that ran out of time", ["source"]
)
TRUNCATED = Counter(
    "akhbar_fetcher_truncated_total", "Articles whose body was cut to the size policy", ["source"]
)
OUTBOX = Gauge(
    "akhbar_fetcher_outbox_articles", "Articles extracted while the broker was away, waiting to be sent"
)

HubAdvertised = Callable[[Source, str, str], Awaitable[None]]
"""Told (source, topic, hub) whenever a polled feed names a WebSub hub (fetcher.websub)."""

BrokerStatus = Callable[[bool, str | None], None]
"""Told the outcome of every send: (True, None) on an ack, (False, error) when the broker is away."""

_MAX_SITEMAP_DEPTH = 2
_DEFAULT_MAX_MESSAGE_BYTES: int = CommonSettings.model_fields["max_message_bytes"].default


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
    skipped_rejected: int = 0
    timeouts: int = 0
    truncated: int = 0
    queued: int = 0  # put in the outbox: the broker was away
    drained: int = 0  # published from the outbox

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class _Prepared:
    """A page fetched and extracted, waiting for its turn to be published."""

    url: str
    previous_hash: str | None
    refetch: bool
    body: bytes
    result: FetchResult
    extracted: ExtractedArticle


def _policy(source: Source) -> RequestPolicy:
    return RequestPolicy(
        private_hosts=source.private_hosts,
        headers=source.headers,
        min_interval_s=1.0 / source.rate_limit_per_s,
    )


def _url_key(url: str) -> str:
    try:
        return canonicalize_url(url)
    except ValueError:
        return url  # dead-lettered as a bad URL by _prepare


class SourcePoller:
    def __init__(
        self,
        client: PoliteClient,
        publisher: ArticleSink,
        dlq: LetterSink,
        state: FetcherState,
        *,
        near_duplicates: NearDuplicateIndex | None = None,
        max_articles_per_poll: int = 200,
        rejected_retry_s: float = 86_400.0,
        max_article_bytes: int = raw_article_budget(_DEFAULT_MAX_MESSAGE_BYTES),
        max_timeouts_per_url: int = 3,
        concurrency: int = 8,
        outbox_max_articles: int = 10_000,
        probe_timeout_s: float = 2.0,
        broker_status: BrokerStatus | None = None,
        on_hub: HubAdvertised | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._client = client
        self._publisher = publisher
        self._dlq = dlq
        self._state = state
        self._near = near_duplicates if near_duplicates is not None else state.near_duplicate_index()
        self._max_articles = max_articles_per_poll
        self._rejected_retry_s = rejected_retry_s
        # feed/sitemap URL → fingerprint of its last dead-lettered failure (one letter per failure)
        self._feed_failures: dict[str, str] = {}
        self._max_article_bytes = max_article_bytes
        self._max_timeouts = max_timeouts_per_url
        self._concurrency = max(1, concurrency)
        self._outbox_max = outbox_max_articles
        self._probe_timeout_s = probe_timeout_s
        self._broker_down = False  # a send failed: queue without waiting for another timeout
        self._draining = asyncio.Lock()
        self._in_flight: set[str] = set()  # canonical URLs some poll is fetching or publishing now
        self._locks: dict[str, asyncio.Lock] = {}  # per source: a poll and a push never interleave
        self.on_hub = on_hub  # set by fetcher.websub when the fetcher has a callback URL
        OUTBOX.set(state.outbox_count())
        self._broker_status = broker_status or (lambda ok, error: None)
        self._clock = clock or (lambda: datetime.now(UTC))

    async def poll(self, source: Source) -> PollSummary:
        summary = PollSummary(source.name)
        async with self._source_lock(source):
            await self._drain(summary)
            policy = _policy(source)
            try:
                links = await self._discover(source, policy, summary)
            except SourceUnavailable as err:
                ERRORS.labels(source.name, err.kind).inc()
                summary.transient_errors += 1
                if err.timed_out:
                    summary.timeouts += 1
                    TIMEOUTS.labels(source.name).inc()
                self._state.record_poll(source.name, error=str(err))
                log.warning("source unavailable", extra={"source": source.name, "error": str(err)})
                return summary
            await self._process(source, policy, links, summary)
        self._state.record_poll(source.name)
        log.info("polled", extra=summary.as_dict())
        return summary

    async def pushed(self, source: Source, topic: str, body: bytes) -> PollSummary:
        """A feed document a WebSub hub pushed (fetcher.websub): its new items, as a poll would.

        Same path as a poll after discovery, under the same per-source lock, so a push and a poll of
        one source never interleave their publishes (first seen wins, D7). A body that is not a feed
        is dead-lettered once per distinct failure, like a broken polled feed.
        """
        summary = PollSummary(source.name)
        async with self._source_lock(source):
            await self._drain(summary)
            try:
                links = parse_feed(body, url=topic)
            except ExtractionError as err:
                await self._feed_failed(source, topic, err, body, summary)
                return summary
            await self._process(source, _policy(source), links, summary)
        log.info("pushed", extra=summary.as_dict())
        return summary

    def _source_lock(self, source: Source) -> asyncio.Lock:
        return self._locks.setdefault(source.name, asyncio.Lock())

    async def _process(
        self, source: Source, policy: RequestPolicy, links: list[Discovered], summary: PollSummary
    ) -> None:
        summary.discovered = len(links)
        # One fetch per URL per poll, across this source's feeds and sitemaps (by canonical URL) and
        # across sources polled at the same time (``_in_flight``): the same story listed by a feed
        # and a sitemap is fetched and published once.
        seen_urls: set[str] = set()
        unique = []
        for link in links[: self._max_articles]:
            key = _url_key(link.url)
            if key in seen_urls:
                continue
            seen_urls.add(key)
            if key in self._in_flight:
                summary.unchanged += 1
                ARTICLES.labels(source.name, "skipped_in_flight").inc()
                continue
            unique.append(link)
        claimed = {_url_key(link.url) for link in unique}
        self._in_flight |= claimed
        # Up to `concurrency` pages are fetched and extracted ahead; they are published one by one in
        # link order. A failure or a cancellation (SIGTERM) cancels what was fetched ahead, unpublished.
        ahead: deque[tuple[Discovered, asyncio.Task[_Prepared | None]]] = deque()
        try:
            for link in unique:
                ahead.append((link, asyncio.ensure_future(self._prepare(source, policy, link, summary))))
                if len(ahead) >= self._concurrency:
                    await self._publish_next(source, ahead, summary)
            while ahead:
                await self._publish_next(source, ahead, summary)
        finally:
            for _, task in ahead:
                task.cancel()
            self._in_flight -= claimed

    async def _discover(
        self, source: Source, policy: RequestPolicy, summary: PollSummary
    ) -> list[Discovered]:
        if source.kind is SourceKind.ARTICLE:
            return [Discovered(url=str(u)) for u in source.urls]
        links: list[Discovered] = []
        queue = [(str(u), 0) for u in source.urls]
        visited: set[str] = set()
        while queue:
            url, depth = queue.pop(0)
            if url in visited:
                continue
            visited.add(url)
            etag, modified = self._state.validators(url)
            try:
                result = await self._client.get(url, policy, etag=etag, last_modified=modified)
            except PermanentError as err:
                await self._feed_failed(source, url, err, b"", summary)
                continue
            FETCHED.labels(source.name, "feed").inc()
            if result.not_modified:
                summary.feed_not_modified += 1
                ARTICLES.labels(source.name, "feed_not_modified").inc()
                continue
            try:
                if source.kind is SourceKind.FEED:
                    document = parse_feed_document(result.body, url=result.url)
                    found = document.items
                    await self._hub_advertised(source, result, document)
                else:
                    found = parse_sitemap(result.body, url=result.url)
            except ExtractionError as err:
                await self._feed_failed(source, url, err, result.body, summary)
                continue
            self._feed_failures.pop(url, None)
            for item in found:
                if item.is_sitemap:
                    if depth < _MAX_SITEMAP_DEPTH:
                        queue.append((item.url, depth + 1))
                else:
                    links.append(item)
            # Validators are saved only after the document parsed: a broken feed is re-fetched in full.
            self._state.save_validators(url, result.etag, result.last_modified)
        return links

    async def _hub_advertised(self, source: Source, result: FetchResult, document: FeedDocument) -> None:
        """Tell the WebSub subscriber the hub and topic a feed names (its Link header first)."""
        hub = result.link("hub") or document.hub
        if hub is None or self.on_hub is None or not source.websub:
            return
        topic = result.link("self") or document.self_url or result.url
        try:
            await self.on_hub(source, topic, hub)
        except Exception:  # subscribing is an optimisation: polling goes on whatever it does
            log.exception("WebSub subscription failed", extra={"source": source.name, "hub": hub})

    async def _publish_next(
        self,
        source: Source,
        ahead: deque[tuple[Discovered, asyncio.Task[_Prepared | None]]],
        summary: PollSummary,
    ) -> None:
        link, task = ahead.popleft()
        prepared = await task
        if prepared is not None:
            await self._publish(source, link, prepared, summary)

    async def _feed_failed(
        self, source: Source, url: str, err: Exception, body: bytes, summary: PollSummary
    ) -> None:
        """Dead-letter a broken feed or sitemap once per distinct failure, not on every poll."""
        failure = hashlib.sha256(f"{type(err).__name__}:{err}".encode() + body).hexdigest()
        if self._feed_failures.get(url) == failure:
            summary.skipped_rejected += 1
            ARTICLES.labels(source.name, "feed_still_failing").inc()
            log.warning("feed still failing as dead-lettered before", extra={"url": url, "error": str(err)})
            return
        await self._dead_letter(source, url, err, body)
        self._feed_failures[url] = failure
        summary.dead_lettered += 1

    async def _article(
        self, source: Source, policy: RequestPolicy, link: Discovered, summary: PollSummary
    ) -> None:
        prepared = await self._prepare(source, policy, link, summary)
        if prepared is not None:
            await self._publish(source, link, prepared, summary)

    async def _prepare(
        self, source: Source, policy: RequestPolicy, link: Discovered, summary: PollSummary
    ) -> _Prepared | None:
        """Fetch and extract one page (runs concurrently with other pages); None when settled here."""
        try:
            url = canonicalize_url(link.url)
        except ValueError as err:
            await self._dead_letter(source, link.url, ExtractionError(f"bad URL: {err}", url=link.url), b"")
            summary.dead_lettered += 1
            return None
        refetch = source.kind is SourceKind.ARTICLE
        previous_hash = self._state.seen_hash(url)
        if previous_hash is not None and not refetch:
            summary.unchanged += 1
            ARTICLES.labels(source.name, "skipped_seen").inc()
            return None
        if self._state.queued(url):  # extracted during a broker outage, waiting in the outbox
            summary.unchanged += 1
            ARTICLES.labels(source.name, "skipped_queued").inc()
            return None
        rejected_at = self._state.rejected_since(url)
        if rejected_at is not None and time.time() - rejected_at < self._rejected_retry_s:
            summary.skipped_rejected += 1
            ARTICLES.labels(source.name, "skipped_rejected").inc()
            return None
        body = b""
        etag, modified = self._state.validators(link.url) if refetch and previous_hash else (None, None)
        try:
            result = await self._client.get(link.url, policy, etag=etag, last_modified=modified)
            FETCHED.labels(source.name, "page").inc()
            if self._state.timeout_count(url):
                self._state.clear_timeouts(url)
            if result.not_modified:
                summary.unchanged += 1
                ARTICLES.labels(source.name, "skipped_unchanged").inc()
                return None
            body = result.body
            # On a worker thread: a multi-megabyte page takes seconds to parse, and the loop keeps
            # beating (/livez), fetching for other sources and answering SIGTERM meanwhile.
            extracted = await asyncio.to_thread(
                extract_article,
                result.body,
                url=result.url,
                content_type=result.content_type,
                site_timezone=source.timezone,
                now=self._clock(),
            )
        except SourceUnavailable as err:
            await self._unavailable(source, link.url, url, err, summary)
            return None
        except PermanentError as err:
            await self._dead_letter(source, link.url, err, body, remember=url)
            summary.dead_lettered += 1
            return None
        except Exception as err:  # a bug or a page that trips a library: never lose the poll over one page
            log.exception("unexpected failure extracting a page", extra={"url": link.url})
            await self._dead_letter(source, link.url, err, body, remember=url, kind="internal")
            summary.dead_lettered += 1
            return None
        return _Prepared(url, previous_hash, refetch, body, result, extracted)

    async def _publish(self, source: Source, link: Discovered, p: _Prepared, summary: PollSummary) -> None:
        """Dedup, cut, publish and remember one page: in link order, so first seen wins (D7)."""
        url, previous_hash, refetch, body, result = p.url, p.previous_hash, p.refetch, p.body, p.result
        article, fingerprint = self._to_raw(source, link, url, p.extracted)
        article = self._first_copy_kept(article, url)
        if previous_hash is not None and previous_hash == article.content_hash:
            summary.unchanged += 1
            ARTICLES.labels(source.name, "skipped_unchanged").inc()
            if refetch:
                self._state.save_validators(link.url, result.etag, result.last_modified)
            return
        try:
            try:
                article = fit_article(article, self._max_article_bytes)
            except ValueError as err:  # does not fit even without its body (bounded title, tags)
                raise MessageTooLarge(f"article does not fit the size policy: {err}") from err
            if self._broker_down:  # known away: do not wait for one more timeout per article
                raise BrokerUnavailable("the broker did not answer the last send")
            await self._send(self._publisher.publish(article))
        except MessageTooLarge as err:
            await self._dead_letter(source, link.url, err, body, remember=url, kind="too_large")
            summary.dead_lettered += 1
            return
        except BrokerUnavailable:
            self._broker_down = True
            if not self._queue(Queued(url, source.name, encode(article).decode("utf-8"), fingerprint)):
                raise
            summary.queued += 1
            ARTICLES.labels(source.name, "queued").inc()
            return
        if article.truncated:
            summary.truncated += 1
            TRUNCATED.labels(source.name).inc()
        if article.duplicate_of:
            summary.duplicates += 1
            ARTICLES.labels(source.name, "near_duplicate").inc()
        # Only now, with the broker's acknowledgement in hand, are the URL and fingerprint remembered.
        self._near.restore(article.id, *fingerprint)
        self._state.mark_published(
            url,
            article.id,
            article.content_hash,
            source.name,
            fingerprint=fingerprint,
            first_seen=article.first_seen_at.timestamp() if article.first_seen_at else None,
            fetched_url=article.fetched_url,
        )
        if refetch:
            self._state.save_validators(link.url, result.etag, result.last_modified)
        summary.published += 1
        ARTICLES.labels(source.name, "published").inc()

    def _first_copy_kept(self, article: RawArticle, url: str) -> RawArticle:
        """Give a revision or a later copy the first copy's provenance and the list of copies.

        A syndicated copy whose canonical link names an article published before (same id) or the
        same article under another URL never overwrites where it was first seen: the message keeps
        the first copy's ``fetched_url``, ``source`` and ``first_seen_at`` and lists this copy in
        ``copies``. With unchanged content it is the same article with one more copy (a new
        revision, ``content_hash`` unchanged); with changed content, a new revision of it."""
        first = self._state.first_copy(article.id)
        count, known = self._state.copies(article.id, MAX_COPIES)
        copies = [Copy(url=u, source=s, seen_at=datetime.fromtimestamp(t, UTC)) for u, s, t in known]
        if first is None:
            return article.model_copy(update={"first_seen_at": article.fetched_at})
        update: dict[str, object] = {
            "fetched_url": first.url,
            "source": first.source,
            "first_seen_at": datetime.fromtimestamp(first.seen_at, UTC),
        }
        if first.key != url and all(c.url != url for c in copies):
            copies = [*copies, Copy(url=url, source=article.source, seen_at=article.fetched_at)][-MAX_COPIES:]
            count += 1
        return article.model_copy(update={**update, "copies": copies, "copy_count": count})

    def _queue(self, item: Queued) -> bool:
        queued = self._state.queue(item, max_items=self._outbox_max)
        OUTBOX.set(self._state.outbox_count())
        if not queued:
            log.error(
                "broker unavailable and the outbox is full; the article waits for the next poll",
                extra={"url": item.url, "outbox_max_articles": self._outbox_max},
            )
        return queued

    async def _drain(self, summary: PollSummary) -> None:
        """Publish the outbox in order before new work; one poll drains it, the others wait for it.

        While the broker is believed away, the first send is a short probe, so discovery (and the
        queueing of what a scrolling feed lists now) is never held up by a long send timeout."""
        if self._broker_down and self._draining.locked():
            return  # another poll is probing; this one queues its articles meanwhile
        async with self._draining:
            probe = self._broker_down
            while True:
                batch = self._state.outbox(limit=100)
                if not batch:
                    self._broker_down = False
                    return
                for item in batch:
                    try:
                        await self._drain_one(item, summary, self._probe_timeout_s if probe else None)
                        probe = False
                    except BrokerUnavailable as err:
                        self._broker_down = True
                        log.warning(
                            "broker still unavailable; outbox kept",
                            extra={"outbox": self._state.outbox_count(), "error": str(err)},
                        )
                        return
                    finally:
                        OUTBOX.set(self._state.outbox_count())

    async def _drain_one(self, item: Queued, summary: PollSummary, timeout_s: float | None) -> None:
        article = decode(RawArticle, item.article.encode("utf-8"))
        try:
            await self._send(self._publisher.publish(article, timeout_s=timeout_s))
        except MessageTooLarge as err:  # only if the topic shrank meanwhile: set aside with its reason
            ERRORS.labels(item.source, "too_large").inc()
            letter = DeadLetter.build(
                stage=Stage.FETCHER,
                error=err,
                original=item.article.encode("utf-8"),
                key=item.url,
                url=item.url,
                reason=f"{item.source}: {err}",
            )
            await self._send(self._dlq.apublish(letter))
            self._state.mark_rejected(item.url, item.source, "too_large", str(err))
            self._state.unqueue(item.url)
            summary.dead_lettered += 1
            return
        self._near.restore(article.id, *item.fingerprint)
        self._state.mark_published(
            item.url,
            article.id,
            article.content_hash,
            item.source,
            fingerprint=item.fingerprint,
            first_seen=article.first_seen_at.timestamp() if article.first_seen_at else None,
            fetched_url=article.fetched_url,
        )
        summary.drained += 1
        ARTICLES.labels(item.source, "drained").inc()

    def _to_raw(
        self, source: Source, link: Discovered, url: str, ex: ExtractedArticle
    ) -> tuple[RawArticle, tuple[str, int, str | None]]:
        aid = article_id(canonical_of(ex, url))
        body_hash, fingerprint = body_fingerprint(ex)
        known = self._near.known(aid)
        duplicate_of = known[0] if known is not None else self._near.match(body_hash, fingerprint)
        article = build_raw_article(
            ex,
            source=source,
            link=link,
            page_url=url,
            now=self._clock(),
            duplicate_of=duplicate_of,
            simhash=fingerprint,
        )
        return article, (body_hash, fingerprint, article.duplicate_of)

    async def _dead_letter(
        self,
        source: Source,
        url: str,
        err: Exception,
        body: bytes,
        *,
        remember: str | None = None,
        kind: str | None = None,
    ) -> None:
        kind = kind or getattr(err, "kind", None)
        if kind is None:
            kind = "extraction" if isinstance(err, ExtractionError) else type(err).__name__
        ERRORS.labels(source.name, kind).inc()
        reason = getattr(err, "reason", None) or str(err) or type(err).__name__
        # A large body is kept as a prefix with its size and SHA-256 (DeadLetter.build, and the
        # publisher bounds the letter to the size policy): a dead letter never fails for size.
        letter = DeadLetter.build(
            stage=Stage.FETCHER,
            error=err,
            original=body,
            key=url,
            url=url,
            reason=f"{source.name}: {reason}",
        )
        await self._send(self._dlq.apublish(letter))
        if remember is not None:
            self._state.mark_rejected(remember, source.name, kind, reason)

    async def _unavailable(
        self, source: Source, fetched_url: str, url: str, err: SourceUnavailable, summary: PollSummary
    ) -> None:
        """A transient page failure: retried next poll, unless it is the K-th timeout in a row."""
        ERRORS.labels(source.name, err.kind).inc()
        if err.timed_out:
            summary.timeouts += 1
            TIMEOUTS.labels(source.name).inc()
            count = self._state.record_timeout(url, source.name, err.reason)
            if count >= self._max_timeouts:
                await self._dead_letter(source, fetched_url, RepeatedTimeouts(count, err), b"", remember=url)
                summary.dead_lettered += 1
                return
        summary.transient_errors += 1
        log.warning("page unavailable; retry next poll", extra={"url": fetched_url, "error": str(err)})

    async def _send(self, send: Awaitable[None]) -> None:
        """Await one send, telling ``broker_status`` whether the broker answered."""
        try:
            await send
        except BrokerUnavailable as err:
            self._broker_status(False, str(err))
            raise
        except MessageTooLarge:
            self._broker_status(True, None)  # it answered, with a refusal
            raise
        self._broker_status(True, None)
