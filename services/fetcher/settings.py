"""Fetcher settings (env prefix AKHBAR_, shared ones in akhbar.settings).

Time limits, from the inside out: ``connect_timeout_s`` / ``request_timeout_s`` per socket
operation, ``total_timeout_s`` per attempt, ``page_budget_s`` per page (every attempt, retry
wait, redirect and the robots.txt lookup), then per source an exponential backoff of its poll
interval after polls with timeouts, and per page URL a dead letter after
``max_timeouts_per_url`` timeouts. ``shutdown_timeout_s`` bounds SIGTERM/SIGINT.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, ValidationInfo, field_validator

from akhbar.settings import CommonSettings


class FetcherSettings(CommonSettings):
    sources_file: str = Field(default="deploy/sources/default.yaml", description="YAML list of sources")
    fetcher_shards: int = Field(
        default=1,
        ge=1,
        description="fetcher instances sharing the sources file; each polls only its own sources "
        "(fetcher.shards: rendezvous hash of the source name) and needs its own state_path",
    )
    fetcher_shard: int = Field(
        default=0, ge=0, description="which of the fetcher_shards this instance is (0-based)"
    )
    state_path: str = Field(
        default=".state/fetcher.sqlite3",
        description="SQLite file with seen URLs and feed validators (on a volume)",
    )
    user_agent: str = Field(
        default="AkhbarBot/0.1 (+https://github.com/akhbar-news/akhbar)",
        description="names the project; the contact is appended",
    )
    contact: str = Field(default="ops@example.org", description="who site owners can write to")
    request_timeout_s: float = Field(default=20.0, gt=0, description="read/write/pool timeout per operation")
    connect_timeout_s: float = Field(default=5.0, gt=0)
    total_timeout_s: float = Field(
        default=60.0, gt=0, description="one attempt incl. redirects and a slowly dripping body"
    )
    page_budget_s: float = Field(
        default=30.0,
        gt=0,
        description="all the time one page may take: robots.txt, every attempt, retry waits and "
        "redirects; a slow-drip server is cut here (a timeout)",
    )
    max_timeouts_per_url: int = Field(
        default=3,
        ge=1,
        description="a page URL that timed out this many times in a row (counted in the state file) "
        "is dead-lettered and not tried again for rejected_retry_s",
    )
    max_source_backoff_s: float = Field(
        default=3600.0,
        gt=0,
        description="cap of a timing-out source's backoff: after n consecutive polls with timeouts "
        "its next poll waits poll_interval_s * 2**(n-1), at most this",
    )
    shutdown_timeout_s: float = Field(
        default=8.0,
        gt=0,
        description="SIGTERM/SIGINT to exit: polls (fetches, sends) are cancelled, then the producer "
        "is flushed and closed with what is left of this",
    )
    publish_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="an article send not acknowledged in this long goes to the outbox (sent first next poll)",
    )
    outbox_max_articles: int = Field(
        default=10_000,
        ge=0,
        description="articles kept in the state file while the broker is away (0: none; when full, a "
        "poll stops and its articles are fetched again next time)",
    )
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, description="bigger bodies are refused")
    max_redirects: int = Field(default=5, ge=0)
    max_retries: int = Field(default=3, ge=0, description="on 5xx / connection errors, with backoff")
    max_retry_after_s: float = Field(
        default=120.0,
        ge=0,
        description="a longer 429/503 Retry-After ends the attempt; the next poll retries",
    )
    robots_ttl_s: float = Field(default=86_400.0, gt=0, description="how long a robots.txt is cached")
    per_host_concurrency: int = Field(default=2, ge=1)
    fetch_concurrency: int = Field(
        default=8,
        ge=1,
        description="pages of one source fetched and extracted ahead while earlier ones are published "
        "(in feed order); per_host_concurrency still bounds requests to one host",
    )
    politeness_delay_s: float = Field(default=1.0, ge=0, description="between two requests to one host")
    max_articles_per_poll: int = Field(default=200, ge=1, description="per source and poll")
    dedup_max_items: int = Field(
        default=200_000, ge=1, description="near-duplicate fingerprints kept in memory (newest first)"
    )
    rejected_retry_s: float = Field(
        default=86_400.0, ge=0, description="a dead-lettered page is not tried again for this long"
    )
    websub_callback_url: str = Field(
        default="",
        description="public base URL that reaches websub_port (e.g. https://akhbar.example.org/websub); "
        "set, the fetcher subscribes to the WebSub hub a feed advertises and fetches what the hub "
        "pushes at once (polling goes on as the safety net); empty: WebSub off",
    )
    websub_host: str = Field(default="0.0.0.0", description="address the WebSub callback listens on")
    websub_port: int = Field(default=8095, ge=0, le=65535, description="port of the WebSub callback")
    websub_lease_s: int = Field(
        default=86_400, ge=60, description="lease asked of a hub; renewed when a tenth of it is left"
    )
    websub_retry_s: float = Field(
        default=600.0,
        gt=0,
        description="a subscription the hub refused, denied or never verified is asked again after this",
    )
    websub_queue: int = Field(
        default=64,
        ge=1,
        description="notifications waiting per source; more are dropped (counted) and the next poll "
        "finds their items",
    )
    metrics_port: int = Field(
        default=9101,
        ge=0,
        le=65535,
        # AKHBAR_METRICS_PORT only as a fallback, for an environment that runs the fetcher alone
        # (make run refuses it: there the fetcher and the indexer share one environment)
        validation_alias=AliasChoices("AKHBAR_FETCHER_METRICS_PORT", "AKHBAR_METRICS_PORT"),
        description="/livez, /readyz, /health and /metrics (0 = any free port)",
    )

    @field_validator("fetcher_shard")
    @classmethod
    def _shard_in_range(cls, value: int, info: ValidationInfo) -> int:
        shards = info.data.get("fetcher_shards")
        if shards is not None and value >= shards:
            raise ValueError(
                f"shard {value} does not exist with AKHBAR_FETCHER_SHARDS={shards} "
                f"(shards are 0..{shards - 1})"
            )
        return value

    @field_validator("websub_callback_url")
    @classmethod
    def _callback_is_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http(s) URL that reaches the callback, got {value!r}")
        return value

    @property
    def full_user_agent(self) -> str:
        return f"{self.user_agent} contact:{self.contact}"
