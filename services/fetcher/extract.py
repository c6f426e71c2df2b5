"""Turn one fetched page into an :class:`ExtractedArticle` (pure: no network, no Kafka).

Pipeline, in order::

    bytes ─ sniff (empty? binary? feed/sitemap?) ─ decode (fetcher.charset)
          ─ parse once with lxml
          ─ metadata from the tree: <meta>, JSON-LD, <link rel=canonical>, <time>, rel=tag, byline
          ─ main text: trafilatura.bare_extraction(favor_precision, no tables, no comments)
          ─ Arabic cleanup of the lines: attribution line → provenance, aggregator disclaimer,
            "اقرأ أيضا"/"شارك"/"تابعونا"/"الأكثر قراءة" blocks, bylines, datelines,
            trailing tag lines ("سياسة سياسة سياسة" → tag "سياسة")
          ─ date choice (first that parses): meta:article:published_time → jsonld:datePublished
            → other meta (meta:<name>) → itemprop:datePublished → time[datetime]
            → attribution (the aggregator's "…بتاريخ" date) → text (date-like elements,
            datelines, then the first written date on the page)

Pages with nothing to extract raise :class:`akhbar.errors.ExtractionError`, whose
``reason`` says why (empty body, not HTML, a feed, too little text).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree
from trafilatura import bare_extraction
from trafilatura.settings import Extractor, use_config

from akhbar.arabic import match_key, normalize_arabic
from akhbar.errors import ExtractionError
from akhbar.messages import Provenance
from fetcher.charset import decode_body
from fetcher.dates import find_date, parse_date
from fetcher.page_meta import first as _first
from fetcher.page_meta import jsonld_article as _jsonld_article
from fetcher.page_meta import ld_text as _ld_text
from fetcher.page_meta import meta as _meta
from fetcher.provenance import is_disclaimer, parse_attribution
from fetcher.urls import canonicalize_url

__all__ = ["MIN_TEXT_CHARS", "ExtractedArticle", "extract_article"]

MIN_TEXT_CHARS = 150
"""Article bodies shorter than this (after cleanup) are not articles: listing or stub pages."""

_TRAFILATURA_CONFIG = use_config()
_TRAFILATURA_CONFIG.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
# Built once: trafilatura otherwise re-reads its ConfigParser into an Extractor on every call.
_TRAFILATURA_OPTIONS = Extractor(
    config=_TRAFILATURA_CONFIG,
    output_format="python",
    precision=True,
    comments=False,
    tables=False,
    images=False,
    links=False,
    dedup=False,
    with_metadata=False,
)

_OTHER_PUBLISHED_META = (
    "og:published_time",
    "article:published",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "date",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "dcterms.issued",
    "parsely-pub-date",
    "sailthru.date",
    "datepublished",
    "article.published",
    "cxenseparse:recs:publishtime",
)
_MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "lastmod", "last-modified")
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"RIFF", b"OggS")
_HTML_MIME = {"text/html", "application/xhtml+xml", "application/xml", "text/xml", "text/plain", ""}
_FEED_ROOT = re.compile(
    r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<\?[^>]*>\s*)*"
    r"<(rss|feed|rdf:rdf|urlset|sitemapindex)\b",
    re.IGNORECASE | re.DOTALL,
)
_HTMLISH = re.compile(rb"<(?:!doctype\s+html|html|head|body|p|div|article|meta|title)\b", re.IGNORECASE)

_BYLINE_PREFIX = re.compile(
    r"^(?:بقلم|كتب|كتبت|كتبه|كتابة|إعداد|اعداد|تقرير|متابعة|بواسطة|by)\s*[:：\-–]?\s*", re.IGNORECASE
)
_SITE_SUFFIX = re.compile(r"\s+[|–—\-:»]\s+[^|–—\-:»]{2,40}$")

# Line-level boilerplate, written in normalize_arabic()'s folded spelling.
_RELATED_HEADINGS = re.compile(
    r"^(?:اقرا|طالع|شاهد|تابع)\s+(?:ايضا|كذلك|المزيد)|^للمزيد|^(?:اخبار|مواضيع|مقالات|قصص)\s+(?:ذات\s+صله|متعلقه|مشابهه)"
    r"|^الاكثر\s+(?:قراءه|مشاهده|تداولا|تعليقا|مشاركه)|^قد\s+(?:يهمك|يعجبك)|^اخترنا\s+لك|^شريط\s+الاخبار"
    r"|^اخر\s+الاخبار|^عاجل\b|^(?:ننصحك|موصي\s+به)"
)
_SHARE_FOLLOW = re.compile(r"^(?:شارك|شاركوا|مشاركه|تابعونا|تابعوا|تابعنا|انضموا|اشترك|حمل\s+تطبيق)\b")
_FOOTER = re.compile(r"جميع\s+الحقوق\s+محفوظه|©")
_TAG_LABEL = re.compile(
    r"^(?:الوسوم|وسوم|الكلمات\s+المفتاحيه|كلمات\s+مفتاحيه|كلمات\s+دلاليه|تاغ|الاوسمه|tags)\s*[:：]?\s*",
    re.IGNORECASE,
)
_DATE_PREFIX = re.compile(r"^(?:نشر|نشرت|تم\s+النشر|تاريخ\s+النشر|اخر\s+تحديث|تحديث|محدث|بتاريخ)\b")
# Section names that sites print as a bare trailing line ("سياسة اقتصاد"), folded spelling.
_SECTION_NAMES = (
    "سياسة اقتصاد رياضة ثقافة فن فنون مجتمع محليات محلي دولي دوليات عربي عالمي عالم"
    " صحة تكنولوجيا تقنية علوم طقس منوعات زراعة تعليم سياحة بيئة حوادث أمن اقتصادية"
    " سياسية رياضية ثقافية عاجل أخبار تقارير حوارات آراء رأي مقالات"
)
_SECTION_WORDS = frozenset(normalize_arabic(w) for w in _SECTION_NAMES.split())
_RELATIVE_PROBE = datetime(2000, 1, 1, tzinfo=UTC)
_TAG_LABEL_STARTS = (
    "الوسوم",
    "وسوم",
    "الكلمات",
    "كلمات",
    "تاغ",
    "الأوسمة",
    "الاوسمة",
    "Tags",
    "tags",
    "TAGS",
)
_CREDIT = re.compile(r"^(?:المصدر|مصدر|المصادر)\s*[:：]")
_SENTENCE_END = re.compile(r"[.!؟?…»\"]\s*$")
_TAG_SPLIT = re.compile(r"\s*[،,|/؛;#]\s*")


@dataclass(frozen=True)
class ExtractedArticle:
    """What the fetcher knows about one article page, before ids and dedup."""

    url: str
    """The URL the page was fetched from (as given)."""
    canonical_url: str
    title: str
    text: str
    """Paragraphs joined by a blank line."""
    paragraphs: tuple[str, ...]
    byline: str | None
    published_at: datetime | None
    date_source: str | None
    updated_at: datetime | None
    lead_image: str | None
    tags: tuple[str, ...]
    section: str | None
    charset: str
    language_hint: str | None
    provenance: Provenance | None
    is_aggregator_page: bool


# --------------------------------------------------------------------------- helpers


def _squash(text: str | None) -> str:
    """Runs of whitespace → one space, trimmed (str.split's whitespace is regex ``\\s``'s)."""
    return " ".join((text or "").split())


# Folded spellings of the words every disclaimer pattern (fetcher.provenance) contains.
_DISCLAIMER_HINTS = ("يتحمل", "مسوول", "نشر", "يعبر")
_INVISIBLE = re.compile("[\u200b-\u200f\u061c\u202a-\u202e\u2066-\u2069\ufeff]")


def _maybe_disclaimer(line: str, folded: str) -> bool:
    """False only when ``is_disclaimer(line)`` is certainly False (none of its words is there)."""
    return any(h in folded for h in _DISCLAIMER_HINTS) or _INVISIBLE.search(line) is not None


class _OrderedSet:
    """Strings in first-seen order, deduplicated on their folded form."""

    def __init__(self) -> None:
        self._items: list[str] = []
        self._keys: set[str] = set()

    def add(self, value: str | None) -> None:
        value = _squash(value).strip("#،,.:;")
        if not value or len(value) > 60:
            return
        key = match_key(value)
        if key and key not in self._keys:
            self._keys.add(key)
            self._items.append(value)

    def keys(self) -> set[str]:
        return self._keys

    def items(self) -> tuple[str, ...]:
        return tuple(self._items)


def _check_bytes(body: bytes, content_type: str | None, url: str) -> None:
    if not body or not body.strip():
        raise ExtractionError("empty body", url=url)
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime and mime not in _HTML_MIME and not mime.endswith("+xml") and mime != "application/octet-stream":
        raise ExtractionError(f"not HTML (content-type {mime})", url=url)
    head = body[:2048].lstrip()
    if head.startswith(_BINARY_MAGIC):
        raise ExtractionError("not HTML (binary content)", url=url)
    if not _HTMLISH.search(body[:65536]) and not head.startswith(b"<"):
        raise ExtractionError("not HTML (no markup)", url=url)


def _parse_tree(text: str, url: str) -> lxml.html.HtmlElement:
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text, count=1)
    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as err:
        raise ExtractionError(f"unparseable HTML: {err}", url=url) from err
    return tree


def _class_id(el: lxml.html.HtmlElement) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}".lower()


def _element_text(el: lxml.html.HtmlElement) -> str:
    if len(el) == 0:  # a leaf: its text is .text (text_content() would run an XPath for it)
        return _squash(el.text)
    return _squash(el.text_content())


def _clean_title(raw: str | None) -> str:
    return _squash(raw)


# --------------------------------------------------------------------------- metadata


def _title(meta: dict[str, list[str]], ld: dict[str, Any], tree: lxml.html.HtmlElement) -> str:
    og = _first(meta, "og:title", "twitter:title")
    if og:
        return _clean_title(og[1])
    headline = _ld_text(ld.get("headline"))
    if headline:
        return _clean_title(headline[0])
    for h1 in tree.iter("h1"):
        text = _element_text(h1)
        if text:
            return text
    title_el = tree.find(".//title")
    if title_el is not None:
        text = _element_text(title_el)
        return _SITE_SUFFIX.sub("", text) or text
    return ""


def _clean_byline(raw: str) -> str | None:
    text = _BYLINE_PREFIX.sub("", _squash(raw)).strip(" -–|،,")
    if not text or len(text) > 80 or text.startswith(("http://", "https://")):
        return None
    return text


def _byline(meta: dict[str, list[str]], ld: dict[str, Any], markup: _Markup) -> str | None:
    names = [n for n in (_clean_byline(a) for a in _ld_text(ld.get("author"))) if n]
    if names:
        return "، ".join(dict.fromkeys(names))
    found = _first(meta, "author", "article:author", "byl", "dc.creator", "sailthru.author")
    if found:
        name = _clean_byline(found[1])
        if name:
            return name
    for el in markup.byline_elements:
        name = _clean_byline(_element_text(el))
        if name:
            return name
    return None


def _canonical(meta: dict[str, list[str]], ld: dict[str, Any], tree: lxml.html.HtmlElement, url: str) -> str:
    candidates: list[str] = [
        el.get("href", "") for el in tree.iter("link") if (el.get("rel") or "").strip().lower() == "canonical"
    ]
    og = _first(meta, "og:url")
    if og:
        candidates.append(og[1])
    candidates.extend(_ld_text(ld.get("mainEntityOfPage")) + _ld_text(ld.get("url")))
    fetched_path = urlsplit(url).path or "/"
    for candidate in candidates:
        if not candidate.strip():
            continue
        try:
            canonical = canonicalize_url(candidate, base=url)
        except ValueError:
            continue
        if urlsplit(canonical).path == "/" and fetched_path != "/":
            continue  # a CMS that points every page's canonical at the home page
        return canonical
    try:
        return canonicalize_url(url)
    except ValueError:
        return url


def _lead_image(meta: dict[str, list[str]], ld: dict[str, Any], url: str) -> str | None:
    found = _first(
        meta, "og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"
    )
    image = found[1] if found else next(iter(_ld_text(ld.get("image"))), None)
    return urljoin(url, image.strip()) if image and image.strip() else None


def _section(meta: dict[str, list[str]], ld: dict[str, Any], markup: _Markup) -> str | None:
    found = _first(meta, "article:section", "section", "parsely-section")
    if found:
        return _squash(found[1])
    ld_section = _ld_text(ld.get("articleSection"))
    if ld_section:
        return _squash(ld_section[0])
    for el in markup.breadcrumbs:
        links = [_element_text(a) for a in el.iter("a")]
        links = [t for t in links if t]
        if len(links) >= 2:
            return links[-1]
    return None


def _source_tags(meta: dict[str, list[str]], ld: dict[str, Any], markup: _Markup) -> _OrderedSet:
    tags = _OrderedSet()
    for value in meta.get("article:tag", []):
        tags.add(value)
    for value in meta.get("news_keywords", []):
        for part in _TAG_SPLIT.split(value):
            tags.add(part)
    for value in _ld_text(ld.get("keywords")):
        for part in _TAG_SPLIT.split(value):
            tags.add(part)
    for el in markup.rel_tags:
        tags.add(_element_text(el))
    for words in markup.tag_lines:
        for word in words:
            tags.add(word)
    if not tags.items():
        for value in meta.get("keywords", []):
            for part in _TAG_SPLIT.split(value):
                tags.add(part)
    return tags


_INLINE = {"a", "span", "b", "strong", "em", "i", "small", "br"}


def _tag_line_words(el: lxml.html.HtmlElement) -> list[str] | None:
    """A category line such as ``<div>سياسة سياسة سياسة</div>`` (or ``الوسوم: …``), as its tags."""
    if len(el):
        for child in el:
            if not isinstance(child.tag, str) or child.tag not in _INLINE:
                return None
        text = _squash(el.text_content())
    else:
        raw = el.text
        if not raw:
            return None
        text = _squash(raw)
    if not 2 < len(text) <= 200:
        return None
    words = text.split()
    if len(set(words)) == len(words) and not text.startswith(_TAG_LABEL_STARTS):
        return None  # neither a repeated-word line nor a labelled one: skip the folding
    label = _TAG_LABEL.match(match_key(text))
    if label:
        return _split_tag_label(text, label)
    return _is_tag_line(text, None) or None


_BYLINE_TAGS = frozenset({"a", "span", "div", "p", "address"})
_BYLINE_KEYS = re.compile("author|byline|writer")
_BREADCRUMB_TAGS = frozenset({"nav", "ol", "ul", "div"})
_DATE_TAGS = frozenset({"time", "span", "div", "p", "small", "li", "abbr"})
_DATE_KEYS = re.compile("date|time|publish|posted|timestamp")
_TAG_LINE_TAGS = frozenset({"div", "p", "span", "ul", "section", "footer"})
_SCAN_TAGS = tuple(_BYLINE_TAGS | _BREADCRUMB_TAGS | _DATE_TAGS | _TAG_LINE_TAGS)


@dataclass
class _Markup:
    """What one walk over the page's markup found, each list in document order."""

    rel_tags: list[lxml.html.HtmlElement]
    tag_lines: list[list[str]]
    byline_elements: list[lxml.html.HtmlElement]
    breadcrumbs: list[lxml.html.HtmlElement]
    date_elements: list[lxml.html.HtmlElement]


