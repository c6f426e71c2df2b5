"""``python -m akhbar.provision``: the one-shot init job of ``deploy/docker-compose.yml``.

Run once before the services (compose: ``depends_on: {init: {condition:
service_completed_successfully}}``), idempotently, with Elasticsearch's superuser in
``ELASTICSEARCH_URL``. It

1. creates the five topics with ``akhbar.kafka.ensure_topics`` (partitions from
   ``AKHBAR_TOPIC_PARTITIONS``, the size policy's ``max.message.bytes``) and then sets, on new
   and existing topics alike, the retention and compaction of :func:`topic_configs`: raw
   articles and dead letters are deleted after ``AKHBAR_RAW_RETENTION_MS`` /
   ``AKHBAR_DLQ_RETENTION_MS``; the enriched topic is compacted by article id and never
   expires, so a reindex can rebuild every article from it;
2. installs the index templates, the first index and its aliases with
   ``indexer.index_admin.ensure_index`` (the same code the indexer runs at start);
3. when ``AKHBAR_ES_INDEXER_PASSWORD`` is set, creates the indexer's least-privilege role and
   user (:func:`indexer_role`): the only Elasticsearch credentials a service gets; and when
   ``AKHBAR_KIBANA_SYSTEM_PASSWORD`` is set, sets the built-in ``kibana_system`` password for
   the ``kibana`` profile.

It never creates what a service would not also create: it only adds explicit configuration.
Partitions are never changed on an existing topic (fewer than configured is logged): adding
partitions moves keys, which would split an article's versions across two partitions of the
compacted topic.
"""

from __future__ import annotations

import argparse
import logging
import sys

from elasticsearch import ApiError
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
from kafka.errors import KafkaError
from pydantic import Field, SecretStr, field_validator

from akhbar.errors import BrokerUnavailable, SearchUnavailable
from akhbar.es import make_es, wait_for_es
from akhbar.kafka import SOURCE_OF_TRUTH_CONFIG, ensure_topics
from akhbar.limits import kafka_limit
from akhbar.logs import configure_logging
from akhbar.settings import settings_or_exit
from indexer.index_admin import ensure_index
from indexer.settings import IndexerSettings

log = logging.getLogger("akhbar.provision")

DAY_MS = 86_400_000
_PLACEHOLDERS = {"changeme", "change-me", "changeit", "password", "secret", "elastic", "akhbar"}


class ProvisionSettings(IndexerSettings):
    """What the init job needs beyond the indexer's settings (index names, shards, topics)."""

    raw_retention_ms: int = Field(
        default=7 * DAY_MS, ge=-1, description="how long raw articles are kept (-1 = forever)"
    )
    dlq_retention_ms: int = Field(
        default=30 * DAY_MS,
        ge=-1,
        description="how long dead letters are kept for inspection and replay (-1 = forever)",
    )
    es_indexer_user: str = Field(default="akhbar_indexer", description="the indexer's Elasticsearch user")
    es_indexer_password: SecretStr | None = Field(
        default=None, description="its password; unset = no user is created (security off, local stack)"
    )
    kibana_system_password: SecretStr | None = Field(
        default=None, description="password set on the built-in kibana_system user (kibana profile)"
    )
    provision_timeout_s: float = Field(
        default=180.0, gt=0, description="how long to wait for Kafka and Elasticsearch to answer"
    )

    @field_validator("es_indexer_password", "kibana_system_password")
    @classmethod
    def _not_a_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            secret = value.get_secret_value()
            if secret.lower() in _PLACEHOLDERS or len(secret) < 12:
                raise ValueError(
                    "a placeholder or short password (fewer than 12 characters); generate one with "
                    "`openssl rand -hex 24`"
                )
        return value


def topic_configs(settings: ProvisionSettings) -> dict[str, dict[str, str]]:
    """Every Akhbar topic with the configuration it must have."""
    limit = str(kafka_limit(settings.max_message_bytes))

    def deleted_after(ms: int) -> dict[str, str]:
        return {"cleanup.policy": "delete", "retention.ms": str(ms), "max.message.bytes": limit}

    return {
        settings.topic_raw: deleted_after(settings.raw_retention_ms),
        # keyed by article id: the latest version of every article, kept for good (the reindex source)
        settings.topic_enriched: {**SOURCE_OF_TRUTH_CONFIG, "max.message.bytes": limit},
        settings.topic_dlq_fetcher: deleted_after(settings.dlq_retention_ms),
        settings.topic_dlq_enricher: deleted_after(settings.dlq_retention_ms),
        settings.topic_dlq_indexer: deleted_after(settings.dlq_retention_ms),
    }


