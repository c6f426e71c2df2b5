"""Fetcher CLI.

python -m fetcher run        poll every source on its interval until stopped
python -m fetcher once       poll every source once, print a summary, exit
python -m fetcher fetch URL  fetch and extract one page, print the article as JSON
python -m fetcher validate   validate the sources file and exit
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime

from akhbar.errors import AkhbarError, TransientError
from akhbar.kafka import DeadLetterPublisher, ensure_topics, make_producer
from akhbar.logs import configure_logging
from akhbar.observability import Heartbeat, serve_observability
from fetcher.extract import extract_article
from fetcher.http import PoliteClient, RequestPolicy
from fetcher.poller import PollSummary, SourcePoller
from fetcher.publish import ArticlePublisher
from fetcher.settings import FetcherSettings
from fetcher.sources import Source, SourcesFileError, load_sources
from fetcher.state import FetcherState

log = logging.getLogger("fetcher")


async def _poll_forever(
    poller: SourcePoller,
    source: Source,
    stop: asyncio.Event,
    heartbeat: Heartbeat,
    state: FetcherState,
    totals: PollSummary,
) -> None:
    """Poll one source on its interval until ``stop``; a failing poll is logged, never fatal."""
    last = state.last_poll(source.name)
    delay = 0.0 if last is None else max(0.0, last + source.poll_interval_s - time.time())
    if delay:
        log.info("polled recently; waiting", extra={"source": source.name, "seconds": round(delay, 1)})
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
            return
        except TimeoutError:
            pass
        delay = source.poll_interval_s
        try:
            summary = await poller.poll(source)
        except TransientError as err:  # Kafka down while publishing: nothing was marked, retry later
            log.error("poll interrupted", extra={"source": source.name, "error": str(err)})
            delay = min(source.poll_interval_s, 30.0)
            continue
        except Exception:
            log.exception("poll failed", extra={"source": source.name})
            continue
        heartbeat.polled()
        _add(totals, summary)
        heartbeat.detail["totals"] = totals.as_dict()
        _progress(summary)


def _add(totals: PollSummary, summary: PollSummary) -> None:
    for name, value in summary.as_dict().items():
        if isinstance(value, int):
            setattr(totals, name, getattr(totals, name) + value)


def _progress(summary: PollSummary) -> None:
    print(json.dumps(summary.as_dict(), ensure_ascii=False), flush=True)


async def _serve(settings: FetcherSettings, sources: list[Source], *, once: bool) -> list[PollSummary]:
    ensure_topics(settings, [settings.topic_raw, settings.topic_dlq_fetcher])
    producer = make_producer(settings, client_id="akhbar-fetcher")
    state = FetcherState(settings.state_path)
    heartbeat = Heartbeat(stale_after_s=max(s.poll_interval_s for s in sources) * 3 + 60)
    heartbeat.detail["sources"] = len(sources)
    server = serve_observability(settings.metrics_host, settings.metrics_port, heartbeat.status)
    host, port = server.server_address[:2]
    log.info("observability on /metrics and /health", extra={"address": f"http://{host!s}:{port}"})
    client = PoliteClient.build_client(settings)
    poller = SourcePoller(
        PoliteClient(client, settings),
        ArticlePublisher(producer, settings.topic_raw),
        DeadLetterPublisher(producer, settings.topic_dlq_fetcher),
        state,
        near_duplicates=state.near_duplicate_index(max_items=settings.dedup_max_items),
        max_articles_per_poll=settings.max_articles_per_poll,
        rejected_retry_s=settings.rejected_retry_s,
    )
    summaries: list[PollSummary] = []
    totals = PollSummary("total")
    try:
        if once:
            for source in sources:
                summary = await poller.poll(source)
                summaries.append(summary)
                _add(totals, summary)
                heartbeat.polled()
            summaries.append(totals)
        else:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            log.info(
                "fetcher started", extra={"sources": [s.name for s in sources], "topic": settings.topic_raw}
            )
            await asyncio.gather(*(_poll_forever(poller, s, stop, heartbeat, state, totals) for s in sources))
            summaries.append(totals)
    finally:
        await client.aclose()
        producer.flush(timeout=30)
        producer.close(timeout=30)
        state.close()
        server.shutdown()
    return summaries


async def _fetch_one(
    settings: FetcherSettings, url: str, allow_private: bool, timezone: str
) -> dict[str, object]:
    async with PoliteClient.build_client(settings) as client:
        result = await PoliteClient(client, settings).get(url, RequestPolicy(allow_private=allow_private))
    extracted = extract_article(
        result.body,
        url=result.url,
        content_type=result.content_type,
        site_timezone=timezone,
        now=datetime.now(UTC),
    )
    return asdict(extracted)


def main(argv: list[str] | None = None) -> int:
    settings = FetcherSettings()
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
    fetch.add_argument("--allow-private", action="store_true", help="allow loopback/private hosts")
    fetch.add_argument("--timezone", default="UTC", help="site timezone for dates written without an offset")
    args = parser.parse_args(argv)
    configure_logging("fetcher", settings.log_level)
    try:
        if args.command == "fetch":
            doc = asyncio.run(_fetch_one(settings, args.url, args.allow_private, args.timezone))
            print(json.dumps(doc, ensure_ascii=False, indent=2, default=str))
            return 0
        sources = load_sources(args.sources)
        if args.command == "validate":
            print(f"{args.sources}: {len(sources)} sources OK")
            return 0
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
