"""Fetcher CLI.

python -m fetcher run        poll every source on its interval until stopped
python -m fetcher once       poll every source once, print a summary, exit
python -m fetcher fetch URL  fetch and extract one page, print the article as JSON
python -m fetcher validate   validate the sources file and exit

With AKHBAR_FETCHER_SHARDS=n, run and once poll only the sources of shard AKHBAR_FETCHER_SHARD
(fetcher.shards); validate always checks the whole file.

run and once serve /livez, /readyz (= /health) and /metrics on metrics_host:metrics_port,
and stop on SIGTERM/SIGINT within shutdown_timeout_s (exit code 0).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
from typing import Any

from akhbar.errors import AkhbarError, TransientError
from akhbar.kafka import ensure_topics
from akhbar.logs import configure_logging
from akhbar.observability import ServiceHealth, serve_observability, server_url
from akhbar.settings import settings_or_exit
from fetcher.backoff import SourceBackoff
from fetcher.http import PoliteClient
from fetcher.poller import PollSummary, SourcePoller
from fetcher.settings import FetcherSettings
from fetcher.shards import owned_sources
from fetcher.sources import Source, SourcesFileError, load_sources
from fetcher.state import FetcherState
from fetcher.websub import Subscriber
from fetcher.wiring import fetch_page, make_fetcher_producer, make_poller

log = logging.getLogger("fetcher")


class _Run:
    """What the poll tasks share: the poller, health, totals and the timeout backoff."""

    def __init__(
        self, poller: SourcePoller, state: FetcherState, health: ServiceHealth, backoff: SourceBackoff
    ) -> None:
        self.poller, self.state, self.health, self.backoff = poller, state, health, backoff
        self.totals = PollSummary("total")
        self.summaries: list[PollSummary] = []

    def settled(self, summary: PollSummary, *, progress: bool) -> None:
        self.summaries.append(summary)
        _add(self.totals, summary)
        self.health.progressed()
        self.health.detail["totals"] = self.totals.as_dict()
        if progress:  # a line per poll while running; `once` prints its summaries at the end
            print(json.dumps(summary.as_dict(), ensure_ascii=False), flush=True)

    async def poll_forever(self, source: Source) -> None:
        """Poll one source until cancelled; a failing poll is logged, never fatal.

        The wait after a poll with timeouts grows exponentially (fetcher.backoff).
        """
        last = self.state.last_poll(source.name)
        delay = 0.0 if last is None else max(0.0, last + source.poll_interval_s - time.time())
        if delay:
            log.info("polled recently; waiting", extra={"source": source.name, "seconds": round(delay, 1)})
        while True:
            await asyncio.sleep(delay)
            try:
                summary = await self.poller.poll(source)
            except TransientError as err:  # Kafka down while publishing: nothing was marked, retry later
                log.error("poll interrupted", extra={"source": source.name, "error": str(err)})
                delay = min(source.poll_interval_s, 30.0)
                continue
            except Exception:
                log.exception("poll failed", extra={"source": source.name})
                delay = source.poll_interval_s
                continue
            delay = self.backoff.next_delay(
                source.name, source.poll_interval_s, timed_out=summary.timeouts > 0
            )
            if summary.timeouts:
                log.warning(
                    "source timing out; backing off",
                    extra={"source": source.name, "timeouts": summary.timeouts, "next_poll_s": delay},
                )
            self.settled(summary, progress=True)

    async def poll_once(self, sources: list[Source]) -> None:
        for source in sources:
            self.settled(await self.poller.poll(source), progress=False)


def _add(totals: PollSummary, summary: PollSummary) -> None:
    for name, value in summary.as_dict().items():
        if isinstance(value, int):
            setattr(totals, name, getattr(totals, name) + value)


async def _beat(health: ServiceHealth) -> None:
    """/livez: the loop is alive as long as this task gets to run."""
    while True:
        health.beat()
        await asyncio.sleep(1.0)


async def _serve(settings: FetcherSettings, sources: list[Source], *, once: bool) -> list[PollSummary]:
    """Poll until done (once) or until SIGTERM/SIGINT, then shut down within ``shutdown_timeout_s``.

    Shutdown cancels the poll tasks (in-flight fetches and sends with them; nothing unacknowledged
    was marked seen), then flushes and closes the producer with what is left of the budget.
    """
    ensure_topics(settings, [settings.topic_raw, settings.topic_dlq_fetcher])
    health = ServiceHealth("fetcher", consumer=False, stall_after_s=settings.stall_after_s)
    health.set_connected(True)  # the broker answered ensure_topics; each send updates this
    health.detail["sources"] = len(sources)
    if settings.fetcher_shards > 1:
        health.detail["shard"] = f"{settings.fetcher_shard} of {settings.fetcher_shards}"
    server = serve_observability(settings.metrics_host, settings.metrics_port, health)
    log.info("observability on /livez, /readyz and /metrics", extra={"address": server_url(server)})
    producer = make_fetcher_producer(settings)
    state = FetcherState(settings.state_path)
    client = PoliteClient.build_client(settings)
    polite = PoliteClient(client, settings)
    poller = make_poller(settings, polite, producer, state, broker_status=health.set_connected)
    run = _Run(poller, state, health, SourceBackoff(settings.max_source_backoff_s))
    subscriber: Subscriber | None = None
    if settings.websub_callback_url and not once:  # a one-shot poll cannot wait for pushes
        subscriber = Subscriber(
            settings,
            polite,
            state,
            poller,
            sources,
            on_summary=lambda s: run.settled(s, progress=True),
            detail=health.detail,
        )
        await subscriber.start()
        poller.on_hub = subscriber.offer
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    beat = asyncio.create_task(_beat(health))
    if once:
        work: asyncio.Future[Any] = asyncio.ensure_future(run.poll_once(sources))
    else:
        log.info("fetcher started", extra={"sources": [s.name for s in sources], "topic": settings.topic_raw})
        tasks = [run.poll_forever(s) for s in sources] + ([subscriber.run()] if subscriber else [])
        work = asyncio.gather(*tasks)
    stopping = asyncio.create_task(stop.wait())
    deadline: float | None = None
    try:
        await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if work.done():
            work.result()  # a crash of the polls themselves propagates
        else:
            deadline = loop.time() + settings.shutdown_timeout_s
            log.info("stopping", extra={"budget_s": settings.shutdown_timeout_s})
            work.cancel()
            await asyncio.wait({work}, timeout=settings.shutdown_timeout_s / 2)
            if work.done():  # retrieve the cancellation: no "exception was never retrieved" at exit
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    work.result()
    finally:
        for task in (beat, stopping):
            task.cancel()

        def left() -> float:
            return 30.0 if deadline is None else max(0.0, deadline - loop.time())

        if subscriber is not None:
            await subscriber.stop()
        await client.aclose()
        producer.flush(timeout_s=left() * 0.8)
        producer.close(timeout_s=left())
        state.close()
        server.shutdown()
        log.info("stopped", extra={"seconds_left": None if deadline is None else round(left(), 2)})
    if once:
        return [*run.summaries, run.totals]
    return [run.totals]


def main(argv: list[str] | None = None) -> int:
    settings = settings_or_exit(FetcherSettings)
    parser = argparse.ArgumentParser(
        prog="fetcher", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sources", default=settings.sources_file, help="sources YAML file")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("run", "poll continuously"),
        ("once", "poll each source once and exit"),
        ("validate", "validate the sources file"),
    ):
        # --sources is accepted before or after the command.
        sub.add_parser(name, help=text).add_argument(
            "--sources", default=argparse.SUPPRESS, help="sources YAML file"
        )
    fetch = sub.add_parser("fetch", help="fetch one URL and print the extracted article as JSON")
    fetch.add_argument("url")
    fetch.add_argument(
        "--allow-private",
        action="store_true",
        help="allow a loopback/private address for the URL's own host (never link-local/metadata)",
    )
    fetch.add_argument("--timezone", default="UTC", help="site timezone for dates written without an offset")
    args = parser.parse_args(argv)
    configure_logging("fetcher", settings.log_level, settings.client_log_level)
    try:
        if args.command == "fetch":
            doc = asyncio.run(
                fetch_page(settings, args.url, allow_private=args.allow_private, timezone=args.timezone)
            )
            print(json.dumps(doc, ensure_ascii=False, indent=2, default=str))
            return 0
        sources = load_sources(args.sources)
        if args.command == "validate":
            print(f"{args.sources}: {len(sources)} sources OK")
            return 0
        if settings.fetcher_shards > 1:
            every = len(sources)
            sources = owned_sources(sources, settings.fetcher_shard, settings.fetcher_shards)
            if not sources:
                print(
                    f"error: fetcher shard {settings.fetcher_shard} of {settings.fetcher_shards} owns none "
                    f"of the {every} sources in {args.sources}; run fewer shards",
                    file=sys.stderr,
                )
                return 2
            log.info(
                "fetcher shard",
                extra={
                    "shard": settings.fetcher_shard,
                    "shards": settings.fetcher_shards,
                    "owned": [s.name for s in sources],
                    "of": every,
                },
            )
        summaries = asyncio.run(_serve(settings, sources, once=args.command == "once"))
        for s in summaries if args.command == "once" else summaries[-1:]:
            print(json.dumps(s.as_dict(), ensure_ascii=False), flush=True)
        return 0
    except SourcesFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except TransientError as err:
        log.error("dependency unavailable", extra={"error": str(err)})
        return 3
    except AkhbarError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
