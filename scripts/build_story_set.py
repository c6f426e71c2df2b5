"""Build the labelled story set (bench/data/stories/stories.jsonl and pages/) from its hand-written sources.

The sources are bench/data/stories/src/*.txt (the articles, written for the project) and
src/outlets.tsv (made-up outlets, aggregators). This script adds the generated copies
deterministically (choices come from SHA-256 of the event label, never from a random generator):

- ``syndicated``: the article on an aggregator page (its own headline markup, the attribution
  line «هذا الخبر بعنوان "…" نشر أولاً على موقع …», a disclaimer, repeated category tags, a
  sidebar), UTF-8, published there 40 minutes to 5 hours after the original;
- ``cross_encoding``: the same article as a windows-1256 page on the outlet's legacy host, with
  the charset either in the HTTP header or only in ``<meta>``.

Copies link no canonical URL to the original, so each copy has its own RawArticle id (the fetch-once
case is tested in tests/unit/test_fetcher_copies.py); a copy is one more article of its event.

Source format (one file per batch; ``#`` starts a comment line)::

    @event pol-jo-reshuffle | politics | dev          (or @distractor d-…: a story of its own)
    > a | rasd | 2026-10-06T14:20+03:00               (suffix | outlet code | published at)
    Title line
    Lead paragraph
    More paragraphs, one per line (a blank line ends the article)

    .venv/bin/python scripts/build_story_set.py          # rewrite stories.jsonl and pages/
    .venv/bin/python scripts/build_story_set.py --check  # exit 1 if the committed files differ
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
STORIES = ROOT / "bench" / "data" / "stories"
SOURCES = STORIES / "src"
OUTPUT = STORIES / "stories.jsonl"
PAGES = STORIES / "pages"
README = STORIES / "README.md"
COUNTS_START, COUNTS_END = "<!-- counts: written by scripts/build_story_set.py -->", "<!-- /counts -->"

TOPICS = ("politics", "economy", "sport", "security", "health", "tech", "culture", "disaster")
_TOPIC_TAG = {
    "politics": "سياسة",
    "economy": "اقتصاد",
    "sport": "رياضة",
    "security": "أمن",
    "health": "صحة",
    "tech": "تكنولوجيا",
    "culture": "ثقافة",
    "disaster": "منوعات",
}
_MONTHS = [
    "كانون الثاني",
    "شباط",
    "آذار",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين الأول",
    "تشرين الثاني",
    "كانون الأول",
]
_SIDEBAR = ("ارتفاع جديد في أسعار الخضار", "افتتاح معرض للصناعات الحرفية", "حالة الطقس غداً")
MAX_EVENT_SIZE = 6
MIN_COPIED_CHARS = 200
"""Copies are made of articles with at least this much body text (the fetcher drops pages under 150)."""


@dataclass(frozen=True)
class Outlet:
    code: str
    role: str
    name: str
    domain: str
    timezone: str


@dataclass
class Article:
    id: str
    event: str
    topic: str
    split: str
    distractor: bool
    outlet: Outlet
    published_at: datetime
    title: str
    paragraphs: list[str]
    kind: str = "original"
    copy_of: str | None = None
    url: str = ""
    page: str | None = None
    content_type: str | None = None
    page_bytes: bytes | None = None
    source: str = ""
    """The configured source the fetcher found it through (``fetcher.sources.Source.name``)."""


class SourceError(ValueError):
    """A source file breaks the format; the message names the file and line."""


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def read_outlets(path: Path) -> dict[str, Outlet]:
    outlets: dict[str, Outlet] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, role, name, domain, tz = line.split("\t")
        outlets[code] = Outlet(code, role, name, domain, tz)
    return outlets


def read_sources(files: list[Path], outlets: dict[str, Outlet]) -> list[Article]:
    """Parse the hand-written articles, in file order."""
    articles: list[Article] = []
    for path in files:
        event = topic = split = ""
        distractor = False
        current: Article | None = None
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.name}:{number}"
            line = raw.strip()
            if line.startswith("#"):
                continue
            if line.startswith("@"):
                current = None
                directive, _, rest = line.partition(" ")
                parts = [p.strip() for p in rest.split("|")]
                if directive not in ("@event", "@distractor") or len(parts) != 3:
                    raise SourceError(f"{where}: expected '@event|@distractor label | topic | split'")
                event, topic, split = parts
                distractor = directive == "@distractor"
                if topic not in TOPICS or split not in ("dev", "test"):
                    raise SourceError(f"{where}: unknown topic or split {topic!r} {split!r}")
                if distractor != event.startswith("d-"):
                    raise SourceError(f"{where}: distractor labels, and only they, start with 'd-'")
                continue
            if line.startswith(">"):
                if not event:
                    raise SourceError(f"{where}: article before any @event")
                suffix, code, when = (p.strip() for p in line[1:].split("|"))
                if code not in outlets or outlets[code].role != "outlet":
                    raise SourceError(f"{where}: unknown outlet {code!r}")
                published = datetime.fromisoformat(when)
                if published.tzinfo is None:
                    raise SourceError(f"{where}: published_at needs an offset")
                current = Article(
                    id=f"{event}.{suffix}",
                    event=event,
                    topic=topic,
                    split=split,
                    distractor=distractor,
                    outlet=outlets[code],
                    published_at=published,
                    title="",
                    paragraphs=[],
                )
                articles.append(current)
                continue
            if not line:
                current = None
                continue
            if current is None:
                raise SourceError(f"{where}: text outside an article")
            if not current.title:
                current.title = line
            else:
                current.paragraphs.append(line)
    for article in articles:
        if not article.title or len(article.paragraphs) < 2:
            raise SourceError(f"{article.id}: needs a title, a lead and at least one more paragraph")
    return articles


def _original_url(article: Article) -> str:
    day = article.published_at
    slug = article.id.replace(".", "-")
    return f"https://{article.outlet.domain}/{day:%Y/%m/%d}/{slug}.html"


def _arabic_date(moment: datetime) -> str:
    """The aggregator's attribution date, its local time, Levantine months: «6 تشرين الأول 2026 - 2:20 م»."""
    hour = moment.hour % 12 or 12
    half = "ص" if moment.hour < 12 else "م"
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year} - {hour}:{moment.minute:02d} {half}"


