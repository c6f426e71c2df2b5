"""`akhbar status --json` and `akhbar dlq list|show|replay` on a real Kafka and Elasticsearch.

Every name (topics, groups, index prefix) is the test's own, passed the way an operator would:
through the environment.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer

from akhbar.cli import cli
from akhbar.devsite import DevSite
from akhbar.errors import InvalidMessage
from akhbar.kafka import DeadLetterPublisher, ensure_topics, make_producer
from akhbar.messages import DeadLetter, Stage, decode
from akhbar.settings import CommonSettings
from enricher.enrich import installed_model_versions
from indexer.settings import IndexerSettings

from .indexer_kit import article, produce, run_indexer

ROOT = Path(__file__).resolve().parents[2]


def _env(settings: CommonSettings, unique_name: str, **extra: str) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "ELASTICSEARCH_URL": settings.elasticsearch_url,
        "AKHBAR_TOPIC_RAW": f"{unique_name}.raw",
        "AKHBAR_TOPIC_ENRICHED": settings.topic_enriched,
        "AKHBAR_TOPIC_DLQ_FETCHER": f"{unique_name}.dlq-fetcher",
        "AKHBAR_TOPIC_DLQ_ENRICHER": f"{unique_name}.dlq-enricher",
        "AKHBAR_TOPIC_DLQ_INDEXER": settings.topic_dlq_indexer,
        "AKHBAR_APP_ID": f"{unique_name}-enricher",
        **extra,
    }


def _run(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.mark.kafka
@pytest.mark.elasticsearch
def test_status_json_reports_topics_lag_dead_letters_indices_and_models(
    settings: IndexerSettings, es: Elasticsearch, unique_name: str
) -> None:
    produce(settings, [b"{broken", *(article(n) for n in range(4))])
    run_indexer(settings, es, expect=5)
    es.indices.refresh(index=[settings.read_alias, settings.stories_index])  # status counts what searches see
    env = _env(
        settings, unique_name, AKHBAR_INDEX_PREFIX=settings.index_prefix, AKHBAR_GROUP_ID=settings.group_id
    )
    result = _run(env, "status", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    kafka = report["kafka"]
    enriched, dlq = kafka["topics"][1], kafka["topics"][4]
    assert [(t["topic"], t["role"]) for t in kafka["topics"]] == [
        (f"{unique_name}.raw", "raw"),
        (settings.topic_enriched, "enriched"),
        (f"{unique_name}.dlq-fetcher", "dlq.fetcher"),
        (f"{unique_name}.dlq-enricher", "dlq.enricher"),
        (settings.topic_dlq_indexer, "dlq.indexer"),
    ]
    assert [t["partitions"] for t in kafka["topics"]] == [0, 3, 0, 0, 3]  # raw and the other DLQs: never made
    assert (sum(enriched["end_offsets"]), enriched["messages"]) == (5, 5)
    assert (sum(dlq["end_offsets"]), dlq["messages"]) == (1, 1)
    assert kafka["dead_letters"] == {"fetcher": 0, "enricher": 0, "indexer": 1}
    # the indexer left the group on close: Empty (a rebalance may still be finishing under load)
    assert kafka["groups"][1].pop("state") in ("Empty", "PreparingRebalance")
    assert kafka["groups"][1].pop("members") in (0, 1)
    assert kafka["groups"] == [
        {
            "group": f"{unique_name}-enricher",
            "service": "enricher",
            "topic": f"{unique_name}.raw",
            "state": "Dead",  # no such group: no enricher ever ran
            "members": 0,
            "committed": [],
            "lag": [],
            "total_lag": 0,
            "error": None,
        },
        {
            "group": settings.group_id,
            "service": "indexer",
            "topic": settings.topic_enriched,
            # every partition committed up to its end; one that got no message has nothing committed
            "committed": [e or None for e in enriched["end_offsets"]],
            "lag": [0, 0, 0],
            "total_lag": 0,
            "error": None,
        },
    ]
    v1, read, write = f"{settings.index_prefix}-v1", settings.read_alias, settings.write_alias
    story_ids = es.search(index=read, size=0, aggs={"s": {"terms": {"field": "story_id", "size": 100}}}).body[
        "aggregations"
    ]["s"]["buckets"]
    assert 1 <= len(story_ids) <= 4 and sum(b["doc_count"] for b in story_ids) == 4  # every article has one
    assert report["elasticsearch"] == {
        "url": settings.elasticsearch_url,
        "read_alias": {"name": read, "indices": [v1]},
        "write_alias": {"name": write, "indices": [v1]},
        "indices": [{"index": v1, "documents": 4, "aliases": [read, write]}],
        "stories": {"index": settings.stories_index, "stories": len(story_ids)},  # one document per story
        "model_versions": {
            "language": {},
            "ner": {},
            "topics": {},
            "entities": {},
        },  # the kit's articles carry none
    }
    assert report["models"] == installed_model_versions()
    assert report["errors"] == []

    # the lag shows up once there is something unread
    produce(settings, [article(10)])
    lagging = json.loads(_run(env, "status", "--json").stdout)["kafka"]["groups"][1]
    assert lagging["total_lag"] == 1


FAILED = [datetime(2026, 12, 1, h, 0, tzinfo=UTC) for h in (8, 9, 10, 11)]
PAGE = b"<html><body>not here</body></html>"
RAW = b'{"schema_version": 1, "id": "k1", "url": "https://news.example.org/1"}'


def _letters(unique_name: str) -> list[tuple[str, DeadLetter]]:
    return [
        (
            "fetcher",
            DeadLetter(
                stage=Stage.FETCHER,
                error_class="FetchRefused",
                reason="HTTP 404 for https://news.example.org/gone",
                original_b64=base64.b64encode(PAGE).decode(),
                url="https://news.example.org/gone",
                failed_at=FAILED[0],
            ),
        ),
        (
            "enricher",
            DeadLetter(
                stage=Stage.ENRICHER,
                error_class="InvalidMessage",
                reason="RawArticle invalid at title: Field required (1 error(s))",
                original_b64=base64.b64encode(RAW).decode(),
                original_key="k1",
                topic=f"{unique_name}.raw",
                partition=0,
                offset=5,
                failed_at=FAILED[1],
            ),
        ),
        (
            "indexer",
            DeadLetter(
                stage=Stage.INDEXER,
                error_class="DocumentRejected",
                reason="document contains an immense term in field tags",
                original_b64=base64.b64encode(b'{"id": "k2"}').decode(),
                original_key="k2",
                topic=f"{unique_name}.enriched",
                partition=1,
                offset=7,
                failed_at=FAILED[2],
            ),
        ),
        (
            "indexer",
            DeadLetter(
                stage=Stage.INDEXER,
                error_class="InvalidMessage",
                reason="not UTF-8 JSON: Expecting value",
                original_b64=base64.b64encode(b"\xff\xfe").decode(),
                original_key="junk",
                topic=f"{unique_name}.enriched",
                partition=2,
                offset=0,
                failed_at=FAILED[3],
            ),
        ),
    ]


@pytest.fixture
def dead_lettered(kafka_bootstrap: str, unique_name: str) -> dict[str, str]:
    """Four letters over three one-partition dead-letter topics, and one record that is no letter."""
    settings = CommonSettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        topic_dlq_fetcher=f"{unique_name}.dlq-fetcher",
        topic_dlq_enricher=f"{unique_name}.dlq-enricher",
        topic_dlq_indexer=f"{unique_name}.dlq-indexer",
        topic_partitions=1,
    )
    topics = {s: str(getattr(settings, f"topic_dlq_{s}")) for s in ("fetcher", "enricher", "indexer")}
    ensure_topics(settings, [*topics.values(), f"{unique_name}.replayed"])
    producer = make_producer(settings, client_id="test-cli-dlq")
    try:
        for stage, letter in _letters(unique_name):
            DeadLetterPublisher(producer, topics[stage]).publish(letter)
        producer.send(topics["indexer"], key=b"x", value=b"not an envelope").get(timeout=30)
    finally:
        producer.close()
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "AKHBAR_TOPIC_DLQ_FETCHER": topics["fetcher"],
        "AKHBAR_TOPIC_DLQ_ENRICHER": topics["enricher"],
        "AKHBAR_TOPIC_DLQ_INDEXER": topics["indexer"],
    }


def _row(ref: str, letter: DeadLetter) -> dict[str, Any]:
    return {
        "ref": ref,
        "stage": letter.stage.value,
        "failed_at": letter.failed_at.isoformat().replace("+00:00", "Z"),
        "error_class": letter.error_class,
        "reason": letter.reason,
        "url": letter.url,
        "key": letter.original_key,
        "topic": letter.topic,
        "partition": letter.partition,
        "offset": letter.offset,
        "original_size": None,
    }


@pytest.mark.kafka
def test_dlq_list_filters_by_stage_reason_and_time(dead_lettered: dict[str, str], unique_name: str) -> None:
    letters = [letter for _, letter in _letters(unique_name)]
    result = _run(dead_lettered, "dlq", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        _row("fetcher:0:0", letters[0]),
        _row("enricher:0:0", letters[1]),
        _row("indexer:0:0", letters[2]),
        _row("indexer:0:1", letters[3]),
        {
            "ref": "indexer:0:2",
            "stage": "indexer",
            "error_class": "<unreadable>",
            "reason": _decode_error(f"{unique_name}.dlq-indexer", 2),
        },
    ]
    only = _run(dead_lettered, "dlq", "list", "--stage", "indexer", "--reason", "DocumentRejected")
    assert only.stdout == (
        "REF          FAILED AT            ERROR CLASS       REASON                                           URL / ID\n"
        "indexer:0:0  2026-12-01T10:00:00  DocumentRejected  document contains an immense term in field tags  k2\n"
    )
    window = _run(
        dead_lettered, "dlq", "list", "--json", "--since", "2026-12-01T08:30", "--until", "2026-12-01T10:00"
    )
    assert [json.loads(line)["ref"] for line in window.stdout.splitlines()] == ["enricher:0:0", "indexer:0:0"]
    by_text = _run(dead_lettered, "dlq", "list", "--json", "--reason", "404")
    assert [json.loads(line)["ref"] for line in by_text.stdout.splitlines()] == ["fetcher:0:0"]
    none = _run(dead_lettered, "dlq", "list", "--since", "1h")
    assert (none.exit_code, none.stdout, none.stderr) == (0, "", "no dead letters match\n")


def _decode_error(topic: str, offset: int) -> str:
    """What the contract's decoder says about a record that is no envelope (the row shows it)."""
    try:
        decode(DeadLetter, b"not an envelope", topic=topic, partition=0, offset=offset)
    except InvalidMessage as err:
        return str(err)
    raise AssertionError("a record that is no envelope decoded")


