"""fetcher.dates: every written form the fetcher must read, with exact expected instants."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fetcher.dates import find_date, parse_date, parse_machine_date

NOW = datetime(2026, 2, 4, 12, 0, tzinfo=UTC)  # 14:00 in Beirut


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        # Levantine / Iraqi months, Arabic-Indic and Persian digits, weekday prefixes, ص/م
        ("الأربعاء ٤ شباط ٢٠٢٦", "Asia/Beirut", "2026-02-04T00:00:00+02:00"),
        ("٤ شباط ٢٠٢٦ - ١٠:٣٠ م", "Asia/Beirut", "2026-02-04T22:30:00+02:00"),
        ("١٢ كانون الثاني ٢٠٢٦", "Asia/Beirut", "2026-01-12T00:00:00+02:00"),
        ("12 كانون 2 2026", "Asia/Beirut", "2026-01-12T00:00:00+02:00"),
        ("3 تشرين 1 2025", "Asia/Beirut", "2025-10-03T00:00:00+03:00"),
        ("25 كانون الأول 2025", "Asia/Beirut", "2025-12-25T00:00:00+02:00"),
        ("١ آب ٢٠٢٥", "Asia/Baghdad", "2025-08-01T00:00:00+03:00"),
        ("۴ تموز/يوليو ۲۰۲۵ | ۰۹:۱۵", "Asia/Baghdad", "2025-07-04T09:15:00+03:00"),
        ("4 تموز (يوليو) 2025", "Asia/Baghdad", "2025-07-04T00:00:00+03:00"),
        # Egyptian / Gulf spellings
        ("الأربعاء، 4 فبراير 2026 - 10:30 ص", "Africa/Cairo", "2026-02-04T10:30:00+02:00"),
        ("10 إبريل 2025", "Africa/Cairo", "2025-04-10T00:00:00+02:00"),
        ("10 أبريل 2025", "Africa/Cairo", "2025-04-10T00:00:00+02:00"),
        ("4 يونية 2025", "Africa/Cairo", "2025-06-04T00:00:00+03:00"),
        ("4 يوليه 2025 12:05 م", "Africa/Cairo", "2025-07-04T12:05:00+03:00"),
        ("15 اغسطس 2025", "Asia/Riyadh", "2025-08-15T00:00:00+03:00"),
        ("1 مايو 2025 الساعة 9:05 صباحاً", "Asia/Dubai", "2025-05-01T09:05:00+04:00"),
        # Maghrebi
        ("04 فيفري 2026 على الساعة 18:45", "Africa/Algiers", "2026-02-04T18:45:00+01:00"),
        ("1 جويلية 2025", "Africa/Tunis", "2025-07-01T00:00:00+01:00"),
        ("15 أوت 2025", "Africa/Algiers", "2025-08-15T00:00:00+01:00"),
        ("9 جانفي 2026", "Africa/Algiers", "2026-01-09T00:00:00+01:00"),
        ("20 أفريل 2025", "Africa/Tunis", "2025-04-20T00:00:00+01:00"),
        ("3 ماي 2025", "Africa/Casablanca", "2025-05-03T00:00:00+01:00"),
        ("30 جوان 2025", "Africa/Algiers", "2025-06-30T00:00:00+01:00"),
        # Hijri (Umm al-Qura) → Gregorian
        ("الأربعاء ١٥ رمضان ١٤٤٧ هـ", "Asia/Riyadh", "2026-03-04T00:00:00+03:00"),
        ("١ ذو الحجة ١٤٤٦هـ", "Asia/Riyadh", "2025-05-28T00:00:00+03:00"),
        ("1 محرم 1447 هـ", "Asia/Riyadh", "2025-06-26T00:00:00+03:00"),
        # numeric and machine formats
        ("04/02/2026 10:30", "Asia/Beirut", "2026-02-04T10:30:00+02:00"),
        ("2026/02/04", "Asia/Beirut", "2026-02-04T00:00:00+02:00"),
        ("٠٤-٠٢-٢٠٢٦", "Asia/Beirut", "2026-02-04T00:00:00+02:00"),
        ("2026-02-04T10:30:00+03:00", "Asia/Beirut", "2026-02-04T10:30:00+03:00"),
        ("2026-02-04T08:40:00Z", "Asia/Beirut", "2026-02-04T08:40:00+00:00"),
        ("2026-02-04 10:30", "Asia/Beirut", "2026-02-04T10:30:00+02:00"),
        ("Wed, 04 Feb 2026 10:30:00 +0300", "Asia/Beirut", "2026-02-04T10:30:00+03:00"),
        ("Wed, 04 Feb 2026 10:30:00 GMT", "Asia/Beirut", "2026-02-04T10:30:00+00:00"),
        # relative to NOW (12:00 UTC)
        ("منذ ساعتين", "Asia/Beirut", "2026-02-04T12:00:00+02:00"),
        ("منذ 5 دقائق", "Asia/Beirut", "2026-02-04T13:55:00+02:00"),
        ("منذ ٣ ساعات", "UTC", "2026-02-04T09:00:00+00:00"),
        ("قبل ثلاث ساعات", "UTC", "2026-02-04T09:00:00+00:00"),
        ("منذ دقيقة", "UTC", "2026-02-04T11:59:00+00:00"),
        ("منذ يومين", "UTC", "2026-02-02T12:00:00+00:00"),
        ("أمس الساعة 10:30 م", "Asia/Beirut", "2026-02-03T22:30:00+02:00"),
        ("أمس", "Asia/Beirut", "2026-02-03T00:00:00+02:00"),
        ("أول أمس", "Asia/Beirut", "2026-02-02T00:00:00+02:00"),
        ("اليوم 09:00", "Asia/Beirut", "2026-02-04T09:00:00+02:00"),
        ("اليوم", "Asia/Beirut", "2026-02-04T14:00:00+02:00"),
    ],
)
def test_parse_date(text: str, tz: str, expected: str) -> None:
    parsed = parse_date(text, tz=tz, now=NOW)
    assert parsed is not None
    assert parsed.isoformat() == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "لا يوجد تاريخ هنا", "31 شباط 2026", "45 مارس 2025", "15 رمضان 2026 م", "منذ ساعتين"],
)
def test_unparseable_or_invalid_is_none(text: str) -> None:
    # "منذ ساعتين" without now: relative dates are not resolved (pure function).
    assert parse_date(text, tz="Asia/Beirut") is None


def test_hijri_outside_table_range_is_not_converted() -> None:
    assert parse_date("1 رمضان 1200 هـ", tz="UTC") is None


def test_find_date_in_free_text_ignores_relative_words_by_default() -> None:
    text = "قال الوزير اليوم إن الاتفاق الموقع في 3 آذار 2024 ما زال ساريا"
    hit = find_date(text, tz="Asia/Beirut", now=NOW)
    assert hit is not None
    assert hit.value.isoformat() == "2024-03-03T00:00:00+02:00"
    assert hit.kind == "gregorian"


def test_machine_parser_rejects_written_arabic() -> None:
    assert parse_machine_date("٤ شباط ٢٠٢٦") is None
    assert parse_machine_date("٢٠٢٦-٠٢-٠٤T١٠:٣٠:٠٠+٠٣:٠٠") == datetime.fromisoformat(
        "2026-02-04T10:30:00+03:00"
    )


def test_results_are_always_aware() -> None:
    for text in ("2026-02-04 10:30", "4 فبراير 2026", "Wed, 04 Feb 2026 10:30:00 -0000"):
        parsed = parse_date(text, tz="Africa/Cairo")
        assert parsed is not None and parsed.tzinfo is not None