def syndicated_page(copy: Article, original: Article) -> bytes:
    """An aggregator page carrying ``original`` (UTF-8)."""
    agg = copy.outlet
    local = ZoneInfo(agg.timezone)
    title = html.escape(original.title)
    body = "<br><br>\n".join(html.escape(p) for p in original.paragraphs)
    attribution = html.escape(
        f"هذا الخبر بعنوان «{original.title}» نشر أولاً على موقع {original.outlet.name} "
        f"وتم جلبه من مصدره الأصلي بتاريخ {_arabic_date(original.published_at.astimezone(local))}."
    )
    disclaimer = "لا يتحمل موقعنا مضمونه بأي شكل من الأشكال وإنما تقع المسؤولية على مصدره الأصلي."
    tag = _TOPIC_TAG[original.topic]
    sidebar = "<br>\n".join(f'<a href="/news-{i}.html">{s}</a>' for i, s in enumerate(_SIDEBAR, 1))
    page = f"""<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head>
<meta charset="UTF-8">
<title>{title} - {html.escape(agg.name)}</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="{html.escape(agg.name)}">
<meta property="article:published_time" content="{copy.published_at.isoformat()}">
<meta name="keywords" content="أخبار, عاجل, {tag}">
</head>
<body>
<div id="top-bar"><a href="/">الرئيسية</a> <a href="/world">العالم</a> <a href="/local">محليات</a></div>
<div class="container">
 <div class="col-main">
  <h2 class="news-title">{title}</h2>
  <div class="news-text">
   {body}<br><br>
   {attribution}<br><br>
   {disclaimer}
  </div>
  <div class="news-cats">{tag} {tag} {tag}</div>
  <div class="share">شارك الخبر: <a href="#">فيسبوك</a> <a href="#">تويتر</a></div>
 </div>
 <div class="col-side">
  <div class="box"><div class="box-title">الأكثر قراءة</div>
   {sidebar}
  </div>
 </div>
</div>
<div id="footer">جميع الحقوق محفوظة ل{html.escape(agg.name)}</div>
</body>
</html>
"""
    return page.encode("utf-8")