@pytest.mark.kafka
def test_dlq_show_prints_one_letter_with_its_original(
    dead_lettered: dict[str, str], unique_name: str
) -> None:
    result = _run(dead_lettered, "dlq", "show", "enricher:0:0")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "ref": "enricher:0:0",
        "dlq_topic": f"{unique_name}.dlq-enricher",
        "schema_version": 1,
        "stage": "enricher",
        "error_class": "InvalidMessage",
        "reason": "RawArticle invalid at title: Field required (1 error(s))",
        "original_key": "k1",
        "topic": f"{unique_name}.raw",
        "partition": 0,
        "offset": 5,
        "failed_at": "2026-12-01T09:00:00Z",
        "original": {"json": {"schema_version": 1, "id": "k1", "url": "https://news.example.org/1"}},
    }
    page = json.loads(_run(dead_lettered, "dlq", "show", "fetcher:0:0").stdout)
    assert page["original"] == {"text": PAGE.decode()} and page["url"] == "https://news.example.org/gone"
    binary = json.loads(_run(dead_lettered, "dlq", "show", "indexer:0:1").stdout)
    assert binary["original"] == {"base64": "//4="}
    missing = _run(dead_lettered, "dlq", "show", "indexer:0:9")
    assert missing.exit_code == 1
    assert missing.stderr == f"error: no letter indexer:0:9 in {unique_name}.dlq-indexer\n"


