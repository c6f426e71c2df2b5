"""``akhbar search`` and ``akhbar reindex``: the read side and the rebuild of the index.

Both call the indexer's own functions (``indexer.search.search``, ``indexer.reindex.run_reindex``);
``python -m indexer search|reindex`` are the same code behind argparse.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import datetime

import click

from akhbar.cli._shared import CliError, echo_json, load_settings

_DATE_MATH = re.compile(r"^now([+-]\d+[yMwdhHms])*(/[yMwdhHms])?$")


def _es_date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An ISO 8601 date or time, or Elasticsearch date math (``now-7d/d``, ``2026-01-01||+1M``)."""
    if value is None:
        return None
    anchor = value.split("||", 1)[0]
    if _DATE_MATH.match(value) or (anchor and _iso(anchor)):
        return value
    raise click.BadParameter(f"{value!r}: an ISO date (2026-01-01) or date math (now-7d/d)")


def _iso(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


@click.command()
@click.argument("query", default="")
@click.option("--topic", multiple=True, help="topic code, e.g. politics (repeat to OR)")
@click.option("--source", multiple=True, help="source name or original source (repeat to OR)")
@click.option("--entity", multiple=True, help="TYPE:name (PER, LOC, ORG, MISC) or just a name")
@click.option("--language", multiple=True, help="ISO 639-1 code, e.g. ar")
@click.option("--from", "date_from", callback=_es_date, help="published at/after (ISO date or now-7d/d)")
@click.option("--to", "date_to", callback=_es_date, help="published at/before (ISO date or now/d)")
@click.option("--fresh", is_flag=True, help="rank recent articles higher (gauss decay)")
@click.option("--hide-duplicates", is_flag=True, help="leave out near-duplicates")
@click.option("--size", type=click.IntRange(0, 10_000), default=10, show_default=True, help="hits per page")
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True, help="hits to skip")
@click.option(
    "--collapse-stories", is_flag=True, help="one hit per story, with its number of matching articles"
)
@click.option("--story", "story_id", help="all coverage of one story (its story_id), first seen first")
@click.option("--index", help="index or alias to search (default: the read alias, AKHBAR_INDEX_PREFIX)")
@click.option("--json", "as_json", is_flag=True, help="the parsed response as JSON")
def search(
    query: str,
    topic: tuple[str, ...],
    source: tuple[str, ...],
    entity: tuple[str, ...],
    language: tuple[str, ...],
    date_from: str | None,
    date_to: str | None,
    fresh: bool,
    hide_duplicates: bool,
    size: int,
    offset: int,
    collapse_stories: bool,
    story_id: str | None,
    index: str | None,
    as_json: bool,
) -> None:
    """Search indexed articles: Arabic-aware free text (empty QUERY = newest first), filters, facets.

    Example: akhbar search "وزارة الخارجية" --topic politics --entity PER:أحمد --fresh
    --collapse-stories: one hit per story; --story ID: every article of one story, first seen first.
    """
    from akhbar.es import make_es
    from indexer.search import SearchRejected, format_response, request_from
    from indexer.search import search as run_search
    from indexer.settings import IndexerSettings

    settings = load_settings(IndexerSettings)
    request = request_from(
        query,
        topics=topic,
        sources=source,
        entities=entity,
        languages=language,
        date_from=date_from,
        date_to=date_to,
        fresh=fresh,
        size=size,
        offset=offset,
        include_duplicates=not hide_duplicates,
        collapse_stories=collapse_stories,
        story=story_id,
    )
    target = index or settings.read_alias
    try:
        response = run_search(make_es(settings), request, index=target)
    except SearchRejected as err:
        hint = " (nothing indexed yet? `akhbar run indexer` creates it)" if err.status == 404 else ""
        raise CliError(f"search on {target} refused: {err}{hint}") from None
    if as_json:
        echo_json(response.to_json())
    else:
        click.echo(format_response(request, response))


@click.command()
@click.option("--topic", multiple=True, help="topic code, e.g. politics (repeat to OR)")
@click.option("--entity", multiple=True, help="canonical entity key as entity_keys holds it, e.g. PER:…")
@click.option(
    "--since", default="now-24h", show_default=True, help="last seen at/after (ES date math or ISO)"
)
@click.option("--min-articles", type=click.IntRange(1), default=1, show_default=True, help="smallest story")
@click.option(
    "--size", type=click.IntRange(0, 10_000), default=10, show_default=True, help="stories per page"
)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True, help="stories to skip")
@click.option("--json", "as_json", is_flag=True, help="the parsed response as JSON")
def stories(
    topic: tuple[str, ...],
    entity: tuple[str, ...],
    since: str,
    min_articles: int,
    size: int,
    offset: int,
    as_json: bool,
) -> None:
    """What is trending: stories ranked by size and recency (log1p(articles) × decay of last seen).

    Example: akhbar stories --topic politics --since now-6h
    """
    from akhbar.es import make_es
    from indexer.search import SearchRejected, StoriesRequest, format_stories, search_stories
    from indexer.settings import IndexerSettings

    settings = load_settings(IndexerSettings)
    request = StoriesRequest(
        topics=topic, entities=entity, since=since, min_articles=min_articles, size=size, offset=offset
    )
    try:
        response = search_stories(make_es(settings), request, index=settings.stories_index)
    except SearchRejected as err:
        hint = " (nothing indexed yet? `akhbar run indexer` creates it)" if err.status == 404 else ""
        raise CliError(f"search on {settings.stories_index} refused: {err}{hint}") from None
    if as_json:
        echo_json(response.to_json())
    else:
        click.echo(format_stories(response))


@click.command()
@click.option(
    "--wait-s", type=click.FloatRange(0), default=120.0, show_default=True, help="wait for Elasticsearch"
)
def reindex(wait_s: float) -> None:
    """Rebuild a new index version from the enriched topic, then switch the aliases (D6).

    Searches never fail and never see a partial index; a crash leaves readers and writers on
    working indices and a rerun resumes. Refuses (exit 1, nothing moved) an enriched topic with time
    retention. Prints the report as JSON.
    """
    from indexer.reindex import ReindexRefused, run_reindex
    from indexer.settings import IndexerSettings

    try:
        report = run_reindex(load_settings(IndexerSettings), wait_s=wait_s)
    except ReindexRefused as err:
        raise CliError(f"reindex refused: {err}") from err
    echo_json(asdict(report), indent=None)
