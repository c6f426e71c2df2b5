"""Indexer settings (env prefix AKHBAR_, see akhbar.settings for the shared ones)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, field_validator

from akhbar.settings import CommonSettings


class IndexerSettings(CommonSettings):
    group_id: str = Field(default="akhbar-indexer", description="Kafka consumer group")
    index_prefix: str = Field(default="akhbar-articles", description="read alias; indices are <prefix>-vN")
    index_shards: int = Field(default=1, ge=1)
    index_replicas: int = Field(default=0, ge=0, description="0 on a single node; 1+ in a cluster")
    refresh_interval: str = Field(default="1s", description="relaxed (e.g. 30s) during backfill")
    max_batch_size: int = Field(default=500, ge=1, description="documents per bulk request")
    max_batch_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, description="bytes per bulk request")
    max_batch_time_ms: int = Field(
        default=250,
        ge=1,
        description="flush a partial batch this long after its first record (freshness; under a backlog "
        "batches fill to max_batch_size first, D22)",
    )
    retry_initial_backoff_ms: int = Field(default=500, ge=1)
    retry_max_backoff_ms: int = Field(
        default=5_000,
        ge=1,
        description="longest wait between two bulk attempts while Elasticsearch is down: the most "
        "indexing lags behind it once it answers again (a paused consumer costs only a poll)",
    )
    metrics_port: int = Field(
        default=9103,
        ge=0,
        le=65535,
        # AKHBAR_METRICS_PORT only as a fallback, for an environment that runs the indexer alone
        # (make run refuses it: there the fetcher and the indexer share one environment)
        validation_alias=AliasChoices("AKHBAR_INDEXER_METRICS_PORT", "AKHBAR_METRICS_PORT"),
        description="/livez, /readyz, /health and /metrics (0 = any free port)",
    )
    group_stall_s: float = Field(
        default=330.0,
        gt=0,
        description="rebuild the Kafka consumer after this long with no partitions and no stable group "
        "membership (a wedged kafka-python group join; see akhbar.kafka_compat). Above the consumer's "
        "max_poll_interval (300 s), the longest a legitimate rebalance can wait for a slow member",
    )

    stories_enabled: bool = Field(
        default=True, description="give every article a story_id and keep the <prefix>-stories index (D17)"
    )
    story_window_hours: float = Field(
        default=72.0,
        gt=0,
        le=24 * 90,
        description="an article joins only a story with a member within this many hours of it",
    )
    story_candidates: int = Field(
        default=10, ge=1, le=500, description="K: story members retrieved per article (top by shared terms)"
    )
    story_recent_members: int = Field(
        default=2_000,
        ge=0,
        description="this process's own latest assignments kept in memory, so the next articles see "
        "them before Elasticsearch refreshes (a few batches' worth; each costs CPU per article)",
    )
    story_recent_seconds: float = Field(
        default=3.0,
        gt=0,
        description="how long a decided article stays a candidate in memory after its write is "
        "acknowledged: at least the index's refresh_interval (it is searchable after that)",
    )
    story_params_file: Path | None = Field(
        default=None,
        description="similarity weights and threshold (JSON); unset = indexer/stories/data/params.json",
    )

    @field_validator("story_params_file")
    @classmethod
    def _params_file_loads(cls, value: Path | None) -> Path | None:
        if value is not None:
            from indexer.stories.similarity import StoryParams

            try:
                StoryParams.load(value)
            except (OSError, ValueError, KeyError, TypeError) as err:
                raise ValueError(f"story params file {value}: {err!r}") from err
        return value

    @property
    def stories_index(self) -> str:
        return f"{self.index_prefix}-stories"

    @property
    def read_alias(self) -> str:
        return self.index_prefix

    @property
    def write_alias(self) -> str:
        return f"{self.index_prefix}-write"