def _scan_markup(tree: lxml.html.HtmlElement) -> _Markup:
    """One pass over the elements the metadata steps look at (instead of one pass per step).

    Texts are computed only for elements a step will use; date elements keep the element,
    as their text is needed only when no machine-readable date parsed. Elements without
    class and id skip the class/id tests (most of a page).
    """
    found = _Markup([], [], [], [], [])
    for el in tree.iter(*_SCAN_TAGS):
        tag = el.tag
        rel = el.get("rel")
        klass, ident = el.get("class"), el.get("id")
        cid = f"{klass or ''} {ident or ''}".lower() if klass or ident else ""
        if tag == "a":
            if rel and "tag" in rel.lower().split():
                found.rel_tags.append(el)
            if rel == "author" or (cid and _BYLINE_KEYS.search(cid)):
                found.byline_elements.append(el)
            continue
        if tag == "time":
            found.date_elements.append(el)
            continue
        if cid:
            if tag in _BYLINE_TAGS and (rel == "author" or _BYLINE_KEYS.search(cid)):
                found.byline_elements.append(el)
            if tag in _BREADCRUMB_TAGS and "breadcrumb" in cid:
                found.breadcrumbs.append(el)
            if tag in _DATE_TAGS and _DATE_KEYS.search(cid):
                found.date_elements.append(el)
        elif rel == "author" and tag in _BYLINE_TAGS:
            found.byline_elements.append(el)
        if tag in _TAG_LINE_TAGS:
            words = _tag_line_words(el)
            if words:
                found.tag_lines.append(words)
    return found


