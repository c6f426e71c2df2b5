"""The faust App and its topics. Stream functions live in enricher.streams.

Values are raw bytes: faust Records do not validate, so the agent decodes with
the shared pydantic contract (akhbar.messages) and dead-letters what fails.
"""

from __future__ import annotations

import faust

from akhbar.logs import logging_dict_config
from enricher.settings import EnricherSettings

settings = EnricherSettings()

app = faust.App(
    settings.app_id,
    broker=[f"kafka://{s.strip()}" for s in settings.kafka_bootstrap_servers.split(",") if s.strip()],
    store="memory://",
    autodiscover=["enricher.streams"],
    origin="enricher",
    datadir=settings.data_dir,
    web_host=settings.web_host,
    web_port=settings.web_port,
    producer_acks=-1,
    producer_compression_type="gzip",
    topic_partitions=settings.topic_partitions,
    topic_allow_declare=True,
    broker_commit_every=settings.batch_size,
    stream_wait_empty=True,
    logging_config=logging_dict_config("enricher", settings.log_level),
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
    )


raw_topic = _bytes_topic(settings.topic_raw)
enriched_topic = _bytes_topic(settings.topic_enriched)
dlq_topic = _bytes_topic(settings.topic_dlq_enricher)
