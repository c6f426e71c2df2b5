"""Parse the dates Arabic news sites print, into timezone-aware datetimes.

Pure functions: nothing here reads the clock. Relative expressions (``منذ ساعتين``,
``أمس``) are resolved against the ``now`` the caller passes and stay unresolved
(``None``) without it.

Recognised forms (digits may be ASCII, Arabic-Indic ``٠-٩`` or Persian ``۰-۹``):

* ISO 8601 (``2026-02-04T10:30:00+03:00``, ``…Z``, date only) and RFC 822
  (``Wed, 04 Feb 2026 10:30:00 +0300``), as found in meta tags, JSON-LD and feeds.
* ``[weekday][،] DAY MONTH[/MONTH] YEAR [هـ|م] [time]`` with month names in the
  Levantine/Iraqi (``شباط``, ``كانون الثاني``, ``كانون 2``, ``تشرين 1``),
  Egyptian/Gulf (``فبراير``, ``إبريل``/``أبريل``, ``يونية``…), Maghrebi
  (``فيفري``, ``جوان``, ``جويلية``, ``أوت``) and Moroccan (``يوليوز``, ``غشت``,
  ``شتنبر``, ``نونبر``, ``دجنبر``) series, and combined ``تموز/يوليو`` or
  ``تموز (يوليو)`` forms.
* Numeric ``DD/MM/YYYY``, ``DD-MM-YYYY``, ``DD.MM.YYYY`` (day first, as used across
  the Arab world) and ``YYYY/MM/DD``.
* Hijri dates (``١٥ رمضان ١٤٤٧ هـ``), converted with the Umm al-Qura calendar
  (``hijridate``, valid 1343–1500 AH); outside that range they are not converted.
* Times ``HH:MM[:SS]`` with ``ص``/``م``, ``صباحاً``/``مساءً``, ``AM``/``PM``, before
  or after the date, optionally introduced by ``الساعة`` / ``على الساعة``.
* Relative: ``منذ 5 دقائق``, ``منذ دقيقة``, ``منذ ساعتين``, ``منذ 3 ساعات``,
  ``منذ يومين``, ``قبل أسبوع``, ``الآن``, ``اليوم``, ``أمس``/``البارحة``,
  ``أول أمس`` (with an optional time: ``أمس الساعة 10:30 م``).

A datetime without an offset is read in the site's timezone (``zoneinfo`` name).
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from akhbar.arabic import fold_letters, strip_diacritics, strip_invisible, strip_tatweel, to_western_digits

__all__ = ["DateMatch", "find_date", "parse_date", "parse_machine_date", "site_zone"]


# Arabic comma and decimal/thousands separators as ASCII (one-to-one: offsets stay valid).
_PUNCTUATION = str.maketrans({"،": ",", "٫": ".", "٬": ","})


_GREGORIAN_MONTHS: dict[str, int] = {
    # Levantine / Iraqi (Syriac names)
    "كانون الثاني": 1,
    "كانون ثاني": 1,
    "كانون 2": 1,
    "شباط": 2,
    "اذار": 3,
    "نيسان": 4,
    "ايار": 5,
    "حزيران": 6,
    "تموز": 7,
    "اب": 8,
    "ايلول": 9,
    "تشرين الاول": 10,
    "تشرين اول": 10,
    "تشرين 1": 10,
    "تشرين الثاني": 11,
    "تشرين ثاني": 11,
    "تشرين 2": 11,
    "كانون الاول": 12,
    "كانون اول": 12,
    "كانون 1": 12,
    # Egyptian / Gulf (from the Latin names), with common spellings
    "يناير": 1,
    "فبراير": 2,
    "مارس": 3,
    "ابريل": 4,
    "ابرايل": 4,
    "مايو": 5,
    "يونيو": 6,
    "يونيه": 6,
    "يوليو": 7,
    "يوليه": 7,
    "اغسطس": 8,
    "اغسطوس": 8,
    "سبتمبر": 9,
    "اكتوبر": 10,
    "نوفمبر": 11,
    "ديسمبر": 12,
    # Maghrebi (from the French names)
    "جانفي": 1,
    "فيفري": 2,
    "افريل": 4,
    "ماي": 5,
    "جوان": 6,
    "جويليه": 7,
    "اوت": 8,
    # Moroccan
    "يوليوز": 7,
    "غشت": 8,
    "شتنبر": 9,
    "نونبر": 11,
    "دجنبر": 12,
}

_HIJRI_MONTHS: dict[str, int] = {
    "محرم": 1,
    "صفر": 2,
    "ربيع الاول": 3,
    "ربيع اول": 3,
    "ربيع الثاني": 4,
    "ربيع الاخر": 4,
    "ربيع ثاني": 4,
    "جمادي الاولي": 5,
    "جمادي الاول": 5,
    "جمادي الثانيه": 6,
    "جمادي الاخره": 6,
    "جمادي الثاني": 6,
    "جمادي الاخر": 6,
    "رجب": 7,
    "شعبان": 8,
    "رمضان": 9,
    "شوال": 10,
    "ذو القعده": 11,
    "ذي القعده": 11,
    "ذو الحجه": 12,
    "ذي الحجه": 12,
}

_WEEKDAYS = ["الاحد", "الاثنين", "الإثنين", "الثلاثاء", "الاربعاء", "الخميس", "الجمعه", "السبت"]


def _alternation(names: list[str]) -> str:
    # Longest first so "كانون الثاني" wins over a shorter prefix; spaces match any run of spaces.
    ordered = sorted(set(names), key=len, reverse=True)
    return "|".join(re.escape(n).replace(r"\ ", r"\s*") for n in ordered)


_GREG_ALT = _alternation(list(_GREGORIAN_MONTHS))
_HIJRI_ALT = _alternation(list(_HIJRI_MONTHS))
_WORD_END = r"(?![\u0621-\u064a\w])"
_WORD_START = r"(?<![\u0621-\u064a\w])"

_TIME = re.compile(
    r"(?:(?:علي\s+)?الساعه\s*)?"
    r"(?P<h>[012]?\d)\s*[:：]\s*(?P<mi>[0-5]\d)(?:\s*[:：]\s*(?P<s>[0-5]\d))?"
    r"(?:\s*(?P<ap>صباحا|مساء|ظهرا|عصرا|ليلا|فجرا|ص|م|am|pm|a\.m\.|p\.m\.)" + _WORD_END + ")?",
    re.IGNORECASE,
)

_NAMED_DATE = re.compile(
    _WORD_START + r"(?P<d>[0-3]?\d)\s*(?:من\s+)?"
    r"(?P<m>"
    + _GREG_ALT
    + "|"
    + _HIJRI_ALT
    + r")"
    + _WORD_END
    + r"(?:\s*[/\-–(]\s*(?P<m2>"
    + _GREG_ALT
    + r")"
    + _WORD_END
    + r"\s*\)?)?"
    r"\s*,?\s*(?P<y>\d{4})" + r"(?!\d)"
    r"(?:\s*(?P<era>هـ|ه|م)" + _WORD_END + ")?"
)

_NUMERIC_DMY = re.compile(
    r"(?<![\d/.\-])(?P<d>[0-3]?\d)(?P<sep>[/.\-])(?P<m>[01]?\d)(?P=sep)(?P<y>\d{4})(?![\d/])"
)
_NUMERIC_YMD = re.compile(
    r"(?<![\d/.\-])(?P<y>\d{4})(?P<sep>[/.\-])(?P<m>[01]?\d)(?P=sep)(?P<d>[0-3]?\d)(?!\d)"
)

_NUMBER_WORDS = {
    "واحد": 1,
    "واحده": 1,
    "اثنين": 2,
    "اثنتين": 2,
    "ثلاث": 3,
    "ثلاثه": 3,
    "اربع": 4,
    "اربعه": 4,
    "خمس": 5,
    "خمسه": 5,
    "ست": 6,
    "سته": 6,
    "سبع": 7,
    "سبعه": 7,
    "ثماني": 8,
    "ثمانيه": 8,
    "تسع": 9,
    "تسعه": 9,
    "عشر": 10,
    "عشره": 10,
}
_UNIT_WORDS: list[tuple[str, str, int]] = [
    # (pattern on folded text, unit, implied count) — duals carry their count.
    (r"ثانيتين", "seconds", 2),
    (r"ثوان|ثواني|ثانيه", "seconds", 1),
    (r"دقيقتين|دقيقتان", "minutes", 2),
    (r"دقايق|دقيقه", "minutes", 1),  # folded spellings: ئ → ي (akhbar.arabic.fold_letters)
    (r"ساعتين|ساعتان", "hours", 2),
    (r"ساعات|ساعه", "hours", 1),
    (r"يومين|يومان", "days", 2),
    (r"ايام|يوم", "days", 1),
    (r"اسبوعين|اسبوعان", "weeks", 2),
    (r"اسابيع|اسبوع", "weeks", 1),
]
_UNIT_ALT = "|".join(p for p, _, _ in _UNIT_WORDS)
_RELATIVE_AGO = re.compile(
    r"(?:منذ|قبل)\s+(?:(?P<n>\d+)\s*|(?P<w>"
    + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
    + r")\s+)?(?P<u>"
    + _UNIT_ALT
    + r")"
    + _WORD_END
)
_RELATIVE_DAY = re.compile(_WORD_START + r"(?P<k>اول\s+امس|امس|البارحه|اليوم|الان)" + _WORD_END)


@dataclass(frozen=True)
class DateMatch:
    """A date found in free text: the value, where it was, and what kind it was."""

    value: datetime
    start: int
    end: int
    kind: str  # "gregorian" | "hijri" | "numeric" | "relative"


@lru_cache(maxsize=64)
def site_zone(name: str) -> tzinfo:
    """The ``ZoneInfo`` for a site timezone name (``UTC`` for ``"UTC"``)."""
    if name.upper() in {"UTC", "Z", "GMT"}:
        return UTC
    return ZoneInfo(name)


def _zone(tz: str | tzinfo) -> tzinfo:
    return site_zone(tz) if isinstance(tz, str) else tz


def _clean(text: str) -> str:
    """Digits to ASCII and invisible marks out; same length where it matters for offsets."""
    return fold_letters(to_western_digits(strip_invisible(strip_diacritics(strip_tatweel(text))))).translate(
        _PUNCTUATION
    )


def _localize(naive: datetime, tz: tzinfo) -> datetime:
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=tz)


def parse_machine_date(value: str, *, tz: str | tzinfo = "UTC") -> datetime | None:
    """ISO 8601 or RFC 822/1123 only (meta tags, JSON-LD, feeds). ``None`` if neither."""
    raw = to_western_digits(value.strip())
    if not raw:
        return None
    zone = _zone(tz)
    iso = raw.replace(" ", "T", 1) if re.match(r"^\d{4}-\d{2}-\d{2} \d", raw) else raw
    iso = re.sub(r"(\.\d{6})\d+", r"\1", iso)  # >6 fractional digits
    iso = re.sub(r"\s*(?:UTC|GMT)$", "Z", iso)
    try:
        return _localize(datetime.fromisoformat(iso), zone)
    except ValueError:
        pass
    if re.match(r"^\d{4}/\d{2}/\d{2}$", raw):
        try:
            return _localize(datetime.strptime(raw, "%Y/%m/%d"), zone)
        except ValueError:
            return None
    try:
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    # parsedate_to_datetime returns naive for "-0000" (unknown zone): read it as site time.
    return _localize(parsed, zone)


def _apply_ampm(hour: int, ap: str | None) -> int | None:
    if ap is None:
        return hour
    ap = ap.lower().replace(".", "")
    pm = ap in {"م", "مساء", "pm", "عصرا", "ليلا"} or (ap == "ظهرا" and hour < 12)
    if hour > 12:
        return hour  # "14:00 م": the marker is redundant
    if pm:
        return 12 if hour == 12 and ap == "ظهرا" else (hour % 12) + 12
    return 0 if hour == 12 and ap in {"ص", "am", "صباحا", "فجرا"} else hour


def _time_from(match: re.Match[str]) -> time | None:
    hour = _apply_ampm(int(match["h"]), match["ap"])
    if hour is None or hour > 23:
        return None
    return time(hour, int(match["mi"]), int(match["s"] or 0))


def _nearby_time(cleaned: str, start: int, end: int) -> time | None:
    """A time printed just after (preferred) or just before a date."""
    window = cleaned[end : end + 24]
    m = re.match(r"^[\s,\-–|/()]*(?:في\s+)?", window)
    after = _TIME.match(window, m.end() if m else 0)
    if after:
        return _time_from(after)
    before_window = cleaned[max(0, start - 24) : start]
    candidates = list(_TIME.finditer(before_window))
    if candidates:
        last = candidates[-1]
        if re.fullmatch(r"[\s,\-–|/()]*", before_window[last.end() :]):
            return _time_from(last)
    return None


def _hijri_to_gregorian(year: int, month: int, day: int) -> date | None:
    try:
        from hijridate import Hijri  # Umm al-Qura tables, 1343–1500 AH
    except ImportError:  # pragma: no cover - dependency declared by the project
        return None
    try:
        return Hijri(year, month, day).to_gregorian()
    except (ValueError, OverflowError):
        return None


def _month_number(name: str, table: dict[str, int]) -> int | None:
    return table.get(re.sub(r"\s+", " ", name))


def _named(m: re.Match[str], cleaned: str, zone: tzinfo) -> DateMatch | None:
    day, year = int(m["d"]), int(m["y"])
    name = m["m"]
    greg = _month_number(name, _GREGORIAN_MONTHS)
    if greg is None:
        hijri_month = _month_number(name, _HIJRI_MONTHS)
        if hijri_month is None or not 1300 <= year <= 1600:
            return None
        day_value = _hijri_to_gregorian(year, hijri_month, day)
        kind = "hijri"
    else:
        if m["era"] in {"هـ", "ه"} or not 1900 <= year <= 2200:
            return None
        try:
            day_value = date(year, greg, day)
        except ValueError:
            return None
        kind = "gregorian"
    if day_value is None:
        return None
    at = _nearby_time(cleaned, m.start(), m.end()) or time(0, 0)
    return DateMatch(datetime.combine(day_value, at, tzinfo=zone), m.start(), m.end(), kind)


def _numeric(m: re.Match[str], cleaned: str, zone: tzinfo) -> DateMatch | None:
    try:
        day_value = date(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError:
        return None
    if not 1900 <= day_value.year <= 2200:
        return None
    at = _nearby_time(cleaned, m.start(), m.end()) or time(0, 0)
    return DateMatch(datetime.combine(day_value, at, tzinfo=zone), m.start(), m.end(), "numeric")


def _relative(cleaned: str, zone: tzinfo, now: datetime) -> DateMatch | None:
    local_now = now.astimezone(zone) if now.tzinfo else now.replace(tzinfo=zone)
    ago = _RELATIVE_AGO.search(cleaned)
    if ago:
        unit, implied = next((u, c) for p, u, c in _UNIT_WORDS if re.fullmatch(p, ago["u"]))
        count = int(ago["n"]) if ago["n"] else _NUMBER_WORDS.get(ago["w"] or "", implied)
        value = local_now - timedelta(**{unit: count})
        return DateMatch(value, ago.start(), ago.end(), "relative")
    day = _RELATIVE_DAY.search(cleaned)
    if not day:
        return None
    key = re.sub(r"\s+", " ", day["k"])
    if key == "الان":
        return DateMatch(local_now, day.start(), day.end(), "relative")
    back = {"اليوم": 0, "امس": 1, "البارحه": 1, "اول امس": 2}[key]
    on = local_now.date() - timedelta(days=back)
    at = _nearby_time(cleaned, day.start(), day.end())
    if at is None:
        value = local_now - timedelta(days=back) if back == 0 else datetime.combine(on, time(0), tzinfo=zone)
    else:
        value = datetime.combine(on, at, tzinfo=zone)
    return DateMatch(value, day.start(), day.end(), "relative")


def find_date(
    text: str, *, tz: str | tzinfo = "UTC", now: datetime | None = None, allow_relative: bool = False
) -> DateMatch | None:
    """The first absolute date written in ``text``.

    ``start``/``end`` index the cleaned text (digits folded, diacritics and
    invisible marks removed), which equals ``text`` when it had none of those.

    Relative expressions are only considered with ``allow_relative`` and a ``now``
    (free text says ``اليوم`` far too often for it to be a date by default).
    """
    cleaned = _clean(text)
    zone = _zone(tz)
    found: list[DateMatch] = []
    for m in _NAMED_DATE.finditer(cleaned):
        hit = _named(m, cleaned, zone)
        if hit:
            found.append(hit)
            break
    for pattern in (_NUMERIC_YMD, _NUMERIC_DMY):
        for m in pattern.finditer(cleaned):
            hit = _numeric(m, cleaned, zone)
            if hit:
                found.append(hit)
                break
    if found:
        return min(found, key=lambda h: h.start)
    if allow_relative and now is not None:
        return _relative(cleaned, zone, now)
    return None


def parse_date(text: str | None, *, tz: str | tzinfo = "UTC", now: datetime | None = None) -> datetime | None:
    """Parse one date string of any supported form into an aware datetime, or ``None``.

    Machine formats (ISO 8601, RFC 822) are tried first, then written Arabic dates
    (Gregorian, Hijri, numeric), then, given ``now``, relative expressions.
    """
    if not text or not text.strip():
        return None
    machine = parse_machine_date(text, tz=tz)
    if machine is not None:
        return machine
    hit = find_date(text, tz=tz, now=now, allow_relative=True)
    return hit.value if hit else None