def _split_tag_label(line: str, label: re.Match[str]) -> list[str]:
    """The tags after a label such as ``الوسوم:`` (comma/pipe separated, else one per word)."""
    parts = line.split(maxsplit=len(label.group(0).split()))
    rest = parts[-1].lstrip(":： ") if len(parts) > len(label.group(0).split()) else ""
    pieces = _TAG_SPLIT.split(rest) if _TAG_SPLIT.search(rest) else rest.split()
    return [p for p in pieces if p]


def _date_texts(elements: list[lxml.html.HtmlElement]) -> Iterator[str]:
    for el in elements:
        text = _element_text(el)
        if text and len(text) <= 100:
            yield text


# --------------------------------------------------------------------------- body cleanup


@dataclass
class _Cleaned:
    paragraphs: list[str]
    provenance: Provenance | None
    disclaimer: bool
    byline: str | None
    datelines: list[str]
    tag_words: list[str]


def _is_tag_line(line: str, known_tags: set[str] | None) -> list[str] | None:
    """Tags on a line made only of tags, e.g. "سياسة سياسة سياسة" (None if not such a line)."""
    if re.search(r"[.!؟?:«»\"()0-9٠-٩]", line):
        return None
    words = line.split()
    if not 2 <= len(words) <= 16:
        return None
    folded = [match_key(w) for w in words]
    counts = {w: folded.count(w) for w in folded}
    if all(c >= 2 for c in counts.values()) and len(counts) <= 4:
        return list(dict.fromkeys(words))
    if known_tags is None:  # repetition only (used on whole pages, where menus look like tag lines)
        return None
    known_words = {w for tag in known_tags for w in tag.split()} | _SECTION_WORDS
    if len(words) <= 6 and all(w in known_words for w in folded):
        return list(dict.fromkeys(words))
    return None