def indexer_role(settings: IndexerSettings) -> dict[str, object]:
    """The indexer's privileges: its own indices, templates and aliases, cluster health; nothing else.

    ``manage`` on ``<prefix>*`` covers mappings added at start and the alias swap of a reindex;
    ``manage_index_templates`` the templates ``ensure_index`` (re)installs at start; ``monitor``
    the health and node-version checks of ``wait_for_es``.
    """
    return {
        "cluster": ["monitor", "manage_index_templates"],
        "indices": [
            {
                "names": [f"{settings.index_prefix}*"],
                "privileges": ["create_index", "manage", "read", "write", "view_index_metadata"],
            }
        ],
        "description": "Akhbar indexer: write and manage the Akhbar indices only",
    }


def provision_topics(settings: ProvisionSettings) -> None:
    wanted = topic_configs(settings)
    ensure_topics(settings, list(wanted), timeout_s=settings.provision_timeout_s)
    servers = [s.strip() for s in settings.kafka_bootstrap_servers.split(",") if s.strip()]
    try:
        admin = KafkaAdminClient(bootstrap_servers=servers, client_id="akhbar-provision")
    except KafkaError as err:
        raise BrokerUnavailable(f"cannot reach Kafka at {servers}: {err}") from err
    try:
        result = admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name, configs=cfg) for name, cfg in wanted.items()]
        )
        failed = {
            name: outcome
            for by_name in (result or {}).values()
            for name, outcome in by_name.items()
            if isinstance(outcome, Exception)
        }
        if failed:
            raise BrokerUnavailable(f"could not configure topics: {failed}")
        for topic in admin.describe_topics(list(wanted)):
            partitions = len(topic.get("partitions") or [])
            if partitions < settings.topic_partitions:
                log.warning(
                    "topic has fewer partitions than AKHBAR_TOPIC_PARTITIONS; not changed",
                    extra={"topic": topic.get("topic"), "partitions": partitions},
                )
    except KafkaError as err:
        raise BrokerUnavailable(f"could not configure topics: {err}") from err
    finally:
        admin.close()
    log.info("topics configured", extra={"topics": wanted})


def provision_elasticsearch(settings: ProvisionSettings) -> str:
    es = make_es(settings)
    info = wait_for_es(es, timeout_s=settings.provision_timeout_s)
    index = ensure_index(es, settings)
    log.info("index ready", extra={"index": index, "elasticsearch": info["version"]})
    if settings.es_indexer_password is not None:
        role = f"{settings.es_indexer_user}_role"
        es.security.put_role(name=role, **indexer_role(settings))  # type: ignore[arg-type]
        es.security.put_user(
            username=settings.es_indexer_user,
            password=settings.es_indexer_password.get_secret_value(),
            roles=[role],
        )
        log.info("indexer user ready", extra={"user": settings.es_indexer_user, "role": role})
    if settings.kibana_system_password is not None:
        es.security.change_password(
            username="kibana_system", password=settings.kibana_system_password.get_secret_value()
        )
        log.info("kibana_system password set")
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m akhbar.provision",
        description="the init job: topics, index templates and aliases, the indexer user",
    )
    parser.add_argument("--skip-kafka", action="store_true", help="leave the topics alone")
    parser.add_argument("--skip-elasticsearch", action="store_true", help="leave Elasticsearch alone")
    args = parser.parse_args(argv)
    settings = settings_or_exit(ProvisionSettings)
    configure_logging("provision", settings.log_level, settings.client_log_level)
    try:
        if not args.skip_kafka:
            provision_topics(settings)
        if not args.skip_elasticsearch:
            provision_elasticsearch(settings)
    except (BrokerUnavailable, SearchUnavailable, ApiError) as err:
        # ApiError: e.g. 401 (wrong ELASTIC_PASSWORD in ELASTICSEARCH_URL) or 403
        log.error("provisioning failed", extra={"error": str(err)})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
