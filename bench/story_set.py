"""Load the labelled story set (bench/data/stories/) as the RawArticles the fetcher would publish.

Originals are built field by field as ``fetcher.poller.SourcePoller._to_raw`` builds a message
(canonical URL → ``article_id``, paragraphs joined by a blank line, ``content_hash`` of title and
body, SimHash of the body). Generated copies are HTML pages: their bytes go through
``fetcher.extract.extract_article`` with the page's HTTP Content-Type (so windows-1256 pages
decode through ``fetcher.charset``), and the message is built from ``raw_article_fields()``.

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
from typing import Literal

from akhbar.messages import RawArticle, article_id
from fetcher.dedup import content_hash, simhash64
from fetcher.extract import extract_article
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
    article: RawArticle


def _original(row: dict[str, object], fetched_at: datetime) -> RawArticle:
    url = canonicalize_url(str(row["url"]))
    paragraphs = str(row["body"]).split("\n")
    body = "\n\n".join(paragraphs)
    title = str(row["title"])
    return RawArticle(
        id=article_id(url),
        url=url,
        fetched_url=str(row["url"]),
        source=str(row["outlet"]),
        title=title,
        body=body,
        paragraphs=paragraphs,
        published_at=datetime.fromisoformat(str(row["published_at"])),
        date_source="meta:article:published_time",
        language_hint="ar",
        content_hash=content_hash(f"{title}\n{body}"),
        simhash=f"{simhash64(body):016x}",
        first_seen_at=fetched_at,
        fetched_at=fetched_at,
        revision=int(fetched_at.timestamp() * 1000),
    )


def _from_page(row: dict[str, object], fetched_at: datetime) -> RawArticle:
    url = str(row["url"])
    page = (STORY_SET / str(row["page"])).read_bytes()
    ex = extract_article(
        page,
        url=url,
        content_type=str(row["content_type"]),
        site_timezone=str(row["site_timezone"]),
        now=fetched_at,
    )
    fields = ex.raw_article_fields()
    canonical = canonicalize_url(ex.canonical_url, base=url) if ex.canonical_url else url
    fields.update(
        {
            "url": canonical,
            "language_hint": "ar",
            "content_hash": content_hash(f"{ex.title}\n{ex.text}"),
            "simhash": f"{simhash64(ex.text):016x}",
        }
    )
    return RawArticle(
        id=article_id(canonical),
        source=str(row["outlet"]),
        first_seen_at=fetched_at,
        fetched_at=fetched_at,
        revision=int(fetched_at.timestamp() * 1000),
        **fields,
    )


@cache
def _load_all() -> tuple[LabelledArticle, ...]:
    articles: list[LabelledArticle] = []
    with (STORY_SET / "stories.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            fetched_at = datetime.fromisoformat(row["published_at"]).astimezone(UTC) + FETCH_DELAY
            raw = _from_page(row, fetched_at) if row.get("page") else _original(row, fetched_at)
            articles.append(
                LabelledArticle(
                    id=row["id"],
                    event=row["event"],
                    split=row["split"],
                    topic=row["topic"],
                    kind=row["kind"],
                    copy_of=row.get("copy_of"),
                    distractor=row["distractor"],
                    article=raw,
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