def _clean_lines(lines: Iterable[str], *, title: str, site_timezone: str, known_tags: set[str]) -> _Cleaned:
    out: list[str] = []
    seen: set[str] = set()
    provenance: Provenance | None = None
    disclaimer = False
    byline: str | None = None
    datelines: list[str] = []
    tag_words: list[str] = []
    title_key = match_key(title)
    in_related = False
    for raw in lines:
        line = _squash(raw)
        if not line:
            continue
        folded = match_key(line)
        if "عنوان" in line:
            found = parse_attribution(line, site_timezone=site_timezone)
            if found is not None:
                provenance = provenance or found
                disclaimer = disclaimer or is_disclaimer(line)
                continue
        if _maybe_disclaimer(line, folded) and is_disclaimer(line):
            disclaimer = True
            continue
        if in_related:
            if len(line) < 100 and not _SENTENCE_END.search(line):
                continue
            in_related = False
        if _RELATED_HEADINGS.search(folded):
            if len(folded.split()) <= 3:
                in_related = True  # a heading alone: the link titles follow
            if len(line) <= 200:
                continue
        if _SHARE_FOLLOW.search(folded) and len(folded.split()) <= 8:
            continue
        if _FOOTER.search(folded) and len(line) <= 120:
            continue
        label = _TAG_LABEL.match(folded)
        if label:
            tag_words.extend(_split_tag_label(line, label))
            continue
        if _CREDIT.match(folded) and len(line) <= 60:
            continue
        if _BYLINE_PREFIX.match(line) and len(line) <= 60 and not _SENTENCE_END.search(line):
            byline = byline or _clean_byline(line)
            continue
        if folded == title_key:
            continue
        if _DATE_PREFIX.match(folded) and len(line) <= 40 and not _SENTENCE_END.search(line):
            datelines.append(line)
            continue
        if len(line) <= 60:
            hit = find_date(line, tz=site_timezone, now=_RELATIVE_PROBE, allow_relative=len(line) <= 30)
            if hit is not None and len(line) - (hit.end - hit.start) <= 25:
                datelines.append(line)
                continue
        if folded in seen:
            continue
        seen.add(folded)
        out.append(line)
    # Trailing tag lines ("سياسة سياسة سياسة"): metadata, not body.
    while out:
        tags = _is_tag_line(out[-1], known_tags)
        if tags is None:
            break
        tag_words.extend(tags)
        seen.discard(match_key(out.pop()))
    return _Cleaned(out, provenance, disclaimer, byline, datelines, tag_words)


