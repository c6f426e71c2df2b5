"""Enricher settings (env prefix AKHBAR_, shared ones in akhbar.settings)."""

from __future__ import annotations

from pydantic import Field

from akhbar.settings import CommonSettings


class EnricherSettings(CommonSettings):
    app_id: str = Field(default="akhbar-enricher", description="faust app id = Kafka consumer group")
    web_port: int = Field(
        default=6066,
        ge=1,
        le=65535,
        description="/livez, /readyz, /health and /metrics (faust --web-port overrides)",
    )
    web_host: str = Field(default="127.0.0.1")
    batch_size: int = Field(default=50, ge=1, description="events enriched and produced per step")
    batch_within_s: float = Field(
        default=0.2,
        gt=0,
        description="flush a partial batch after this (freshness; under a backlog "
        "batches fill to batch_size first, D22)",
    )
    body_language_prefix_chars: int = Field(
        default=1000, ge=50, description="body prefix used for language detection"
    )
    data_dir: str = Field(default="/tmp/akhbar-enricher", description="faust's local state directory")
