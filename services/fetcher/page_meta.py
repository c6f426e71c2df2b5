"""What a page says about itself in markup: <meta> tags and the schema.org JSON-LD article.

Pure functions over a parsed lxml tree, used by :mod:`fetcher.extract` for title, dates, byline,
canonical URL, image, section and tags.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import lxml.html

ARTICLE_TYPES = {
    "newsarticle",
    "article",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "reviewnewsarticle",
    "blogposting",
    "livebloggposting",
    "liveblogposting",
    "scholarlyarticle",
    "report",
    "webpage",
}


def meta(tree: lxml.html.HtmlElement) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for el in tree.iter("meta"):
        content = el.get("content")
        if content is None or not content.strip():
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = el.get(attr)
            if key:
                found.setdefault(key.strip().lower(), []).append(content.strip())
    return found


def first(meta: dict[str, list[str]], *keys: str) -> tuple[str, str] | None:
    for key in keys:
        values = meta.get(key)
        if values:
            return key, values[0]
    return None


def _jsonld_objects(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _jsonld_objects(item)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if graph is not None:
            yield from _jsonld_objects(graph)


def jsonld_article(tree: lxml.html.HtmlElement) -> dict[str, Any]:
    best: dict[str, Any] = {}
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        raw = script.text.strip().removeprefix("<![CDATA[").removesuffix("]]>")
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        for obj in _jsonld_objects(data):
            kind = obj.get("@type")
            kinds = {k.lower() for k in (kind if isinstance(kind, list) else [kind]) if isinstance(k, str)}
            if kinds & ARTICLE_TYPES and ("headline" in obj or "datePublished" in obj):
                if "webpage" in kinds and best:
                    continue
                best = obj
                if "webpage" not in kinds:
                    return best
    return best


def ld_text(value: Any) -> list[str]:
    """Names/strings from a JSON-LD value that may be a string, an object or a list of either."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        for key in ("name", "url", "@id"):
            if isinstance(value.get(key), str):
                return [value[key]]
        return []
    if isinstance(value, list):
        return [s for item in value for s in ld_text(item)]
    return []
