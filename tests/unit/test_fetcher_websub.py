"""WebSub (fetcher.websub) against the fault suite's hub, on loopback: subscribe, verify, push.

The site, its hub and the subscriber's callback are real HTTP servers on 127.0.0.1; only the
broker is the in-memory sink of the other poller tests (Kafka is exercised by
tests/integration/test_fetcher_websub.py and the fault suite)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from fetcher.feeds import parse_feed_document
from fetcher.http import PoliteClient
from fetcher.poller import SourcePoller
from fetcher.settings import FetcherSettings
from fetcher.sources import Source
from fetcher.state import FetcherState, Subscription
from fetcher.websub import NOTIFICATIONS, Subscriber, signature, signature_valid
from tests.faults.procs import free_port
from tests.faults.site import StreamSite

from .test_fetcher_limits import Sink


def test_signatures_by_every_method_the_recommendation_names() -> None:
    body = "خبر عاجل".encode()
    for method in ("sha1", "sha256", "sha384", "sha512"):
        header = signature("s3cret", body, method)
        assert header.startswith(f"{method}=")
        assert signature_valid("s3cret", body, header)
        assert signature_valid("s3cret", body, header.upper().replace(method.upper(), method))
        assert not signature_valid("other", body, header)
        assert not signature_valid("s3cret", body + b" ", header)
    assert not signature_valid("s3cret", body, None)
    assert not signature_valid("s3cret", body, "")
    assert not signature_valid("s3cret", body, "md5=" + "0" * 32)
    assert not signature_valid("s3cret", body, "sha256=")


def test_feed_names_its_hub_and_topic() -> None:
    with StreamSite(n=1, rate_per_s=100, hub=True) as site:
        site.begin()
        body = site.feed_body("/feed.rss")
        assert body is not None
        doc = parse_feed_document(body, url=f"{site.base}/feed.rss")
        assert (doc.hub, doc.self_url) == (f"{site.base}/hub", f"{site.base}/feed.rss")
        assert [i.url for i in doc.items] == [f"{site.base}/a/00000.html"]
        response = httpx.get(f"{site.base}/feed.rss")
        assert response.headers["Link"] == (
            f'<{site.base}/hub>; rel="hub", <{site.base}/feed.rss>; rel="self"'
        )


class Rig:
    """A poller with the in-memory sink, a subscriber with its callback on a free loopback port."""

    def __init__(
        self,
        site: StreamSite,
        tmp: Path,
        *,
        clock: Callable[[], float] = time.time,
        sources: list[Source] | None = None,
        **env: Any,
    ) -> None:
        port = free_port()
        self.site = site
        self.settings = FetcherSettings(
            politeness_delay_s=0,
            max_retries=0,
            websub_callback_url=f"http://127.0.0.1:{port}/websub/",
            websub_host="127.0.0.1",
            websub_port=port,
            state_path=str(tmp / "state.sqlite3"),
            **env,
        )
        self.sink = Sink()
        self.state = FetcherState(self.settings.state_path)
        self.http = PoliteClient.build_client(self.settings)
        self.client = PoliteClient(self.http, self.settings)
        self.poller = SourcePoller(self.client, self.sink, self.sink, self.state)
        self.source = Source.model_validate(
            {
                "name": "stream",
                "kind": "feed",
                "urls": [f"{site.base}/feed.rss"],
                "allow_private_addresses": True,
                "rate_limit_per_s": 1000,
            }
        )
        self.summaries: list[Any] = []
        self.detail: dict[str, Any] = {}
        self.subscriber = Subscriber(
            self.settings,
            self.client,
            self.state,
            self.poller,
            [self.source] if sources is None else sources,
            on_summary=self.summaries.append,
            detail=self.detail,
            clock=clock,
        )
        self.poller.on_hub = self.subscriber.offer
        self.callback = self.settings.websub_callback_url

    async def __aenter__(self) -> Rig:
        await self.subscriber.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.subscriber.stop()
        await self.http.aclose()
        self.state.close()

    async def subscribed(self) -> Subscription:
        """Poll once (the feed names the hub) and wait for the hub's verification."""
        await self.poller.poll(self.source)
        await _until(lambda: self.subscription().status == "active", 5, "the hub's verification")
        return self.subscription()

    def subscription(self) -> Subscription:
        sub = self.state.subscription(topic=f"{self.site.base}/feed.rss")
        assert sub is not None
        return sub


async def _until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def _run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())


def _feed_gets(site: StreamSite) -> int:
    return sum(1 for r in site.requests if r.split("?")[0] == "/feed.rss")


