"""Indexer CLI.

    python -m indexer run          consume enriched articles into Elasticsearch (the service)
    python -m indexer replay-dlq   re-publish dead-lettered messages after a fix
    python -m indexer reindex      rebuild a new index version from the enriched topic (resumable)
    python -m indexer search "…"   search the read alias (filters, facets, highlights; --json)


``main`` only builds and runs; SIGINT/SIGTERM ask the loop to flush and stop.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from dataclasses import asdict

from kafka import KafkaConsumer

from akhbar.errors import TransientError
from akhbar.es import make_es, wait_for_es
from akhbar.kafka import (
    DeadLetterPublisher,
    ReliableProducer,
    await_partitions,
    ensure_topics,
    make_consumer,
    make_producer,
)
from akhbar.logs import configure_logging
from akhbar.observability import ServiceHealth, serve_observability, server_url
from akhbar.replay import ReplayFilter, parse_when, replay_from_settings
from akhbar.settings import settings_or_exit
from indexer.index_admin import ensure_index
from indexer.pipeline import BatchIndexer
from indexer.reindex import ReindexRefused, run_reindex
from indexer.search import SearchRejected, format_response, request_from, search
from indexer.settings import IndexerSettings

log = logging.getLogger("indexer")


def _run(args: argparse.Namespace, settings: IndexerSettings) -> int:
    es = make_es(settings)
    info = wait_for_es(es, timeout_s=args.wait_s)
    index = ensure_index(es, settings)
    ensure_topics(settings, [settings.topic_enriched, settings.topic_dlq_indexer])
    heartbeat = ServiceHealth("indexer", consumer=True, stall_after_s=settings.stall_after_s)
    server = serve_observability(settings.metrics_host, settings.metrics_port, heartbeat)
    producer = ReliableProducer(
        lambda: make_producer(settings, client_id="akhbar-indexer-dlq"), client="akhbar-indexer-dlq"
    )

    def new_consumer() -> KafkaConsumer:
        consumer = make_consumer(
            settings,
            group_id=settings.group_id,
            client_id="akhbar-indexer",
            max_poll_records=settings.max_batch_size,
        )
        await_partitions(consumer, settings.topic_enriched)  # join only with the topic's metadata
        return consumer

    consumer = new_consumer()
    indexer = BatchIndexer(
        consumer,
        es,
        DeadLetterPublisher(
            producer, settings.topic_dlq_indexer, max_message_bytes=settings.max_message_bytes
        ),
        settings,
        heartbeat=heartbeat,
        consumer_factory=new_consumer,
    )
    consumer.subscribe([settings.topic_enriched], listener=indexer.rebalance_listener())
    log.info(
        "indexer started",
        extra={
            "elasticsearch": info["version"],
            "index": index,
            "write_alias": settings.write_alias,
            "topic": settings.topic_enriched,
            "metrics": f"{server_url(server)}/metrics",
        },
    )
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: indexer.stop())
    try:
        indexer.run(max_messages=args.max_messages, idle_exit_s=args.idle_exit_s)
    finally:
        indexer.consumer.close(autocommit=False)
        producer.flush(timeout_s=10)
        producer.close(timeout_s=10)
        server.shutdown()
    log.info("indexer stopped", extra={"settled": indexer.settled})
    return 0


def _replay(args: argparse.Namespace, settings: IndexerSettings) -> int:
    dlq_topic = args.dlq_topic or settings.topic_dlq_indexer
    report = replay_from_settings(
        settings,
        dlq_topic,
        to_topic=args.to_topic,
        dry_run=args.dry_run,
        limit=args.limit,
        selection=ReplayFilter(
            reason_contains=args.reason_contains,
            error_class=args.error_class,
            since=args.since,
            until=args.until,
        ),
    )
    print(json.dumps({"dlq_topic": dlq_topic, **report.as_dict(), "dry_run": args.dry_run}))
    return 0


def _reindex(args: argparse.Namespace, settings: IndexerSettings) -> int:
    try:
        report = run_reindex(settings, wait_s=args.wait_s)
    except ReindexRefused as err:
        print(f"reindex refused: {err}", file=sys.stderr)
        return 1
    print(json.dumps(asdict(report), ensure_ascii=False))
    return 0


def _search(args: argparse.Namespace, settings: IndexerSettings) -> int:
    request = request_from(
        args.query,
        topics=args.topic,
        sources=args.source,
        entities=args.entity,
        languages=args.language,
        date_from=args.date_from,
        date_to=args.date_to,
        fresh=args.fresh,
        size=args.size,
        offset=args.offset,
        include_duplicates=not args.hide_duplicates,
        collapse_stories=args.collapse_stories,
        story=args.story,
    )
    es = make_es(settings)
    index = args.index or settings.read_alias
    try:
        response = search(es, request, index=index)
    except SearchRejected as err:
        hint = " (nothing indexed yet? `python -m indexer run` creates it)" if err.status == 404 else ""
        print(f"search on {index} refused: {err}{hint}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(response.to_json(), ensure_ascii=False, indent=2))
    else:
        print(format_response(request, response))
    return 0


def _add_search_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    find = sub.add_parser(
        "search",
        help="search indexed articles (Arabic-aware free text, filters, facets, highlights)",
        description="Free text over title/body (normalised, stemmed, proclitic-aware) with filters. "
        "Repeat a filter to OR its values. Example: "
        'python -m indexer search "وزارة الخارجية" --topic politics --entity PER:أحمد --fresh',
    )
    find.add_argument("query", nargs="?", default="", help="free text; empty = newest articles first")
    find.add_argument("--topic", action="append", default=[], help="topic code, e.g. politics")
    find.add_argument("--source", action="append", default=[], help="source name (or original source)")
    find.add_argument(
        "--entity", action="append", default=[], help="TYPE:name (PER, LOC, ORG, MISC) or just a name"
    )
    find.add_argument("--language", action="append", default=[], help="ISO 639-1 code, e.g. ar")
    find.add_argument("--from", dest="date_from", help="published at/after (ISO date or ES date math)")
    find.add_argument("--to", dest="date_to", help="published at/before (ISO date or ES date math)")
    find.add_argument("--fresh", action="store_true", help="rank recent articles higher (gauss decay)")
    find.add_argument("--hide-duplicates", action="store_true", help="leave out near-duplicates")
    find.add_argument("--collapse-stories", action="store_true", help="one hit per story")
    find.add_argument("--story", help="all coverage of one story (story_id), first seen first")
    find.add_argument("--size", type=int, default=10, help="hits per page")
    find.add_argument("--offset", type=int, default=0, help="hits to skip (paging)")
    find.add_argument("--index", help="index or alias to search (default: the read alias)")
    find.add_argument("--json", action="store_true", help="print the parsed response as JSON")


def main(argv: list[str] | None = None) -> int:
    settings = settings_or_exit(IndexerSettings)
    parser = argparse.ArgumentParser(prog="indexer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="consume enriched articles and index them")
    run.add_argument("--max-batch-size", type=int, default=settings.max_batch_size, help="documents per bulk")
    run.add_argument(
        "--max-batch-time-ms",
        type=int,
        default=settings.max_batch_time_ms,
        help="flush a partial batch after this many ms",
    )
    run.add_argument(
        "--max-messages", type=int, default=None, help="exit after N messages (tests, backfills)"
    )
    run.add_argument("--idle-exit-s", type=float, default=None, help="exit after N idle seconds")
    run.add_argument("--wait-s", type=float, default=120.0, help="how long to wait for Elasticsearch")
    replay = sub.add_parser("replay-dlq", help="re-publish dead-lettered messages to their input topic")
    replay.add_argument("--dlq-topic", help="default: the indexer's dead-letter topic")
    replay.add_argument("--to-topic", help="default: the topic each letter came from")
    replay.add_argument("--reason-contains", help="only letters whose reason contains this text")
    replay.add_argument("--error-class", help="only letters with this error class")
    replay.add_argument("--since", type=parse_when, help="ISO 8601 (UTC if no offset) or 2h/7d ago")
    replay.add_argument("--until", type=parse_when, help="ISO 8601 (UTC if no offset) or 2h/7d ago")
    replay.add_argument("--limit", type=int, help="replay at most N letters")
    replay.add_argument("--dry-run", action="store_true", help="count what would be replayed")
    rebuild = sub.add_parser(
        "reindex",
        help="rebuild a new index version from the enriched topic, then switch the aliases (zero downtime)",
    )
    rebuild.add_argument("--wait-s", type=float, default=120.0, help="how long to wait for Elasticsearch")
    _add_search_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "run":
        settings = settings.model_copy(
            update={"max_batch_size": args.max_batch_size, "max_batch_time_ms": args.max_batch_time_ms}
        )
    configure_logging("indexer", settings.log_level, settings.client_log_level)
    try:
        if args.command == "search":
            return _search(args, settings)
        if args.command == "replay-dlq":
            return _replay(args, settings)
        if args.command == "reindex":
            return _reindex(args, settings)
        return _run(args, settings)
    except TransientError as err:
        log.error("dependency unavailable", extra={"error": str(err)})
        return 3


if __name__ == "__main__":
    sys.exit(main())