def legacy_page(copy: Article, original: Article) -> bytes:
    """The outlet's legacy host serving ``original`` as windows-1256 (unencodable characters as entities)."""
    title = html.escape(original.title)
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in original.paragraphs)
    page = f"""<html dir="rtl">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">
<title>{title} :: {html.escape(original.outlet.name)}</title>
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="{original.published_at.isoformat()}">
</head>
<body>
<table width="100%"><tr><td class="menu">
<a href="/">الرئيسية</a> | <a href="/archive.php">الأرشيف</a></td></tr></table>
<div class="article">
<h1>{title}</h1>
{body}
</div>
<div class="footer">جميع الحقوق محفوظة © {html.escape(original.outlet.name)}</div>
</body>
</html>
"""
    return page.encode("windows-1256", "xmlcharrefreplace")


def add_copies(articles: list[Article], outlets: dict[str, Outlet]) -> list[Article]:
    """The originals plus their generated copies, each copy right after the last article of its event."""
    aggregators = sorted((o for o in outlets.values() if o.role == "aggregator"), key=lambda o: o.code)
    by_event: dict[str, list[Article]] = {}
    for article in articles:
        by_event.setdefault(article.event, []).append(article)
    result: list[Article] = []
    number = 0
    for event, members in by_event.items():
        result.extend(members)
        h = _digest(event)
        plan: list[str] = []
        if members[0].distractor:
            plan = ["syndicated"] if h % 10 == 0 else []
        else:
            plan = [["syndicated"], ["cross_encoding"], ["syndicated", "cross_encoding"], []][h % 4]
        plan = plan[: max(0, MAX_EVENT_SIZE - len(members))]
        # Only articles long enough that the fetcher keeps their page (fetcher.extract.MIN_TEXT_CHARS).
        long_enough = [m for m in members if sum(map(len, m.paragraphs)) >= MIN_COPIED_CHARS]
        for index, kind in enumerate(plan if long_enough else []):
            number += 1
            original = long_enough[(h >> 8 + index) % len(long_enough)]
            if kind == "syndicated":
                agg = aggregators[(h >> 16 + index) % len(aggregators)]
                delay = timedelta(minutes=40 + (h >> 24 + index) % 260)
                copy = Article(
                    id=f"{original.id}.syn",
                    event=event,
                    topic=original.topic,
                    split=original.split,
                    distractor=original.distractor,
                    outlet=agg,
                    published_at=original.published_at + delay,
                    title=original.title,
                    paragraphs=list(original.paragraphs),
                    kind=kind,
                    copy_of=original.id,
                    url=f"https://{agg.domain}/news-{88000 + number}.html",
                    content_type="text/html; charset=utf-8",
                )
                copy.page, copy.source = f"pages/{copy.id}.html", agg.code
                page = syndicated_page(copy, original)
            else:
                # Alternately the charset is in the HTTP header, or only in the page's <meta>.
                header_charset = sum(a.kind == kind for a in result) % 2 == 0
                copy = Article(
                    id=f"{original.id}.1256",
                    event=event,
                    topic=original.topic,
                    split=original.split,
                    distractor=original.distractor,
                    outlet=original.outlet,
                    published_at=original.published_at,
                    title=original.title,
                    paragraphs=list(original.paragraphs),
                    kind=kind,
                    copy_of=original.id,
                    url=f"http://legacy.{original.outlet.domain}/article.php?id={5000 + number}",
                    content_type="text/html; charset=windows-1256" if header_charset else "text/html",
                )
                copy.page, copy.source = f"pages/{copy.id}.html", f"{original.outlet.code}-legacy"
                page = legacy_page(copy, original)
            copy.page_bytes = page
            result.append(copy)
    return result


def record(article: Article) -> dict[str, object]:
    row: dict[str, object] = {
        "id": article.id,
        "event": article.event,
        "split": article.split,
        "topic": article.topic,
        "distractor": article.distractor,
        "kind": article.kind,
        "outlet": article.outlet.name,
        "source": article.source,
        "aggregator": article.outlet.role == "aggregator",
        "site_timezone": article.outlet.timezone,
        "published_at": article.published_at.isoformat(),
        "title": article.title,
        "body": "\n".join(article.paragraphs),
        "url": article.url,
    }
    if article.copy_of:
        row.update({"copy_of": article.copy_of, "page": article.page, "content_type": article.content_type})
    return row