def test_one_poll_subscribes_then_every_article_arrives_by_push(tmp_path: Path) -> None:
    async def test() -> None:
        with StreamSite(n=12, rate_per_s=6, hub=True) as site:
            site.begin()
            async with Rig(site, tmp_path) as rig:
                first = await rig.poller.poll(rig.source)
                assert first.published >= 1
                await _until(lambda: rig.subscription().status == "active", 5, "the hub's verification")
                sub = rig.subscription()
                assert sub.hub == f"{site.base}/hub" and sub.source == "stream"
                assert sub.lease_until is not None and sub.lease_until - time.time() > 86_000
                (request,) = site.hub.requests if site.hub else []
                assert request["hub.mode"] == "subscribe"
                assert request["hub.topic"] == f"{site.base}/feed.rss"
                assert request["hub.callback"] == f"{rig.callback}/{sub.token}"
                assert request["hub.secret"] == sub.secret and len(sub.secret) == 64
                assert request["hub.lease_seconds"] == "86400"
                assert rig.detail["websub"]["active"] == 1
                await _until(lambda: len(rig.sink.articles) == 12, 15, "all 12 articles")
                await _until(
                    lambda: sum(s.published for s in rig.summaries) == 12 - first.published,
                    5,
                    "the pushes' summaries",
                )
                # the poll that found the hub and one catch-up poll once verified; the rest was pushed
                assert _feed_gets(site) == 2
        urls = [a.fetched_url for a in rig.sink.articles]
        assert sorted(urls) == [f"{site.base}/a/{i:05d}.html" for i in range(12)]
        assert len(set(urls)) == 12
        assert {a.source for a in rig.sink.articles} == {"stream"}
        assert site.hub is not None
        (hub_sub,) = site.hub.active()
        assert hub_sub.pushes >= 1 and set(hub_sub.answers) == {202}

    _run(test)


def test_what_is_released_before_the_hub_verifies_comes_by_the_catch_up_poll(tmp_path: Path) -> None:
    """A slow hub verifies 0.6 s after the poll; the ~6 articles released meanwhile are pushed by
    no one (the hub pushes what comes after verifying) and the next poll is 300 s away."""

    async def test() -> None:
        with StreamSite(n=12, rate_per_s=10, hub=True) as site:
            assert site.hub is not None
            site.hub.verify_delay_s = 0.6
            site.begin()
            async with Rig(site, tmp_path) as rig:
                first = await rig.poller.poll(rig.source)
                await _until(lambda: rig.subscription().status == "active", 5, "the hub's verification")
                (hub_sub,) = site.hub.active()
                gap = hub_sub.sent_upto - first.published
                assert gap >= 3  # released after the poll, before the hub began pushing
                await _until(lambda: len(rig.sink.articles) == 12, 10, "all 12 articles")
                assert rig.summaries[0].published >= gap  # the catch-up poll, before any push
                assert _feed_gets(site) == 2
        urls = sorted(a.fetched_url for a in rig.sink.articles)
        assert urls == [f"{site.base}/a/{i:05d}.html" for i in range(12)]

    _run(test)


def test_a_push_with_a_wrong_signature_is_acknowledged_and_ignored(tmp_path: Path) -> None:
    async def test() -> None:
        with StreamSite(n=6, rate_per_s=10, hub=True) as site:
            assert site.hub is not None
            site.hub.forged = True
            site.begin()
            before = NOTIFICATIONS.labels("stream", "bad_signature")._value.get()
            async with Rig(site, tmp_path) as rig:
                await rig.poller.poll(rig.source)
                await _until(lambda: bool(site.hub and site.hub.active()), 5, "verification")
                await _until(lambda: len(rig.summaries) == 1, 5, "the catch-up poll")
                published = len(rig.sink.articles)
                await _until(lambda: site.done_releasing(), 5, "the releases")
                await _until(lambda: bool(site.hub.active()[0].pushes), 5, "a push")  # type: ignore[union-attr]
                await asyncio.sleep(0.3)
                assert len(rig.sink.articles) == published < 6
                assert set(site.hub.active()[0].answers) == {202}
            assert NOTIFICATIONS.labels("stream", "bad_signature")._value.get() > before

    _run(test)


def test_the_callback_confirms_only_what_was_asked(tmp_path: Path) -> None:
    async def test() -> None:
        with StreamSite(n=1, rate_per_s=10, hub=True) as site:
            site.begin()
            async with Rig(site, tmp_path) as rig:
                sub = await rig.subscribed()
                async with httpx.AsyncClient() as http:

                    async def verify(token: str, **query: str) -> httpx.Response:
                        params = {
                            "hub.challenge": "c-42",
                            **{k.replace("_", ".", 1): v for k, v in query.items()},
                        }
                        return await http.get(f"{rig.callback}/{token}", params=params)

                    topic = sub.topic
                    assert (await verify("nope", hub_mode="subscribe", hub_topic=topic)).status_code == 404
                    wrong_topic = await verify(sub.token, hub_mode="subscribe", hub_topic=topic + "?x")
                    assert wrong_topic.status_code == 404
                    unasked = await verify(sub.token, hub_mode="unsubscribe", hub_topic=topic)
                    assert unasked.status_code == 404
                    renewed = await verify(
                        sub.token, hub_mode="subscribe", hub_topic=topic, hub_lease_seconds="600"
                    )
                    assert (renewed.status_code, renewed.text) == (200, "c-42")
                    assert abs((rig.subscription().lease_until or 0) - (time.time() + 600)) < 5
                    # a push to an unknown token: 410 Gone tells the hub to stop
                    gone = await http.post(f"{rig.callback}/nope", content=b"<rss/>")
                    assert gone.status_code == 410
                    # over max_body_bytes: 413, nothing read further
                    big = b"x" * (rig.settings.max_body_bytes + 10)
                    too_large = await http.post(f"{rig.callback}/{sub.token}", content=big)
                    assert too_large.status_code == 413
                    # signed, but not a feed: dead-lettered once with the reason
                    junk = b"<html>not a feed</html>"
                    headers = {"X-Hub-Signature": signature(sub.secret, junk)}
                    accepted = await http.post(f"{rig.callback}/{sub.token}", content=junk, headers=headers)
                    assert accepted.status_code == 202
                    await _until(lambda: len(rig.sink.letters) == 1, 5, "the dead letter")
                    (letter,) = rig.sink.letters
                    assert letter.url == topic and "not a feed" in letter.reason

    _run(test)


