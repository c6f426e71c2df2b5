"""The faust App and its topics. Stream functions live in enricher.streams.

Values are raw bytes: faust Records do not validate, so the agent decodes with
the shared pydantic contract (akhbar.messages) and dead-letters what fails.
"""

from __future__ import annotations

import faust

from akhbar.kafka import topic_durability
from akhbar.limits import kafka_limit
from akhbar.logs import logging_dict_config
from akhbar.settings import settings_or_exit
from enricher.settings import EnricherSettings

settings = settings_or_exit(EnricherSettings)
_wire_limit = kafka_limit(settings.max_message_bytes)

app = faust.App(
    settings.app_id,
    broker=[f"kafka://{s.strip()}" for s in settings.kafka_bootstrap_servers.split(",") if s.strip()],
    store="memory://",
    autodiscover=["enricher.streams", "enricher.health"],
    origin="enricher",
    datadir=settings.data_dir,
    # /livez, /readyz and /metrics are served by akhbar.observability on web_host:web_port, the same
    # server as the other services (enricher.health); faust's own web server is not started.
    web_enabled=False,
    web_host=settings.web_host,
    web_port=settings.web_port,
    producer_acks=-1,
    producer_compression_type="gzip",
    producer_max_request_size=_wire_limit,  # the size policy (akhbar.limits)
    consumer_max_fetch_size=_wire_limit,
    # a killed worker's partitions move after the session timeout; a restarted one with the same
    # AKHBAR_INSTANCE_ID (static membership) gets them back at once
    broker_session_timeout=settings.session_timeout_ms / 1000,
    broker_heartbeat_interval=max(1.0, settings.session_timeout_ms / 3000),
    consumer_group_instance_id=settings.instance_id,
    consumer_metadata_max_age_ms=10_000,  # topics created after start are found within seconds
    topic_partitions=settings.topic_partitions,
    # faust's own topics (the assignor's leader topic) and any it declares: as replicated as ours
    topic_replication_factor=settings.topic_replication,
    topic_allow_declare=True,
    broker_commit_every=settings.batch_size,
    stream_wait_empty=True,
    logging_config=logging_dict_config("enricher", settings.log_level, settings.client_log_level),
)


def _bytes_topic(name: str) -> faust.TopicT:
    """Keys and values stay raw bytes; decoding is the contract's job (akhbar.messages)."""
    return app.topic(
        name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.topic_partitions,
        replicas=settings.topic_replication,
        config={"max.message.bytes": str(_wire_limit), **topic_durability(settings)},
    )


raw_topic = _bytes_topic(settings.topic_raw)
enriched_topic = _bytes_topic(settings.topic_enriched)
dlq_topic = _bytes_topic(settings.topic_dlq_enricher)