@pytest.mark.kafka
def test_dlq_replay_sends_the_selected_originals(dead_lettered: dict[str, str], unique_name: str) -> None:
    target = f"{unique_name}.replayed"
    dry = _run(
        dead_lettered,
        "dlq",
        "replay",
        "--stage",
        "indexer",
        "--reason",
        "immense",
        "--to-topic",
        target,
        "--dry-run",
    )
    assert dry.exit_code == 0, dry.stderr
    assert json.loads(dry.stdout) == {
        "stage": "indexer",
        "dlq_topic": f"{unique_name}.dlq-indexer",
        "read": 3,
        "replayed": 1,
        "skipped": 1,
        "unreadable": 1,
        "incomplete": 0,
        "dry_run": True,
    }
    done = _run(
        dead_lettered,
        "dlq",
        "replay",
        "--stage",
        "indexer",
        "--stage",
        "enricher",
        "--since",
        "2026-12-01T09:30",
        "--to-topic",
        target,
    )
    assert [(r["stage"], r["replayed"], r["skipped"]) for r in map(json.loads, done.stdout.splitlines())] == [
        ("indexer", 2, 0),
        ("enricher", 0, 1),
    ]
    consumer = KafkaConsumer(
        target,
        bootstrap_servers=dead_lettered["KAFKA_BOOTSTRAP_SERVERS"],
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
    )
    try:
        got = sorted((m.key, m.value) for m in consumer)
    finally:
        consumer.close()
    assert got == [(b"junk", b"\xff\xfe"), (b"k2", b'{"id": "k2"}')]


TITLE = "المنتخب الوطني يفوز على ضيفه بثلاثة أهداف في تصفيات كأس آسيا"


