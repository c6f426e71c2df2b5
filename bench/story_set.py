"""Load the labelled story set (bench/data/stories/) as the RawArticles the fetcher would publish.

Every message is made by ``fetcher.raw.build_raw_article``, the fetcher's one builder, from an
``ExtractedArticle`` and the configured source it came through (``row["source"]``). For generated
copies the ExtractedArticle is the fetcher's extraction of the stored page
(``fetcher.extract.extract_article`` with the page's HTTP Content-Type, so windows-1256 pages
decode through ``fetcher.charset``). For originals it is what extraction yields for a clean page of
the written article: its title, paragraphs and publication time as ``article:published_time``.

Metrics are computed over :attr:`LabelledArticle.id` (unique in the set), never over
``article.id``.

    from story_set import load_story_set      # with bench/ on sys.path
    dev = load_story_set("dev")
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal

from akhbar.messages import RawArticle
from fetcher.extract import ExtractedArticle, extract_article
from fetcher.feeds import Discovered
from fetcher.raw import build_raw_article
from fetcher.sources import Source, SourceKind
from fetcher.urls import canonicalize_url

__all__ = ["STORY_SET", "LabelledArticle", "load_story_set"]

STORY_SET = Path(__file__).resolve().parent / "data" / "stories"
FETCH_DELAY = timedelta(minutes=7)
"""The simulated fetch time is this long after publication (``fetched_at``, ``revision``)."""

Split = Literal["dev", "test"]


@dataclass(frozen=True)
class LabelledArticle:
    """One article of the set: the message a clustering stage sees, and its gold labels."""

    id: str
    event: str
    split: Split
    topic: str
    kind: str
    """``original``, ``syndicated`` (aggregator page) or ``cross_encoding`` (windows-1256 page)."""
    copy_of: str | None
    distractor: bool
    outlet: str
    """The outlet's name as its pages print it (the source id is ``article.source``)."""
    article: RawArticle


def _source(row: dict[str, Any]) -> Source:
    return Source(
        name=row["source"],
        kind=SourceKind.SITEMAP,
        urls=[row["url"]],
        language="ar",
        aggregator=row["aggregator"],
        timezone=row["site_timezone"],
    )


def _written(row: dict[str, Any]) -> ExtractedArticle:
    """What extraction yields for a clean page of an original: no byline, image, tags or section."""
    paragraphs = tuple(row["body"].split("\n"))
    return ExtractedArticle(
        url=row["url"],
        canonical_url=row["url"],
        title=row["title"],
        text="\n\n".join(paragraphs),
        paragraphs=paragraphs,
        byline=None,
        published_at=datetime.fromisoformat(row["published_at"]),
        date_source="meta:article:published_time",
        updated_at=None,
        lead_image=None,
        tags=(),
        section=None,
        charset="utf-8",
        language_hint="ar",
        provenance=None,
        is_aggregator_page=False,
    )


def _extracted(row: dict[str, Any], fetched_at: datetime) -> ExtractedArticle:
    return extract_article(
        (STORY_SET / row["page"]).read_bytes(),
        url=row["url"],
        content_type=row["content_type"],
        site_timezone=row["site_timezone"],
        now=fetched_at,
    )


def _raw(row: dict[str, Any]) -> RawArticle:
    fetched_at = datetime.fromisoformat(row["published_at"]).astimezone(UTC) + FETCH_DELAY
    ex = _extracted(row, fetched_at) if row.get("page") else _written(row)
    article = build_raw_article(
        ex,
        source=_source(row),
        link=Discovered(url=row["url"]),
        page_url=canonicalize_url(row["url"]),
        now=fetched_at,
    )
    # Each article is the first copy seen at its URL (the poller's _first_copy_kept, nothing known yet).
    return article.model_copy(update={"first_seen_at": fetched_at})


@cache
def _load_all() -> tuple[LabelledArticle, ...]:
    articles: list[LabelledArticle] = []
    with (STORY_SET / "stories.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            articles.append(
                LabelledArticle(
                    id=row["id"],
                    event=row["event"],
                    split=row["split"],
                    topic=row["topic"],
                    kind=row["kind"],
                    copy_of=row.get("copy_of"),
                    distractor=row["distractor"],
                    outlet=row["outlet"],
                    article=_raw(row),
                )
            )
    return tuple(articles)


def load_story_set(split: str | None = None) -> list[LabelledArticle]:
    """The articles of ``split`` ("dev" or "test"; ``None``: both), in file order (events grouped).

    Shuffle or sort by ``article.fetched_at`` before feeding a stage that depends on arrival order.
    """
    if split not in (None, "dev", "test"):
        raise ValueError(f"split must be 'dev', 'test' or None, not {split!r}")
    return [a for a in _load_all() if split is None or a.split == split]