def counts_table(articles: list[Article]) -> str:
    """The README's counts section (Markdown), computed from the built set."""
    events: dict[str, list[Article]] = {}
    for article in articles:
        events.setdefault(article.event, []).append(article)
    stories = [m for m in events.values() if not m[0].distractor]
    singles = [m for m in events.values() if m[0].distractor]
    sizes = sorted({len(m) for m in stories})
    lines = [
        f"- events (3–6 articles): **{len(stories)}**, with "
        + ", ".join(f"{sum(len(m) == n for m in stories)} of {n}" for n in sizes)
        + f" articles; {sum(len(m) for m in stories)} articles in all",
        f"- distractors: **{sum(len(m) for m in singles)}** articles in {len(singles)} stories of their own "
        f"({sum(len(m) == 2 for m in singles)} of them with a generated copy, so of 2)",
        f"- articles: **{len(articles)}**; by kind: "
        + ", ".join(
            f"{k} {sum(a.kind == k for a in articles)}" for k in ("original", "syndicated", "cross_encoding")
        ),
        "",
        "| split | events | event articles | distractor articles | all articles |",
        "|---|---:|---:|---:|---:|",
    ]
    for split in ("dev", "test"):
        s_ev = [m for m in stories if m[0].split == split]
        s_di = [m for m in singles if m[0].split == split]
        lines.append(
            f"| {split} | {len(s_ev)} | {sum(map(len, s_ev))} | {sum(map(len, s_di))} | "
            f"{sum(map(len, s_ev)) + sum(map(len, s_di))} |"
        )
    lines += ["", "| topic | events | event articles | distractor articles |", "|---|---:|---:|---:|"]
    for topic in TOPICS:
        t_ev = [m for m in stories if m[0].topic == topic]
        t_di = [m for m in singles if m[0].topic == topic]
        if t_ev or t_di:
            lines.append(f"| {topic} | {len(t_ev)} | {sum(map(len, t_ev))} | {sum(map(len, t_di))} |")
    return "\n".join(lines) + "\n"


def with_counts(readme: str, table: str) -> str:
    """``readme`` with the text between the counts markers replaced by ``table``."""
    head, start, rest = readme.partition(COUNTS_START)
    _, end, tail = rest.partition(COUNTS_END)
    if not start or not end:
        raise SourceError(f"README.md lacks the {COUNTS_START} … {COUNTS_END} markers")
    return f"{head}{start}\n{table}{end}{tail}"


def build() -> tuple[str, dict[str, bytes], str]:
    """The JSON Lines text, the pages (path relative to the set → bytes) and the README with its counts."""
    outlets = read_outlets(SOURCES / "outlets.tsv")
    originals = read_sources(sorted(SOURCES.glob("*.txt")), outlets)
    seen: set[str] = set()
    for article in originals:
        if article.id in seen:
            raise SourceError(f"duplicate id {article.id}")
        seen.add(article.id)
        article.url = _original_url(article)
        article.source = article.outlet.code
    articles = add_copies(originals, outlets)
    pages = {a.page: a.page_bytes for a in articles if a.page and a.page_bytes is not None}
    lines = [json.dumps(record(a), ensure_ascii=False) for a in articles]
    readme = with_counts(README.read_text(encoding="utf-8"), counts_table(articles))
    return "\n".join(lines) + "\n", pages, readme


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files")
    args = parser.parse_args()
    text, pages, readme = build()
    if args.check:
        current = {p.relative_to(STORIES).as_posix(): p.read_bytes() for p in PAGES.glob("*.html")}
        same = (
            OUTPUT.exists()
            and OUTPUT.read_text(encoding="utf-8") == text
            and current == pages
            and README.read_text(encoding="utf-8") == readme
        )
        print(
            "up to date"
            if same
            else "stories.jsonl, pages/ or README counts differ from the sources; rebuild"
        )
        return 0 if same else 1
    PAGES.mkdir(parents=True, exist_ok=True)
    for stale in PAGES.glob("*.html"):  # pages of copies no longer planned
        if stale.relative_to(STORIES).as_posix() not in pages:
            stale.unlink()
    for relative, data in pages.items():
        (STORIES / relative).write_bytes(data)
    OUTPUT.write_text(text, encoding="utf-8")
    README.write_text(readme, encoding="utf-8")
    print(f"{text.count(chr(10))} articles, {len(pages)} pages → {OUTPUT.relative_to(ROOT)}; README counts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
