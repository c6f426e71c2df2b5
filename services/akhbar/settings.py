"""Settings shared by every service, read from the environment (pydantic-settings).

Every field has a documented default that works with `make stack-up` on loopback.
Service-specific settings subclass :class:`CommonSettings` in the service's own
``settings.py``. ``KAFKA_BOOTSTRAP_SERVERS`` and ``ELASTICSEARCH_URL`` are read
without the ``AKHBAR_`` prefix because ops teams and the test harness use those
conventional names.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import TypeVar

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="AKHBAR_",
        env_file=".env",
        env_ignore_empty=True,
        extra="ignore",
        populate_by_name=True,  # FetcherSettings(metrics_port=…) works despite the aliases
    )

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "AKHBAR_KAFKA_BOOTSTRAP_SERVERS"),
        description="comma-separated host:port list",
    )
    elasticsearch_url: str = Field(
        default="http://127.0.0.1:9200",
        validation_alias=AliasChoices("ELASTICSEARCH_URL", "AKHBAR_ELASTICSEARCH_URL"),
    )
    topic_raw: str = Field(default="akhbar.articles.raw", description="fetcher → enricher")
    topic_enriched: str = Field(default="akhbar.articles.enriched", description="enricher → indexer")
    topic_dlq_fetcher: str = Field(default="akhbar.dlq.fetcher")
    topic_dlq_enricher: str = Field(default="akhbar.dlq.enricher")
    topic_dlq_indexer: str = Field(default="akhbar.dlq.indexer")
    topic_partitions: int = Field(default=3, ge=1, description="partitions when Akhbar creates a topic")
    topic_replication: int = Field(
        default=1, ge=1, description="replicas per partition when Akhbar creates a topic"
    )
    topic_min_insync_replicas: int | None = Field(
        default=None,
        ge=1,
        description="min.insync.replicas of the topics Akhbar creates (producers use acks=all): with "
        "replication 3 and 2, a write survives one broker lost; unset = the broker's default",
    )
    log_level: str = Field(default="INFO")
    client_log_level: str = Field(
        default="WARNING",
        description="level of the client libraries' loggers (kafka, aiokafka, elastic_transport, httpx, "
        "faust, mode); DEBUG shows every fetch and heartbeat of the Kafka client",
    )
    # The metrics *port* is per service (AKHBAR_FETCHER_METRICS_PORT, AKHBAR_INDEXER_METRICS_PORT,
    # the enricher's AKHBAR_WEB_PORT): one shared variable made two services on one host collide.
    metrics_host: str = Field(
        default="127.0.0.1",
        description="address the fetcher's and the indexer's /livez /readyz /metrics bind; 0.0.0.0 inside "
        "containers (the enricher uses AKHBAR_WEB_HOST)",
    )
    max_message_bytes: int = Field(
        default=1_048_576,
        ge=65_536,
        le=64 * 1_048_576,
        description="largest message value on any Akhbar topic (bytes, uncompressed JSON). Topics are "
        "created with max.message.bytes and producers with max_request_size of this plus "
        "akhbar.limits.KAFKA_OVERHEAD_BYTES; the fetcher keeps raw articles within "
        "akhbar.limits.raw_article_budget() of it, leaving room for what the enricher adds",
    )
    session_timeout_ms: int = Field(
        default=10_000,
        ge=6_000,
        le=300_000,
        description="consumer group session timeout: how long a killed member holds its partitions",
    )
    instance_id: str | None = Field(
        default=None,
        description="static group membership (group.instance.id); a restarted member with the same id "
        "gets its partitions back at once. Unique per replica; the word 'hostname' means this host's "
        "name (one replica per container); unset = dynamic membership",
    )
    dlq_brake_ratio: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="stop consuming (and report not ready) once this share of the last "
        "dlq_brake_window messages was dead-lettered: a bad release, not bad data",
    )
    dlq_brake_window: int = Field(default=1000, ge=10, description="messages the brake looks back over")
    stall_after_s: float = Field(
        default=60.0,
        gt=0,
        description="/readyz turns 503 when there is lag and nothing was processed for this long",
    )

    @field_validator("log_level", "client_log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in _LEVELS:
            raise ValueError(f"{value!r} is not a log level; use one of {', '.join(_LEVELS)}")
        return level

    @field_validator("instance_id")
    @classmethod
    def _hostname_instance(cls, value: str | None) -> str | None:
        return socket.gethostname() if value == "hostname" else value

    def all_topics(self) -> list[str]:
        return [
            self.topic_raw,
            self.topic_enriched,
            self.topic_dlq_fetcher,
            self.topic_dlq_enricher,
            self.topic_dlq_indexer,
        ]


def env_names(model: type[BaseSettings], field: str) -> list[str]:
    """The environment variables that set ``field`` (a field name or one of its aliases), first one first."""
    prefix = str(model.model_config.get("env_prefix", ""))
    for name, info in model.model_fields.items():
        alias = info.validation_alias
        choices = [c for c in alias.choices if isinstance(c, str)] if isinstance(alias, AliasChoices) else []
        if isinstance(alias, str):
            choices = [alias]
        if field == name or field in choices:
            return [c.upper() for c in choices] or [f"{prefix}{name}".upper()]
    return [field.upper()]


def describe_settings_error(err: ValidationError, model: type[BaseSettings]) -> str:
    """One line naming each bad environment variable, its value and what is wrong with it.

    The variable is the one actually set when a field has several (``AKHBAR_METRICS_PORT``
    as the fallback of ``AKHBAR_INDEXER_METRICS_PORT``); secrets are not echoed.
    """
    environ = {k.upper() for k in os.environ}
    parts = []
    for error in err.errors():
        loc = str(error["loc"][0]) if error.get("loc") else ""
        names = env_names(model, loc)
        name = next((n for n in names if n in environ), names[0])
        field = model.model_fields.get(loc)
        secret = "password" in name.lower() or (
            field is not None and field.annotation in (SecretStr, SecretStr | None)
        )
        value = "<hidden>" if secret else repr(error.get("input"))
        parts.append(f"{name}={value}: {error['msg']}")
    return f"invalid setting{'s' if len(parts) > 1 else ''} " + "; ".join(parts)


S = TypeVar("S", bound=BaseSettings)


def settings_or_exit(model: type[S]) -> S:
    """``model()``, or the :func:`describe_settings_error` line on stderr and exit code 2.

    For the services' own ``python -m`` entry points (``akhbar`` does the same through click).
    """
    try:
        return model()
    except ValidationError as err:
        print(f"error: {describe_settings_error(err, model)}", file=sys.stderr)
        raise SystemExit(2) from None