def _main_lines(tree: lxml.html.HtmlElement, url: str) -> list[str]:
    options = copy.copy(_TRAFILATURA_OPTIONS)
    options.url = url
    document = bare_extraction(tree, url=url, options=options)
    if document is None:
        return []
    text = document.text if not isinstance(document, dict) else document.get("text")
    return (text or "").splitlines()


def _page_attribution(tree: lxml.html.HtmlElement, site_timezone: str) -> tuple[Provenance | None, bool]:
    """Attribution and disclaimer anywhere on the page (trafilatura may have dropped them)."""
    provenance: Provenance | None = None
    disclaimer = False
    for el in tree.iter("p", "div", "span", "section", "footer", "small", "em", "blockquote"):
        text = _element_text(el)
        if not text or len(text) > 600:
            continue
        if provenance is None and "عنوان" in text:
            provenance = parse_attribution(text, site_timezone=site_timezone)
        if not disclaimer and is_disclaimer(text):
            disclaimer = True
        if provenance is not None and disclaimer:
            break
    return provenance, disclaimer


# --------------------------------------------------------------------------- dates


def _published(
    meta: dict[str, list[str]],
    ld: dict[str, Any],
    tree: lxml.html.HtmlElement,
    markup: _Markup,
    *,
    provenance: Provenance | None,
    datelines: list[str],
    tz: str,
    now: datetime | None,
) -> tuple[datetime | None, str | None]:
    for source, value in _date_candidates(meta, ld, tree):  # lazily: the tree is walked only if needed
        parsed = parse_date(value, tz=tz, now=now)
        if parsed is not None:
            return parsed, source
    if provenance is not None and provenance.original_date is not None:
        return provenance.original_date, "attribution"
    for text in [*_date_texts(markup.date_elements), *datelines]:
        parsed = parse_date(text, tz=tz, now=now)
        if parsed is not None:
            return parsed, "text"
    body = tree.find("body")
    if body is not None:
        hit = find_date(body.text_content()[:20000], tz=tz)
        if hit is not None:
            return hit.value, "text"
    return None, None


