"""The sources file: which feeds/sitemaps/pages to watch, validated at start.

Errors name the source and the YAML line so an ops team can fix a file of
hundreds of entries without guessing.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator


class SourceKind(StrEnum):
    FEED = "feed"  # RSS 2.0, Atom or RDF: told apart by the parser
    SITEMAP = "sitemap"
    SITEMAP_INDEX = "sitemap_index"
    NEWS_SITEMAP = "news_sitemap"
    ARTICLE = "article"


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1, pattern=r"^[a-z0-9][a-z0-9_.-]*$", description="stable id, e.g. bbc-arabic"
    )
    kind: SourceKind
    urls: list[HttpUrl] = Field(min_length=1)
    poll_interval_s: float = Field(default=300.0, ge=5.0)
    language: str | None = Field(default="ar", description="hint passed to the enricher")
    aggregator: bool = False
    headers: dict[str, str] = Field(default_factory=dict)
    rate_limit_per_s: float = Field(default=1.0, gt=0, description="requests per second to this source")
    timezone: str = Field(default="UTC", description="site timezone for dates without an offset")
    websub: bool = Field(
        default=True,
        description="subscribe to the WebSub hub the feed advertises (when the fetcher has "
        "AKHBAR_WEBSUB_CALLBACK_URL); polling goes on beside it",
    )
    allow_private_addresses: bool = Field(
        default=False,
        description="allow loopback/private addresses for the hosts of this source's own urls (tests, "
        "intranet feeds); links to other hosts keep the guard, link-local/metadata is never fetched",
    )

    @property
    def named_hosts(self) -> frozenset[str]:
        """The hosts of the source's own ``urls`` (lower case, IPv6 without brackets)."""
        return frozenset(h for u in self.urls if (h := (urlsplit(str(u)).hostname or "").lower()))

    @property
    def private_hosts(self) -> frozenset[str]:
        """Hosts whose private addresses may be fetched: its own, and only if the source allows it."""
        return self.named_hosts if self.allow_private_addresses else frozenset()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown timezone {value!r}") from err
        return value


class SourcesFileError(ValueError):
    """The sources file is unreadable or invalid; the message names the line."""


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records the line of each mapping (1-based) as ``__line__``."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping: dict[str, Any] = {str(k): v for k, v in loader.construct_mapping(node, deep=True).items()}
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _without_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_without_lines(v) for v in value]
    return value


def load_sources(path: str | Path) -> list[Source]:
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except OSError as err:
        raise SourcesFileError(f"{path}: cannot read: {err}") from err
    except yaml.YAMLError as err:
        raise SourcesFileError(f"{path}: not valid YAML: {err}") from err
    entries = raw.get("sources") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise SourcesFileError(f"{path}: expected a top-level 'sources:' list")
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise SourcesFileError(f"{path}: each source must be a mapping, got {entry!r}")
        line = entry.pop("__line__", "?")
        entry = {k: _without_lines(v) for k, v in entry.items()}
        try:
            source = Source.model_validate(entry)
        except ValidationError as err:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors())
            raise SourcesFileError(f"{path}:{line}: source {entry.get('name', '?')!r}: {problems}") from err
        if source.name in seen:
            raise SourcesFileError(
                f"{path}:{line}: duplicate source name {source.name!r} (first at line {seen[source.name]})"
            )
        seen[source.name] = line if isinstance(line, int) else 0
        sources.append(source)
    return sources
