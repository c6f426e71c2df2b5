"""Hostile sources and oversized legal pages, served by the loopback site next to the steady stream.

Hostile (each its own source, so one cannot hold the others): an XML entity bomb feed, a redirect
loop, a 100 MB page (chunked, no Content-Length), a page dripping one byte per second, a feed
linking a metadata address (169.254.169.254) and another host's private address, and two pages
whose charset lies (header ISO-8859-1 and <meta> UTF-8 over windows-1256 bytes) or is unknown.
The first five must each become exactly one fetcher dead letter naming the URL, with a reason;
the two charset pages are legal and must be indexed with their Arabic title intact. The stream
must be indexed whole, and the fetcher must still stop within 10 s of SIGTERM while the drip
holds a connection open.

Oversized legal pages (0.4 M and 1.5 M characters of Arabic prose) must end indexed, the body
cut to the size policy and flagged ``truncated`` with ``original_body_chars``: never lost.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .audit import Expect, url_id
from .harness import SHUTDOWN_MAX_S, N, Row, article_source
from .site import PRIVATE_LINKS, StreamSite
from .texts import story

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]

HOSTILE: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # name: (kind, path, words one of which the reason must contain)
    "entity-bomb": ("feed", "/hostile/bomb.rss", ("xml", "entit", "unsafe", "dtd")),
    "redirect-loop": ("article", "/hostile/redirect-loop.html", ("redirect",)),
    "huge-page": ("article", "/hostile/huge.html", ("exceed", "large", "bytes")),
    "slow-drip": ("article", "/hostile/drip.html", ("within", "timeout", "timed out", "slow", "budget")),
}
SSRF_WORDS = ("private", "non-public", "metadata", "link-local", "not allowed", "refus")


def _hostile_sources(site: StreamSite) -> str:
    out = ""
    for name, (kind, path, _) in HOSTILE.items():
        src = article_source(site, name, path)
        out += src.replace("kind: article", f"kind: {kind}")
    out += article_source(site, "private-links", "/hostile/private.rss").replace(
        "kind: article", "kind: feed"
    )
    out += article_source(site, "charset-lying", "/hostile/charset-lying.html")
    out += article_source(site, "charset-unknown", "/hostile/charset-unknown.html")
    return out


def test_hostile_sources(make_case: Any, row: Row) -> None:
    # The drip times out at the page budget; after 2 timeouts in a row its URL is dead-lettered.
    env = {"AKHBAR_PAGE_BUDGET_S": "4", "AKHBAR_TOTAL_TIMEOUT_S": "4", "AKHBAR_MAX_TIMEOUTS_PER_URL": "2"}
    case = make_case(n=max(60, N // 2), extra_sources=_hostile_sources, extra_env=env)
    base = case.site.base
    for name, (_, path, words) in HOSTILE.items():
        url = base + path
        case.expected_letters.append(
            Expect(
                name,
                "fetcher",
                lambda letter, url=url: letter.url == url,  # type: ignore[misc]
                reason_contains=words,
                repeats=name == "entity-bomb",  # a feed: fetched, and refused, on every poll
            )
        )
    for link in PRIVATE_LINKS:
        case.expected_letters.append(
            Expect(
                f"private {link}",
                "fetcher",
                lambda letter, link=link: letter.url == link,  # type: ignore[misc]
                reason_contains=SSRF_WORDS,
            )
        )
    charset_ids = {url_id(base + "/hostile/charset-lying.html"): 90_001}
    charset_ids[url_id(base + "/hostile/charset-unknown.html")] = 90_002
    case.extra_ids |= set(charset_ids)
    case.begin()
    # The drip is dead-lettered only after the fetcher's retries of a source that keeps timing out.
    audit = case.finish(timeout_s=max(120.0, case.site.n / case.site.rate + 90), shutdown=False)
    seed = case.site.seed
    for doc in audit.docs:
        if doc["_id"] in charset_ids:
            title = story(charset_ids[doc["_id"]], seed=seed).title
            assert doc["title"] == title, f"charset page title garbled: {doc['title']!r} != {title!r}"
    code, seconds = case.pipeline["fetcher"].sigterm(timeout_s=60)
    row.shutdown_s["fetcher"] = round(seconds, 1)
    assert code == 0 and seconds <= SHUTDOWN_MAX_S, f"fetcher exit {code} after {seconds:.1f} s"
    case.pipeline.stop()


def test_oversized_legal_pages(make_case: Any, row: Row) -> None:
    sizes = (400_000, 1_500_000)

    def sources(site: StreamSite) -> str:
        return "".join(article_source(site, f"big-{n}", f"/big/{n}.html") for n in sizes)

    case = make_case(n=max(40, N // 4), extra_sources=sources)
    big = {url_id(f"{case.site.base}/big/{n}.html"): n for n in sizes}
    case.extra_ids |= set(big)
    case.begin()
    audit = case.finish(timeout_s=max(180.0, case.site.n / case.site.rate + 120))
    docs = {d["_id"]: d for d in audit.docs if d["_id"] in big}
    for aid, chars in big.items():
        doc = docs[aid]
        assert doc.get("truncated") is True, f"{chars}-character page not flagged truncated"
        original = int(doc.get("original_body_chars") or 0)
        assert original >= chars * 0.95, f"original_body_chars {original} for a {chars}-character page"
        assert re.search("[\u0600-\u06ff]", doc["title"])
    row.note = "; ".join(
        f"{chars} chars → original_body_chars {docs[aid].get('original_body_chars')}"
        for aid, chars in big.items()
    )