def _date_candidates(
    meta: dict[str, list[str]], ld: dict[str, Any], tree: lxml.html.HtmlElement
) -> Iterator[tuple[str, str]]:
    """(source, value) in order of trust: meta article:published_time, JSON-LD, other meta, markup."""
    for value in meta.get("article:published_time", []):
        yield "meta:article:published_time", value
    for value in _ld_text(ld.get("datePublished")):
        yield "jsonld:datePublished", value
    for key in _OTHER_PUBLISHED_META:
        for value in meta.get(key, []):
            yield f"meta:{key}", value
    for value, source in _machine_dates(tree):
        yield source, value


def _machine_dates(tree: lxml.html.HtmlElement) -> Iterator[tuple[str, str]]:
    """``itemprop=datePublished`` elements first, then the first few ``<time datetime>``."""
    times: list[tuple[str, str]] = []
    for el in tree.iter():
        if not isinstance(el.tag, str) or el.tag == "meta":
            continue
        if el.get("itemprop") == "datePublished":
            value = el.get("datetime") or el.get("content")
            if value:
                yield value, "itemprop:datePublished"
        elif el.tag == "time" and el.get("datetime") and len(times) < 3:
            times.append((el.get("datetime", ""), "time[datetime]"))
    yield from times


def _updated(meta: dict[str, list[str]], ld: dict[str, Any], tz: str) -> datetime | None:
    values = [v for key in _MODIFIED_META for v in meta.get(key, [])] + _ld_text(ld.get("dateModified"))
    for value in values:
        parsed = parse_date(value, tz=tz)
        if parsed is not None:
            return parsed
    return None