@pytest.mark.kafka
def test_fetch_prints_the_article_and_publishes_only_when_asked(
    kafka_bootstrap: str, unique_name: str, tmp_path: Path
) -> None:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "AKHBAR_TOPIC_RAW": f"{unique_name}.raw",
        "AKHBAR_TOPIC_DLQ_FETCHER": f"{unique_name}.dlq-fetcher",
        "AKHBAR_STATE_PATH": str(tmp_path / "state.sqlite3"),
        "AKHBAR_POLITENESS_DELAY_S": "0",
        "AKHBAR_CONTACT": "tests@akhbar.invalid",
    }
    with DevSite(ROOT / "tests/fixtures/e2e") as site:
        url = f"{site.base}/sport/2026/qualifiers.html"
        plain = _run(env, "fetch", url, "--allow-private")
        assert plain.exit_code == 0, plain.stderr
        doc = json.loads(plain.stdout)
        assert (doc["title"], doc["url"], doc["charset"]) == (TITLE, url, "utf-8")
        assert not (tmp_path / "state.sqlite3").exists()  # nothing published, nothing remembered

        refused = _run(env, "fetch", url)
        assert refused.exit_code == 1
        assert refused.stderr == f"error: host 127.0.0.1 resolves to non-public address 127.0.0.1 ({url})\n"

        sent = _run(env, "fetch", url, "--allow-private", "--publish", "--source", "cli-site")
        assert sent.exit_code == 0, sent.stderr
        out = json.loads(sent.stdout)
        assert out["topic"] == f"{unique_name}.raw"
        assert [(a["source"], a["title"], a["url"]) for a in out["published"]] == [("cli-site", TITLE, url)]
        assert (out["summary"]["published"], out["summary"]["dead_lettered"]) == (1, 0)
        again = json.loads(
            _run(env, "fetch", url, "--allow-private", "--publish", "--source", "cli-site").stdout
        )
        assert (again["published"], again["summary"]["unchanged"]) == ([], 1)  # the state file remembers it

        gone = _run(env, "fetch", f"{site.base}/nothing-here.html", "--allow-private", "--publish")
        assert gone.exit_code == 1
        assert json.loads(gone.stdout)["summary"]["dead_lettered"] == 1
        assert gone.stderr.endswith("see `akhbar dlq list --stage fetcher`\n")
        retried = _run(env, "fetch", f"{site.base}/nothing-here.html", "--allow-private", "--publish")
        assert json.loads(retried.stdout)["summary"]["dead_lettered"] == 1  # asked for: tried again at once

    consumer = KafkaConsumer(
        f"{unique_name}.raw",
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
    )
    try:
        published = [json.loads(m.value) for m in consumer]
    finally:
        consumer.close()
    assert [(a["id"], a["title"]) for a in published] == [(out["published"][0]["id"], TITLE)]
    letters = [
        json.loads(line)
        for line in _run(env, "dlq", "list", "--stage", "fetcher", "--json").stdout.splitlines()
    ]
    # one letter per attempt: the failed poll and the retry asked for
    assert [(r["error_class"], r["url"]) for r in letters] == [
        ("FetchRefused", f"{site.base}/nothing-here.html")
    ] * 2


@pytest.mark.kafka
@pytest.mark.elasticsearch
def test_reindex_switches_the_aliases_that_status_shows(
    settings: IndexerSettings, es: Elasticsearch, unique_name: str
) -> None:
    produce(settings, [article(n) for n in range(3)])
    run_indexer(settings, es, expect=3)
    env = _env(
        settings, unique_name, AKHBAR_INDEX_PREFIX=settings.index_prefix, AKHBAR_GROUP_ID=settings.group_id
    )
    es.indices.refresh(index=settings.read_alias)
    result = _run(env, "reindex", "--wait-s", "30")
    assert result.exit_code == 0, result.stderr
    v1, v2 = f"{settings.index_prefix}-v1", f"{settings.index_prefix}-v2"
    assert json.loads(result.stdout) == {
        "old_indices": [v1],
        "new_index": v2,
        "messages": 3,
        "indexed": 3,
        "dead_lettered": 0,
        "stale": 0,
        "old_count": 3,
        "new_count": 3,
        "resumed": False,
        "end_offsets": {"0": 1, "1": 1, "2": 1},
    }
    report = json.loads(_run(env, "status", "--json").stdout)["elasticsearch"]
    assert report["read_alias"]["indices"] == [v2] and report["write_alias"]["indices"] == [v2]
    assert report["indices"] == [
        {"index": v1, "documents": 3, "aliases": []},
        {"index": v2, "documents": 3, "aliases": [settings.read_alias, settings.write_alias]},
    ]
