"""``akhbar fetch URL``: one page through the fetcher's real client (guard, robots, limits) and extractor.

Prints the extracted article as JSON and publishes nothing. With ``--publish`` the page is
polled as a one-page ``article`` source instead: published to the raw topic (or dead-lettered)
and remembered in the fetcher's state file, exactly as a page found in a feed, and the raw
article sent is printed.
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import urlsplit

import click

from akhbar.cli._shared import CliError, echo_json, load_settings

_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def _checked_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="URL")
    return url


@click.command()
@click.argument("url")
@click.option(
    "--allow-private",
    is_flag=True,
    help="allow a loopback/private address for the URL's own host (never link-local/metadata)",
)
@click.option(
    "--timezone", default="UTC", show_default=True, help="site timezone for dates without an offset"
)
@click.option("--publish", is_flag=True, help="publish to the raw topic (remembered in AKHBAR_STATE_PATH)")
@click.option("--source", "source_name", help="source name of a published page (default: the URL's host)")
@click.option("--language", default="ar", show_default=True, help="language hint of a published page")
def fetch(
    url: str, allow_private: bool, timezone: str, publish: bool, source_name: str | None, language: str
) -> None:
    """Fetch one page and print the extracted article as JSON (nothing published unless --publish)."""
    from fetcher.settings import FetcherSettings
    from fetcher.wiring import fetch_page, publish_page

    url = _checked_url(url)
    settings = load_settings(FetcherSettings)
    if not publish:
        echo_json(asyncio.run(fetch_page(settings, url, allow_private=allow_private, timezone=timezone)))
        return
    name = source_name or (urlsplit(url).hostname or "").lower()
    if not _SOURCE_NAME.match(name):
        raise click.BadParameter(f"{name!r}: lower-case letters, digits, . _ - only", param_hint="--source")
    summary, articles = asyncio.run(
        publish_page(
            settings,
            url,
            source_name=name,
            allow_private=allow_private,
            timezone=timezone,
            language=language or None,
        )
    )
    echo_json(
        {
            "topic": settings.topic_raw,
            "published": [a.model_dump(mode="json", exclude_none=True) for a in articles],
            "summary": summary.as_dict(),
        }
    )
    if not articles and not summary.unchanged:
        raise CliError(
            f"{url} was not published (dead-lettered: {summary.dead_lettered}, "
            f"transient errors: {summary.transient_errors}); see `akhbar dlq list --stage fetcher`"
        )
