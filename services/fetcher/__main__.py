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
from dataclasses import asdict

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
    poller: SourcePoller, source: Source, stop: asyncio.Event, heartbeat: Heartbeat
) -> None:
    while not stop.is_set():
        await poller.poll(source)
        heartbeat.polled()
        try:
            await asyncio.wait_for(stop.wait(), timeout=source.poll_interval_s)
        except TimeoutError:
            pass


async def _serve(settings: FetcherSettings, sources: list[Source], *, once: bool) -> list[PollSummary]:
    ensure_topics(settings, [settings.topic_raw, settings.topic_dlq_fetcher])
    producer = make_producer(settings, client_id="akhbar-fetcher")
    state = FetcherState(settings.state_path)
    heartbeat = Heartbeat(stale_after_s=max(s.poll_interval_s for s in sources) * 3 + 60)
    server = serve_observability(settings.metrics_host, settings.metrics_port, heartbeat.status)
    client = PoliteClient.build_client(settings)
    poller = SourcePoller(
        PoliteClient(client, settings),
        ArticlePublisher(producer, settings.topic_raw),
        DeadLetterPublisher(producer, settings.topic_dlq_fetcher),
        state,
        max_articles_per_poll=settings.max_articles_per_poll,
    )
    summaries: list[PollSummary] = []
    try:
        if once:
            for source in sources:
                summaries.append(await poller.poll(source))
                heartbeat.polled()
        else:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            log.info(
                "fetcher started", extra={"sources": [s.name for s in sources], "topic": settings.topic_raw}
            )
            await asyncio.gather(*(_poll_forever(poller, s, stop, heartbeat) for s in sources))
    finally:
        await client.aclose()
        producer.flush(timeout=30)
        producer.close(timeout=30)
        state.close()
        server.shutdown()
    return summaries


async def _fetch_one(settings: FetcherSettings, url: str, allow_private: bool) -> dict[str, object]:
    async with PoliteClient.build_client(settings) as client:
        result = await PoliteClient(client, settings).get(url, RequestPolicy(allow_private=allow_private))
    extracted = extract_article(result.body, url=result.url, content_type=result.content_type)
    return asdict(extracted)


def main(argv: list[str] | None = None) -> int:
    settings = FetcherSettings()
    parser = argparse.ArgumentParser(
        prog="fetcher", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sources", default=settings.sources_file, help="sources YAML file")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="poll continuously")
    sub.add_parser("once", help="poll each source once and exit")
    sub.add_parser("validate", help="validate the sources file")
    fetch = sub.add_parser("fetch", help="fetch one URL and print the extracted article as JSON")
    fetch.add_argument("url")
    fetch.add_argument("--allow-private", action="store_true", help="allow loopback/private hosts")
    args = parser.parse_args(argv)
    configure_logging("fetcher", settings.log_level)
    try:
        if args.command == "fetch":
            doc = asyncio.run(_fetch_one(settings, args.url, args.allow_private))
            print(json.dumps(doc, ensure_ascii=False, indent=2, default=str))
            return 0
        sources = load_sources(args.sources)
        if args.command == "validate":
            print(f"{args.sources}: {len(sources)} sources OK")
            return 0
        summaries = asyncio.run(_serve(settings, sources, once=args.command == "once"))
        for s in summaries:
            print(json.dumps(asdict(s), ensure_ascii=False))
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
