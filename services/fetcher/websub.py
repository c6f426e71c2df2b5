"""WebSub subscriber: the hub a feed advertises pushes the feed the moment it changes.

Why: a poll finds an article only at the next poll, so polling bounds freshness by the interval
(300 s by default; 5 s, the least a sources file allows, still leaves a p99 of ~5 s before the
page is even fetched) and costs a request per interval whether anything changed or not. WebSub
(W3C Recommendation, 2018; formerly PubSubHubbub) is what WordPress, Blogger, Medium and the
public hubs speak: the publisher pings its hub, the hub POSTs the new feed to every subscriber.
Polling goes on beside it at the source's interval, as the safety net for a lost notification.

What it does, by the Recommendation's sections:

* discovery (4): the hub and topic of a polled feed, HTTP ``Link`` header first, then the feed's
  own ``<link rel="hub">`` / ``rel="self"`` (fetcher.poller tells ``offer``);
* subscribing (5.1): a form POST to the hub with ``hub.callback`` = the public base URL plus a
  random token per subscription, ``hub.lease_seconds`` and a random ``hub.secret``; the hub's
  address passes the fetcher's SSRF guard like any page;
* verification of intent (5.3): the hub's GET is answered with its ``hub.challenge`` only for a
  token and topic we asked for; ``hub.mode=denied`` is recorded with its reason;
* content distribution (7, 8): a POST whose ``X-Hub-Signature`` HMAC does not match the secret is
  acknowledged (as the Recommendation requires) and ignored; a valid one is queued per source and
  its feed goes through the poller's own path (``SourcePoller.pushed``): same dedup, size policy,
  dead letters and ordering as a poll;
* the gap (5.3): what the source published between the poll that found the hub and the hub's
  verification is in neither that poll nor any push, so a newly verified subscription is followed
  by one catch-up poll of its source (queued in its push queue before the first push, so it runs
  under the same lock and in order);
* leases: renewed when a tenth is left; a refused, denied or never verified subscription is asked
  again after ``websub_retry_s``; subscriptions of sources no longer in the file (or with
  ``websub: false``) are unsubscribed at start.

Subscriptions live in the state file (``subscriptions``), so a restart keeps tokens and secrets.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from aiohttp import web
from prometheus_client import Counter, Gauge

from akhbar.errors import AkhbarError, PermanentError, TransientError
from fetcher.errors import SourceUnavailable
from fetcher.http import PoliteClient, RequestPolicy
from fetcher.poller import PollSummary, SourcePoller
from fetcher.settings import FetcherSettings
from fetcher.sources import Source, SourceKind
from fetcher.state import FetcherState, Subscription

log = logging.getLogger(__name__)

SUBSCRIPTIONS = Gauge("akhbar_fetcher_websub_subscriptions", "WebSub subscriptions by status", ["status"])
NOTIFICATIONS = Counter(
    "akhbar_fetcher_websub_notifications_total",
    "Content a WebSub hub pushed, by outcome (accepted, bad_signature, too_large, dropped, unknown)",
    ["source", "outcome"],
)

STATUSES = ("pending", "active", "failed", "denied", "unsubscribing")
_HASHES: dict[str, Callable[..., Any]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


def signature(secret: str, body: bytes, method: str = "sha256") -> str:
    """The ``X-Hub-Signature`` value a hub sends for ``body`` (``method=hexdigest``)."""
    return f"{method}={hmac.new(secret.encode(), body, _HASHES[method]).hexdigest()}"


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """True when ``header`` is an HMAC of ``body`` with ``secret`` by a method the Recommendation names."""
    method, _, digest = (header or "").strip().partition("=")
    method = method.lower()
    if method not in _HASHES or not digest:
        return False
    return hmac.compare_digest(signature(secret, body, method), f"{method}={digest.strip().lower()}")


class Subscriber:
    """Subscribes to hubs, answers them on the callback, hands pushed feeds to the poller."""

    def __init__(
        self,
        settings: FetcherSettings,
        client: PoliteClient,
        state: FetcherState,
        poller: SourcePoller,
        sources: list[Source],
        *,
        on_summary: Callable[[PollSummary], None] | None = None,
        detail: dict[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings, self._client, self._state, self._poller = settings, client, state, poller
        self._on_summary = on_summary or (lambda summary: None)
        self._detail = detail if detail is not None else {}  # /readyz shows the counts by status
        self._sources = {s.name: s for s in sources}
        self._clock = clock
        # per source: (topic, pushed body), or (topic, None) for a catch-up poll
        self._queues: dict[str, asyncio.Queue[tuple[str, bytes | None]]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self._count()

    # ---------------------------------------------------------------- subscribing

    def callback_url(self, token: str) -> str:
        return f"{self._settings.websub_callback_url}/{token}"

    async def offer(self, source: Source, topic: str, hub: str) -> None:
        """A poll found ``hub`` for ``topic``: subscribe unless a live or recent request covers it."""
        known = self._state.subscription(topic=topic)
        if known is not None and known.hub == hub and known.source == source.name:
            if known.status == "active" and not self._renewal_due(known):
                return
            if (
                known.status != "active"
                and self._clock() - known.requested_at < self._settings.websub_retry_s
            ):
                return
        await self._subscribe(source, topic, hub, known)

    def _renewal_due(self, sub: Subscription) -> bool:
        lease_until = sub.lease_until or 0.0
        return lease_until - self._clock() < self._settings.websub_lease_s / 10

    async def _subscribe(self, source: Source, topic: str, hub: str, known: Subscription | None) -> None:
        same_hub = known is not None and known.hub == hub
        sub = Subscription(
            topic=topic,
            source=source.name,
            hub=hub,
            # a new hub gets a new token: the old hub's pushes then meet 410 Gone and stop
            token=known.token if known is not None and same_hub else secrets.token_urlsafe(18),
            secret=known.secret if known is not None and same_hub else secrets.token_hex(32),
            status=known.status if known is not None and same_hub and known.status == "active" else "pending",
            requested_at=self._clock(),
            lease_until=known.lease_until if known is not None and same_hub else None,
        )
        # saved before asking: a hub may verify (GET the callback) before it answers the POST
        self._state.save_subscription(sub)
        error = await self._ask(sub, "subscribe", source)
        if error is not None:
            current = self._state.subscription(topic=topic) or sub
            self._state.save_subscription(replace(current, status="failed", error=error))
            log.warning(
                "WebSub subscription refused", extra={"source": source.name, "hub": hub, "error": error}
            )
        else:
            log.info(
                "WebSub subscription requested", extra={"source": source.name, "hub": hub, "topic": topic}
            )
        self._count()

    async def _ask(self, sub: Subscription, mode: str, source: Source | None) -> str | None:
        """Send a (un)subscription request; the error, or None when the hub accepted it."""
        form = {
            "hub.mode": mode,
            "hub.topic": sub.topic,
            "hub.callback": self.callback_url(sub.token),
        }
        if mode == "subscribe":
            form |= {"hub.lease_seconds": str(self._settings.websub_lease_s), "hub.secret": sub.secret}
        policy = RequestPolicy(private_hosts=source.private_hosts) if source is not None else RequestPolicy()
        try:
            status, answer = await self._client.post_form(sub.hub, form, policy)
        except (SourceUnavailable, PermanentError) as err:
            return str(err)
        if status in (202, 204):  # 204: a hub that verified synchronously
            return None
        return f"hub answered HTTP {status}: {answer.strip()[:200]}"

    async def reconcile(self) -> None:
        """At start: unsubscribe what no owned source with ``websub`` wants any more."""
        for sub in self._state.subscriptions():
            source = self._sources.get(sub.source)
            if source is not None and source.websub and source.kind is SourceKind.FEED:
                continue
            self._state.save_subscription(replace(sub, status="unsubscribing", requested_at=self._clock()))
            # a source gone from the file no longer vouches for a private hub address: public only
            error = await self._ask(sub, "unsubscribe", source)
            if error is not None:  # the lease runs out on its own; nothing of it is kept
                self._state.drop_subscription(sub.topic)
                log.info(
                    "WebSub unsubscribe not accepted; dropped", extra={"topic": sub.topic, "error": error}
                )
        self._count()

    async def maintain(self) -> None:
        """Renew leases before they end and ask again what was refused; runs until cancelled."""
        period = max(1.0, min(60.0, self._settings.websub_lease_s / 20, self._settings.websub_retry_s / 2))
        while True:
            await asyncio.sleep(period)
            now = self._clock()
            for sub in self._state.subscriptions():
                source = self._sources.get(sub.source)
                if source is None or sub.status == "unsubscribing":
                    continue
                due = (
                    self._renewal_due(sub)
                    if sub.status == "active"
                    else now - sub.requested_at >= self._settings.websub_retry_s
                )
                if due:
                    with contextlib.suppress(Exception):
                        await self._subscribe(source, sub.topic, sub.hub, sub)

    def _count(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for sub in self._state.subscriptions():
            counts[sub.status] = counts.get(sub.status, 0) + 1
        for status, n in counts.items():
            SUBSCRIPTIONS.labels(status).set(n)
        self._detail["websub"] = counts
        return counts

    async def run(self) -> None:
        """Unsubscribe what is no longer wanted, then keep the leases; runs until cancelled."""
        await self.reconcile()
        await self.maintain()

    # ---------------------------------------------------------------- the callback

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self._settings.max_body_bytes + 1)
        app.router.add_get("/{tail:.*}", self._verify)
        app.router.add_post("/{tail:.*}", self._notified)
        return app

    async def start(self) -> None:
        """Listen on ``websub_host:websub_port``; a port that cannot be bound stops the fetcher."""
        self._runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._settings.websub_host, self._settings.websub_port)
        try:
            await site.start()
        except OSError as err:
            await self._runner.cleanup()
            raise AkhbarError(
                f"cannot listen for WebSub on {self._settings.websub_host}:{self._settings.websub_port} "
                f"(AKHBAR_WEBSUB_HOST / AKHBAR_WEBSUB_PORT): {err}"
            ) from err
        server = site._server  # aiohttp exposes the bound port (websub_port 0) only here
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self._settings.websub_port
        log.info(
            "WebSub callback listening",
            extra={"port": self.port, "callback_url": self._settings.websub_callback_url},
        )

    async def stop(self) -> None:
        for task in self._workers.values():
            task.cancel()
        for task in self._workers.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._runner is not None:
            await self._runner.cleanup()

    def _subscription_of(self, request: web.Request) -> Subscription | None:
        token = request.match_info["tail"].rstrip("/").rsplit("/", 1)[-1]
        return self._state.subscription(token=token) if token else None

    async def _verify(self, request: web.Request) -> web.Response:
        sub = self._subscription_of(request)
        query = request.query
        mode, topic = query.get("hub.mode"), query.get("hub.topic")
        if sub is None or topic != sub.topic:
            return web.Response(status=404, text="unknown subscription\n")
        if mode == "denied":
            reason = query.get("hub.reason", "no reason given")
            self._state.save_subscription(replace(sub, status="denied", error=reason))
            log.warning("WebSub hub denied the subscription", extra={"topic": topic, "reason": reason})
            self._count()
            return web.Response(status=200, text="")
        challenge = query.get("hub.challenge")
        if not challenge:
            return web.Response(status=400, text="hub.challenge missing\n")
        if mode == "subscribe" and sub.status in ("pending", "active", "failed"):
            try:
                lease = int(query.get("hub.lease_seconds", str(self._settings.websub_lease_s)))
            except ValueError:
                return web.Response(status=400, text="hub.lease_seconds is not a number\n")
            self._state.save_subscription(
                replace(sub, status="active", lease_until=self._clock() + lease, error=None)
            )
            log.info("WebSub subscription verified", extra={"topic": topic, "lease_s": lease})
            source = self._sources.get(sub.source)
            if sub.status != "active" and source is not None:  # new, not a renewal: close the gap
                self._catch_up(source, topic)
        elif mode == "unsubscribe" and sub.status == "unsubscribing":
            self._state.drop_subscription(sub.topic)
            log.info("WebSub unsubscription verified", extra={"topic": topic})
        else:  # a mode we did not ask for: not confirmed (5.3.1)
            return web.Response(status=404, text=f"no {mode} was asked for\n")
        self._count()
        return web.Response(status=200, text=challenge, content_type="text/plain")

    async def _notified(self, request: web.Request) -> web.Response:
        sub = self._subscription_of(request)
        source = self._sources.get(sub.source) if sub is not None else None
        if sub is None or source is None or sub.status in ("denied", "unsubscribing"):
            NOTIFICATIONS.labels(sub.source if sub else "", "unknown").inc()
            return web.Response(status=410, text="no such subscription\n")  # the hub stops sending
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            NOTIFICATIONS.labels(source.name, "too_large").inc()
            log.warning("WebSub notification over max_body_bytes refused", extra={"source": source.name})
            return web.Response(status=413, text="too large\n")
        if not signature_valid(sub.secret, body, request.headers.get("X-Hub-Signature")):
            # 8: "subscribers MUST still return a 2xx success response ... but locally ignore the message"
            NOTIFICATIONS.labels(source.name, "bad_signature").inc()
            log.warning(
                "WebSub notification with a missing or wrong signature ignored", extra={"source": source.name}
            )
            return web.Response(status=202, text="")
        queue = self._queue(source)
        try:
            queue.put_nowait((sub.topic, body))
        except asyncio.QueueFull:
            NOTIFICATIONS.labels(source.name, "dropped").inc()
            log.warning("WebSub queue full; the next poll finds these items", extra={"source": source.name})
            return web.Response(status=202, text="")
        NOTIFICATIONS.labels(source.name, "accepted").inc()
        return web.Response(status=202, text="")

    def _catch_up(self, source: Source, topic: str) -> None:
        with contextlib.suppress(asyncio.QueueFull):  # a full queue: the next poll covers it
            self._queue(source).put_nowait((topic, None))

    def _queue(self, source: Source) -> asyncio.Queue[tuple[str, bytes | None]]:
        queue = self._queues.get(source.name)
        if queue is None:
            queue = self._queues[source.name] = asyncio.Queue(maxsize=self._settings.websub_queue)
            self._workers[source.name] = asyncio.create_task(self._work(source, queue))
        return queue

    async def _work(self, source: Source, queue: asyncio.Queue[tuple[str, bytes | None]]) -> None:
        """One source's pushed feeds and catch-up polls, one after another, through the poller."""
        while True:
            topic, body = await queue.get()
            try:
                if body is None:
                    self._on_summary(await self._poller.poll(source))
                else:
                    self._on_summary(await self._poller.pushed(source, topic, body))
            except TransientError as err:  # nothing was marked; the next poll or push tries again
                log.error(
                    "pushed feed interrupted",
                    extra={"source": source.name, "catch_up": body is None, "error": str(err)},
                )
            except Exception:
                log.exception("pushed feed failed", extra={"source": source.name, "catch_up": body is None})
