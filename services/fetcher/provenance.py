"""Aggregator attribution lines and disclaimers.

Arabic aggregators republish articles with a line such as::

    هذا الخبر بعنوان "…" نشر أولاً على موقع SITE وتم جلبه من مصدره الأصلي بتاريخ ٤ شباط ٢٠٢٦

and a disclaimer (``لا يتحمل موقعنا مضمونه بأي شكل من الأشكال``). ``parse_attribution``
turns the first into a :class:`akhbar.messages.Provenance`; ``is_disclaimer`` and
``strip_aggregator_notes`` let the extractor remove both from the article body.

Variants accepted: ``أولاً``/``أولا``/``اولا``, ``نشر``/``نُشر``/``ظهر``/``تم نشره``,
``على موقع``/``في موقع``/``عبر موقع``/``على الموقع``, quotes ``"…"``, ``«…»``, ``“…”``,
``'…'``, with or without the ``وتم جلبه من مصدره الأصلي`` tail, and dates in any form
:mod:`fetcher.dates` reads (with times). Matching ignores diacritics and tatweel.
"""

from __future__ import annotations

import re

from akhbar.arabic import strip_diacritics, strip_invisible, strip_tatweel
from akhbar.messages import Provenance
from fetcher.dates import find_date

__all__ = ["find_attribution", "is_disclaimer", "parse_attribution", "strip_aggregator_notes"]

_A = "[اأإآ]"
_QUOTES = "\"«“„'‘"
_CLOSE = "\"»”“'’"

_ATTRIBUTION = re.compile(
    r"(?:هذا|هذه)\s+(?:الخبر|المقال|المقاله|المقالة|الماده|المادة|التقرير|المحتوى)\s+"
    r"(?:بعنوان|تحت\s+عنوان)\s*:?\s*"
    r"[" + _QUOTES + r"](?P<title>.+?)[" + _CLOSE + r"]\s*"
    r"(?:،|,)?\s*(?:قد\s+|وقد\s+)?(?:تم\s+)?(?:نشر(?:ه|ها|ت)?|ظهر(?:ت)?|نقل)\s+"
    r"(?:" + _A + r"ول[اى]ً?\s+|للمر[ةه]\s+ال" + _A + r"ولى\s+)?"
    r"(?:على|في|عبر|من)\s+(?:ال)?(?:موقع|صحيفة|صحيفه|جريدة|جريده|بوابة|بوابه)\s+(?P<site>.+?)"
    r"(?=\s*(?:،|,|\.)?\s*(?:و\s*تم|وقد\s+تم|ثم\s+تم|و\s*جرى|بتاريخ|لا\s+يتحمل|ولا\s+يتحمل)|\s*[.،,]?\s*$)"
    r"(?P<tail>.*)$",
    re.DOTALL,
)
_DATE_TAIL = re.compile(r"بتاريخ\s*:?\s*(?P<date>.+)$", re.DOTALL)

_DISCLAIMERS = [
    re.compile(
        r"لا\s+يتحمل\s+(?:موقعنا|الموقع|موقع\s+\S+(?:\s+\S+)?)\s+"
        r"(?:مضمونه|مضمونها|مسؤولي[ةه]|اي\s+مسؤولي[ةه]|أي\s+مسؤولي[ةه])"
    ),
    re.compile(r"(?:موقعنا|الموقع)\s+(?:لا\s+يتحمل|غير\s+مسؤول)"),
    re.compile(
        r"(?:تقع\s+)?(?:ال)?مسؤولي[ةه]\s+.{0,40}على\s+(?:عاتق\s+)?(?:ال)?مصدر(?:ه|ها)?\s+ال" + _A + "صلي"
    ),
    re.compile(r"تم\s+نشر\s+(?:هذا\s+)?(?:الخبر|المقال)\s+" + _A + r"ليا"),
    re.compile(r"لا\s+يعبر\s+(?:بالضرور[ةه]\s+)?عن\s+(?:ر" + _A + r"ي|وجه[ةه]\s+نظر)\s+(?:الموقع|موقعنا)"),
]


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", strip_invisible(strip_diacritics(strip_tatweel(text)))).strip()


def parse_attribution(text: str, *, site_timezone: str = "UTC") -> Provenance | None:
    """Provenance from one attribution line, or ``None`` if ``text`` is not one."""
    line = _clean(text)
    if "عنوان" not in line:
        return None
    m = _ATTRIBUTION.search(line)
    if not m:
        return None
    site = m["site"].strip(" .،,:\"'«»“”")
    tail = m["tail"]
    original_date = None
    dated = _DATE_TAIL.search(tail)
    if dated:
        hit = find_date(dated["date"], tz=site_timezone)
        original_date = hit.value if hit else None
    return Provenance(
        original_source=site or None,
        original_title=m["title"].strip() or None,
        original_date=original_date,
    )


# Every disclaimer pattern contains one of these words literally (checked before the regexes run).
_DISCLAIMER_WORDS = ("يتحمل", "مسؤول", "نشر", "يعبر")


def is_disclaimer(text: str) -> bool:
    """True for an aggregator's "we are not responsible for this content" line."""
    line = _clean(text)
    if not any(word in line for word in _DISCLAIMER_WORDS):
        return False
    return any(p.search(line) for p in _DISCLAIMERS)


def find_attribution(lines: list[str], *, site_timezone: str = "UTC") -> tuple[int, Provenance] | None:
    """The index and provenance of the first attribution line among ``lines``."""
    for index, line in enumerate(lines):
        found = parse_attribution(line, site_timezone=site_timezone)
        if found is not None:
            return index, found
    return None


def strip_aggregator_notes(lines: list[str]) -> list[str]:
    """``lines`` without attribution lines and disclaimers."""
    return [line for line in lines if parse_attribution(line) is None and not is_disclaimer(line)]
