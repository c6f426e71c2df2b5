"""Canonical URLs: one spelling per article, so ``article_id(url)`` is stable.

The canonical form is an *identity key* first and a fetchable address second.
``canonicalize_url`` applies, in order:

* resolve against ``base`` (for relative ``<link rel=canonical>`` values) and
  strip surrounding whitespace;
* lowercase scheme and host; IDN hosts to punycode; drop the default port
  (``:80`` for http, ``:443`` for https) and any ``user:password@``;
* host variants: a leading ``amp.``, ``m.``, ``mobile.`` or ``www.`` label is
  removed when at least two labels remain (``m.example.com`` and
  ``www.example.com`` both become ``example.com``). Merging ``www`` is the price
  of merging mobile hosts, whose desktop twin may or may not carry ``www``;
* path: dot segments resolved, duplicate slashes collapsed, percent-encoding
  normalised (raw non-ASCII such as Arabic slugs is UTF-8 percent-encoded,
  hex digits uppercased), so ``/أخبار`` and ``/%d8%a3%d8%ae...`` are equal;
* AMP path variants: a trailing ``/amp`` segment, an ``/amp/`` segment anywhere,
  and ``.amp.html``/``.amp`` file suffixes are removed;
* trailing slash: removed from every path except the root ``/``. News CMSs serve
  the same article with and without it; none we know serve different ones;
* query: tracking parameters dropped (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid``,
  … see ``TRACKING_PARAMS``) together with AMP switches (``amp=1``,
  ``outputType=amp``); the rest sorted by name then value, blank values kept;
* fragment dropped.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMS", "canonicalize_url", "is_same_article_url"]

TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "igshid",
        "igsh",
        "ocid",
        "cmpid",
        "ito",
        "ref_src",
        "ref_url",
        "s_cid",
        "spm",
        "at_medium",
        "at_campaign",
        "__twitter_impression",
        "ncid",
        "sr_share",
        "vero_id",
        "oly_enc_id",
        "oly_anon_id",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "at_")
_AMP_PARAMS = {("amp", ""), ("amp", "1"), ("amp", "true"), ("outputtype", "amp"), ("output", "amp")}
_HOST_PREFIXES = ("amp.", "m.", "mobile.", "www.")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")


def _host(hostname: str) -> str:
    host = hostname.rstrip(".").lower()
    try:
        host.encode("ascii")
    except UnicodeEncodeError:
        host = host.encode("idna").decode("ascii")
    changed = True
    while changed:
        changed = False
        for prefix in _HOST_PREFIXES:
            rest = host[len(prefix) :]
            if host.startswith(prefix) and rest.count(".") >= 1:
                host, changed = rest, True
    return host


def _path(path: str) -> str:
    path = quote(path, safe=_PATH_SAFE)
    path = _PERCENT.sub(lambda m: m.group(0).upper(), path)
    path = re.sub(r"/{2,}", "/", path) or "/"
    normalised = posixpath.normpath(path)
    path = normalised if normalised != "." else "/"
    if not path.startswith("/"):
        path = "/" + path
    path = path.replace("//", "/")  # normpath keeps a leading "//"
    segments = [s for s in path.split("/") if s != "amp"]
    path = "/".join(segments) or "/"
    path = re.sub(r"\.amp(\.html?)$", r"\1", path)
    path = re.sub(r"\.amp$", "", path)
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return path if path.startswith("/") else "/" + path


def _query(query: str) -> str:
    kept: list[tuple[str, str]] = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        low = key.lower()
        if low in TRACKING_PARAMS or low.startswith(_TRACKING_PREFIXES):
            continue
        if (low, value.lower()) in _AMP_PARAMS:
            continue
        kept.append((key, value))
    kept.sort()
    return urlencode(kept, quote_via=quote, safe="-._~")


def canonicalize_url(url: str, *, base: str | None = None) -> str:
    """The canonical spelling of ``url`` (see the module docstring for every rule).

    Raises ``ValueError`` for something that is not an absolute http(s) URL after
    resolving against ``base``.
    """
    raw = url.strip()
    if base:
        raw = urljoin(base, raw)
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    host = _host(parts.hostname)
    port = parts.port
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    return urlunsplit((scheme, netloc, _path(parts.path), _query(parts.query), ""))


def is_same_article_url(a: str, b: str) -> bool:
    """True when both URLs canonicalise to the same string (``False`` if either is invalid)."""
    try:
        return canonicalize_url(a) == canonicalize_url(b)
    except ValueError:
        return False
