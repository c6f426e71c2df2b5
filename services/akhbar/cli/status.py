"""``akhbar status [--json]``: the pipeline at a glance, read-only.

Kafka: each Akhbar topic with its partitions and end offsets, the lag of the enricher's and
the indexer's consumer groups (committed offsets from the admin API against end offsets),
the dead letters held per stage. Elasticsearch: every index version with its document count,
where the read and write aliases point, and which model versions the indexed articles carry.
Models: the versions this installation would write (``enricher.enrich.installed_model_versions``):
when they differ from the indexed ones, a reindex is due.

Kafka and Elasticsearch are asked independently: when one is unreachable the other is still
reported, the error names the setting, and the exit code is 3.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import click

from akhbar.cli._shared import (
    ES_SETTING,
    KAFKA_SETTING,
    echo_json,
    es_unreachable,
    kafka_unreachable,
    load_settings,
    redact_url,
    render_table,
)
from akhbar.settings import CommonSettings

if TYPE_CHECKING:
    from indexer.settings import IndexerSettings

MODEL_KINDS = ("language", "ner", "topics", "entities")  # entities: the alias table (D20)


def topic_roles(settings: CommonSettings) -> dict[str, str]:
    return {
        settings.topic_raw: "raw",
        settings.topic_enriched: "enriched",
        settings.topic_dlq_fetcher: "dlq.fetcher",
        settings.topic_dlq_enricher: "dlq.enricher",
        settings.topic_dlq_indexer: "dlq.indexer",
    }


def _group_offsets(
    admin: Any, groups: list[str], *, timeout_s: float
) -> tuple[dict[str, dict[Any, Any]], str | None]:
    """Committed offsets per group, retried while the broker reports a retriable state.

    A fresh broker answers COORDINATOR_NOT_AVAILABLE until it has made its offsets topic: that is
    no outage, so it is retried within ``timeout_s`` and then reported per group, not raised.
    """
    from kafka.errors import KafkaError

    if not groups:
        return {}, None
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return admin.list_group_offsets(groups), None
        except KafkaError as err:
            if not getattr(err, "retriable", False) or time.monotonic() >= deadline:
                return {}, f"{type(err).__name__}: {err}"
        time.sleep(0.5)


def _describe_groups(admin: Any, groups: list[str]) -> dict[str, dict[str, Any]]:
    """State and members per group; an answer the client cannot give leaves them unknown."""
    from kafka.errors import KafkaError

    try:
        return dict(admin.describe_groups(groups))
    except KafkaError:
        return {}


def collect_kafka(
    settings: CommonSettings, groups: list[tuple[str, str | None, str]], *, timeout_s: float
) -> dict[str, Any]:
    """Topics, offsets and group lag; ``groups`` = (group id, service, topic it consumes)."""
    from kafka.admin import KafkaAdminClient
    from kafka.structs import TopicPartition

    from akhbar.kafka import make_consumer

    timeout_ms = int(timeout_s * 1000)
    roles = topic_roles(settings)
    admin = KafkaAdminClient(
        bootstrap_servers=[s.strip() for s in settings.kafka_bootstrap_servers.split(",") if s.strip()],
        client_id="akhbar-status",
        bootstrap_timeout_ms=timeout_ms,
        request_timeout_ms=timeout_ms,
    )
    try:
        # one metadata request for the five topics; a missing topic answers UNKNOWN_TOPIC (3), not created
        partitions = {
            t["name"]: sorted(p["partition_index"] for p in t["partitions"])
            for t in admin.describe_topics(list(roles))
            if t.get("error_code") == 0
        }
        committed, error = _group_offsets(admin, [g for g, _, _ in groups], timeout_s=timeout_s)
        described = _describe_groups(admin, [g for g, _, _ in groups]) if error is None else {}
    finally:
        admin.close()
    tps = [TopicPartition(name, p) for name in roles for p in partitions.get(name, [])]
    consumer = make_consumer(
        settings, group_id=None, client_id="akhbar-status", bootstrap_timeout_ms=timeout_ms
    )
    try:
        begin = consumer.beginning_offsets(tps) if tps else {}
        end = consumer.end_offsets(tps) if tps else {}
    finally:
        consumer.close()
    starts = {n: [int(begin[TopicPartition(n, p)]) for p in partitions.get(n, [])] for n in roles}
    ends = {n: [int(end[TopicPartition(n, p)]) for p in partitions.get(n, [])] for n in roles}
    topics: list[dict[str, Any]] = [
        {
            "topic": name,
            "role": role,
            "partitions": len(partitions.get(name, [])),
            "end_offsets": ends[name],
            "messages": sum(e - s for s, e in zip(starts[name], ends[name], strict=True)),
        }
        for name, role in roles.items()
    ]
    lags = []
    for group, service, topic in groups:
        offsets = {
            tp.partition: om.offset for tp, om in (committed.get(group) or {}).items() if tp.topic == topic
        }
        done = [offsets[p] if offsets.get(p, -1) >= 0 else None for p in range(len(ends.get(topic, [])))]
        lag = [
            end - (start if c is None else c)
            for c, start, end in zip(done, starts.get(topic, []), ends.get(topic, []), strict=True)
        ]
        lags.append(
            {
                "group": group,
                "service": service,
                "topic": topic,
                # Stable with members = consuming; Empty = nobody (stopped); Dead = never seen
                "state": (described.get(group) or {}).get("group_state"),
                "members": len((described.get(group) or {}).get("members") or []),
                "committed": done,
                "lag": lag,
                "total_lag": sum(lag),
                "error": error,
            }
        )
    dead = {role.split(".", 1)[1]: t["messages"] for t in topics if (role := t["role"]).startswith("dlq.")}
    return {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "topics": topics,
        "groups": lags,
        "dead_letters": dead,
    }


def collect_elasticsearch(settings: IndexerSettings, *, timeout_s: float) -> dict[str, Any]:
    """Index versions with document counts, both aliases, and the model versions indexed."""
    from elasticsearch import ApiError

    from akhbar.es import make_es
    from indexer.index_admin import current_indices

    es = make_es(settings, request_timeout=timeout_s)
    names = sorted(
        es.indices.get(
            index=f"{settings.index_prefix}-v*", expand_wildcards="all", allow_no_indices=True
        ).body
    )
    read, write = current_indices(es, settings.read_alias), current_indices(es, settings.write_alias)
    indices = [
        {
            "index": name,
            "documents": int(es.count(index=name)["count"]),
            "aliases": [
                a for a, held in ((settings.read_alias, read), (settings.write_alias, write)) if name in held
            ],
        }
        for name in names
    ]
    indexed: dict[str, dict[str, int]] = {}
    if read:
        try:
            aggs = es.search(
                index=settings.read_alias,
                size=0,
                aggs={k: {"terms": {"field": f"model_versions.{k}", "size": 10}} for k in MODEL_KINDS},
            ).body.get("aggregations", {})
        except ApiError:  # no document carries a model version yet: no such field
            aggs = {}
        indexed = {
            k: {str(b["key"]): int(b["doc_count"]) for b in aggs.get(k, {}).get("buckets", [])}
            for k in MODEL_KINDS
        }
    stories = None
    if es.indices.exists(index=settings.stories_index):  # made by the indexer's story stage (D17)
        stories = {
            "index": settings.stories_index,
            "stories": int(es.count(index=settings.stories_index)["count"]),
        }
    return {
        "url": redact_url(settings.elasticsearch_url),
        "read_alias": {"name": settings.read_alias, "indices": read},
        "write_alias": {"name": settings.write_alias, "indices": write},
        "indices": indices,
        "stories": stories,
        "model_versions": indexed,
    }


def collect(
    settings: IndexerSettings, enricher_group: str, extra_groups: tuple[str, ...], *, timeout_s: float
) -> tuple[dict[str, Any], list[str]]:
    """The whole report, and one message per unreachable service (naming its setting)."""
    from elasticsearch import ApiError, TransportError
    from elasticsearch import ConnectionError as ESConnectionError
    from kafka.errors import KafkaError

    from akhbar.errors import BrokerUnavailable
    from enricher.enrich import installed_model_versions

    report: dict[str, Any] = {"kafka": None, "elasticsearch": None, "models": installed_model_versions()}
    errors: list[dict[str, str]] = []
    messages: list[str] = []
    groups: list[tuple[str, str | None, str]] = [
        (enricher_group, "enricher", settings.topic_raw),
        (settings.group_id, "indexer", settings.topic_enriched),
    ]
    groups += [(g, None, settings.topic_enriched) for g in extra_groups if g not in {x for x, _, _ in groups}]
    try:
        report["kafka"] = collect_kafka(settings, groups, timeout_s=timeout_s)
    except (BrokerUnavailable, KafkaError) as err:
        messages.append(kafka_unreachable(settings, err).format_message())
        errors.append(
            {
                "service": "kafka",
                "setting": KAFKA_SETTING,
                "value": settings.kafka_bootstrap_servers,
                "error": str(err),
            }
        )
    try:
        report["elasticsearch"] = collect_elasticsearch(settings, timeout_s=timeout_s)
    except (ESConnectionError, TransportError, ApiError) as err:
        messages.append(es_unreachable(settings, err).format_message())
        errors.append(
            {
                "service": "elasticsearch",
                "setting": ES_SETTING,
                "value": redact_url(settings.elasticsearch_url),
                "error": str(err),
            }
        )
    report["errors"] = errors
    return report, messages


def _ints(values: list[Any]) -> str:
    return ",".join("-" if v is None else str(v) for v in values)


def render_status(report: dict[str, Any]) -> str:
    """The report as tables (what `akhbar status` prints without --json)."""
    out: list[str] = []
    kafka = report.get("kafka")
    if kafka:
        out.append(f"Kafka ({kafka['bootstrap_servers']})")
        out.append(
            render_table(
                ["TOPIC", "ROLE", "PARTITIONS", "END OFFSETS", "MESSAGES"],
                [
                    [
                        t["topic"],
                        t["role"],
                        t["partitions"] or "missing",
                        _ints(t["end_offsets"]),
                        t["messages"],
                    ]
                    for t in kafka["topics"]
                ],
            )
        )
        out.append("")
        out.append(
            render_table(
                ["GROUP", "SERVICE", "STATE", "MEMBERS", "TOPIC", "LAG", "COMMITTED", "LAG PER PARTITION"],
                [
                    [
                        g["group"],
                        g["service"],
                        g.get("state"),
                        g.get("members"),
                        g["topic"],
                        g["total_lag"],
                        _ints(g["committed"]),
                        _ints(g["lag"]),
                    ]
                    for g in kafka["groups"]
                ],
            )
        )
        out.extend(
            f"{g['group']}: committed offsets unknown ({g['error']})"
            for g in kafka["groups"]
            if g.get("error")
        )
        dead = kafka["dead_letters"]
        out.append("")
        out.append("Dead letters: " + " · ".join(f"{stage} {n}" for stage, n in dead.items()))
    es = report.get("elasticsearch")
    if es:
        if out:
            out.append("")
        out.append(f"Elasticsearch ({es['url']})")
        if es["indices"]:
            out.append(
                render_table(
                    ["INDEX", "DOCUMENTS", "ALIASES"],
                    [[i["index"], i["documents"], ", ".join(i["aliases"])] for i in es["indices"]],
                )
            )
        else:
            out.append("no index yet (`akhbar run indexer` creates it)")
        for alias in (es["read_alias"], es["write_alias"]):
            out.append(f"{alias['name']} → {', '.join(alias['indices']) or 'nothing'}")
        stories = es.get("stories")
        out.append(
            f"{stories['index']}: {stories['stories']} stories"
            if stories
            else "no stories index (the indexer's story stage makes it; AKHBAR_STORIES_ENABLED)"
        )
    models = report.get("models") or {}
    indexed = (es or {}).get("model_versions") or {}
    if models:
        if out:
            out.append("")
        out.append(
            render_table(
                ["MODEL", "INSTALLED", "INDEXED (DOCUMENTS)"],
                [
                    [k, v, ", ".join(f"{ver} ({n})" for ver, n in (indexed.get(k) or {}).items())]
                    for k, v in models.items()
                ],
            )
        )
    return "\n".join(out)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="machine-readable")
@click.option(
    "--group", "groups", multiple=True, help="another consumer group to report (on the enriched topic)"
)
@click.option("--timeout-s", type=click.FloatRange(0.5), default=10.0, show_default=True, help="per service")
def status(as_json: bool, groups: tuple[str, ...], timeout_s: float) -> None:
    """Topics, partitions, end offsets, group lag, dead letters, indices, aliases, model versions."""
    from enricher.settings import EnricherSettings
    from indexer.settings import IndexerSettings

    settings = load_settings(IndexerSettings)
    enricher = load_settings(EnricherSettings)
    report, messages = collect(settings, enricher.app_id, groups, timeout_s=timeout_s)
    if as_json:
        echo_json(report)
    else:
        click.echo(render_status(report))
    for message in messages:
        click.echo(f"error: {message}", err=True)
    if messages:
        raise click.exceptions.Exit(3)