def test_denied_is_recorded_and_asked_again_only_after_retry_s(tmp_path: Path) -> None:
    now = [time.time()]

    async def test() -> None:
        with StreamSite(n=1, rate_per_s=10, hub=True) as site:
            site.begin()
            async with Rig(site, tmp_path, clock=lambda: now[0], websub_retry_s=600) as rig:
                sub = await rig.subscribed()
                async with httpx.AsyncClient() as http:
                    denied = await http.get(
                        f"{rig.callback}/{sub.token}",
                        params={"hub.mode": "denied", "hub.topic": sub.topic, "hub.reason": "quota"},
                    )
                assert denied.status_code == 200
                assert (rig.subscription().status, rig.subscription().error) == ("denied", "quota")
                assert rig.detail["websub"]["denied"] == 1
                assert site.hub is not None
                await rig.subscriber.offer(rig.source, sub.topic, sub.hub)
                assert len(site.hub.requests) == 1  # within websub_retry_s: not asked again
                now[0] += 601
                await rig.subscriber.offer(rig.source, sub.topic, sub.hub)
                assert len(site.hub.requests) == 2
                await _until(lambda: rig.subscription().status == "active", 5, "the second verification")
                assert rig.subscription().token == sub.token  # same hub: same callback and secret

    _run(test)


def test_a_hub_that_refuses_leaves_the_reason_and_polling_goes_on(tmp_path: Path) -> None:
    async def test() -> None:
        with StreamSite(n=2, rate_per_s=100, hub=True) as site:
            site.begin()
            await asyncio.sleep(0.05)
            async with Rig(site, tmp_path) as rig:
                refused = rig.source.model_copy(update={"name": "stream"})
                await rig.subscriber.offer(refused, "https://elsewhere.example.org/feed", f"{site.base}/hub")
                sub = rig.state.subscription(topic="https://elsewhere.example.org/feed")
                assert sub is not None and sub.status == "failed"
                assert sub.error == "hub answered HTTP 400: this hub serves only its own site's topics"
                summary = await rig.poller.poll(rig.source)
                assert summary.published == 2

    _run(test)


def test_a_restart_keeps_the_subscription_and_a_removed_source_is_unsubscribed(tmp_path: Path) -> None:
    async def test() -> None:
        with StreamSite(n=1, rate_per_s=10, hub=True) as site:
            site.begin()
            async with Rig(site, tmp_path) as rig:
                sub = await rig.subscribed()
            assert site.hub is not None
            async with Rig(site, tmp_path) as again:  # same state file, the source still wanted
                await again.subscriber.reconcile()
                await again.subscriber.offer(again.source, sub.topic, sub.hub)
                assert again.subscription() == sub
                assert len(site.hub.requests) == 1
            unwanted = again.source.model_copy(update={"websub": False})
            async with Rig(site, tmp_path, sources=[unwanted]) as removed:
                await removed.subscriber.reconcile()
                unsub = site.hub.requests[-1]
                assert (unsub["hub.mode"], unsub["hub.topic"]) == ("unsubscribe", sub.topic)
                # the subscriber drops its row while answering; the hub forgets it once answered
                await _until(
                    lambda: removed.state.subscriptions() == [] and not site.hub.active(),  # type: ignore[union-attr]
                    5,
                    "the unsubscription",
                )
            # a source gone from the file: its private hub is not asked (the guard), the row is dropped
            async with Rig(site, tmp_path) as third:
                await third.subscribed()
            asked = len(site.hub.requests)
            async with Rig(site, tmp_path, sources=[]) as gone:
                await gone.subscriber.reconcile()
                assert gone.state.subscriptions() == [] and len(site.hub.requests) == asked

    _run(test)


@pytest.mark.parametrize("value", ["ftp://x", "akhbar.example.org"])
def test_callback_url_must_be_http(value: str) -> None:
    with pytest.raises(ValueError, match="websub_callback_url"):
        FetcherSettings(websub_callback_url=value)