# --------------------------------------------------------------------------- entry point


def extract_article(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    site_timezone: str = "UTC",
    now: datetime | None = None,
    min_text_chars: int = MIN_TEXT_CHARS,
) -> ExtractedArticle:
    """Extract the article in ``body`` (the raw HTTP response bytes of ``url``).

    ``content_type`` is the HTTP header value (its charset is honoured, see
    :mod:`fetcher.charset`); ``site_timezone`` is how the site writes dates without
    an offset; ``now`` resolves relative dates (``منذ ساعتين``) and should be the
    fetch time; without it they are ignored.
    """
    _check_bytes(body, content_type, url)
    decoded = decode_body(body, content_type)
    if _FEED_ROOT.match(decoded.text[:2048]):
        raise ExtractionError("not an article page (feed or sitemap XML)", url=url)
    tree = _parse_tree(decoded.text, url)
    if tree.find("body") is None and tree.tag != "html":
        raise ExtractionError("not HTML (no document)", url=url)

    meta = _meta(tree)
    ld = _jsonld_article(tree)
    title = _title(meta, ld, tree)
    markup = _scan_markup(tree)
    source_tags = _source_tags(meta, ld, markup)
    byline = _byline(meta, ld, markup)
    canonical = _canonical(meta, ld, tree, url)
    lead_image = _lead_image(meta, ld, url)
    section = _section(meta, ld, markup)
    language = (tree.get("lang") or "").strip() or None
    updated_at = _updated(meta, ld, site_timezone)

    cleaned = _clean_lines(
        _main_lines(tree, url), title=title, site_timezone=site_timezone, known_tags=source_tags.keys()
    )
    text_chars = sum(len(p) for p in cleaned.paragraphs)
    if text_chars < min_text_chars:
        raise ExtractionError(f"too little article text ({text_chars} < {min_text_chars} chars)", url=url)

    # The whole page is searched for an attribution line only when trafilatura's text had none
    # (trafilatura may drop it as boilerplate); the tree is left untouched by trafilatura.
    page_provenance, page_disclaimer = (
        _page_attribution(tree, site_timezone)
        if cleaned.provenance is None and ("عنوان" in decoded.text or "يتحمل" in decoded.text)
        else (None, False)
    )
    provenance = cleaned.provenance or page_provenance
    for word in cleaned.tag_words:
        source_tags.add(word)
    published_at, date_source = _published(
        meta, ld, tree, markup, provenance=provenance, datelines=cleaned.datelines, tz=site_timezone, now=now
    )
    if not title:
        title = cleaned.paragraphs[0][:200]

    return ExtractedArticle(
        url=url,
        canonical_url=canonical,
        title=title,
        text="\n\n".join(cleaned.paragraphs),
        paragraphs=tuple(cleaned.paragraphs),
        byline=byline or cleaned.byline,
        published_at=published_at,
        date_source=date_source,
        updated_at=updated_at,
        lead_image=lead_image,
        tags=source_tags.items(),
        section=section,
        charset=decoded.charset,
        language_hint=language,
        provenance=provenance,
        is_aggregator_page=provenance is not None or cleaned.disclaimer or page_disclaimer,
    )
