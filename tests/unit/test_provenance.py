"""fetcher.provenance: attribution-line variants and disclaimers."""

from __future__ import annotations

import pytest

from fetcher.provenance import find_attribution, is_disclaimer, parse_attribution, strip_aggregator_notes


@pytest.mark.parametrize(
    ("line", "source", "title", "date"),
    [
        (
            'هذا الخبر بعنوان "الحكومة تقر الموازنة" نشر أولاً على موقع صحيفة النهار '
            "وتم جلبه من مصدره الأصلي بتاريخ ٤ شباط ٢٠٢٦",
            "صحيفة النهار",
            "الحكومة تقر الموازنة",
            "2026-02-04T00:00:00+02:00",
        ),
        (
            "هذا الخبر بعنوان «الحكومة تقر الموازنة» نشر أولا في موقع الوطن نيوز "
            "وتم جلبه من مصدره الأصلي بتاريخ ٤ شباط ٢٠٢٦ - ١٠:٣٠ م",
            "الوطن نيوز",
            "الحكومة تقر الموازنة",
            "2026-02-04T22:30:00+02:00",
        ),
        (
            "هذا الخبر بعنوان “ارتفاع أسعار الذهب” ظهر أولاً على موقع مصراوي "
            "وتم جلبه من مصدره الأصلي بتاريخ 2026-02-04 10:30:00",
            "مصراوي",
            "ارتفاع أسعار الذهب",
            "2026-02-04T10:30:00+02:00",
        ),
        (
            "هذا الخبر بعنوان «منتخب الشباب يتأهل» نُشِرَ أوّلاً على موقع كووورة "
            "وتم جلبه من مصدره الأصلي بتاريخ الأربعاء، 4 فبراير 2026 - 10:30 م",
            "كووورة",
            "منتخب الشباب يتأهل",
            "2026-02-04T22:30:00+02:00",
        ),
        (
            'هذا الخبر بعنوان "تراجع البطالة" نشر أولاً على موقع الشروق.',
            "الشروق",
            "تراجع البطالة",
            None,
        ),
        (
            'هذا المقال بعنوان "أزمة المياه" ظهر أولا في موقع جريدة الأطلس '
            "وتم جلبه من مصدره الأصلي بتاريخ 04 فيفري 2026 ولا يتحمل موقعنا مضمونه بأي شكل من الأشكال",
            "جريدة الأطلس",
            "أزمة المياه",
            "2026-02-04T00:00:00+02:00",
        ),
    ],
)
def test_attribution_variants(line: str, source: str, title: str, date: str | None) -> None:
    found = parse_attribution(line, site_timezone="Asia/Beirut")
    assert found is not None
    assert found.original_source == source
    assert found.original_title == title
    assert (found.original_date.isoformat() if found.original_date else None) == date


@pytest.mark.parametrize(
    "line",
    [
        "قال الوزير في مقابلة بعنوان «المستقبل» إن الخطة ستنجح",
        "نشر أولاً على موقع النهار",
        "أقر البرلمان قانون الانتخابات الجديد",
    ],
)
def test_not_attribution(line: str) -> None:
    assert parse_attribution(line) is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("لا يتحمل موقعنا مضمونه بأي شكل من الأشكال وإنما تقع المسؤولية على مصدره الأصلي", True),
        ("لا يتحمل الموقع أي مسؤولية عن المحتوى", True),
        ("موقعنا لا يتحمل أي مسؤولية عن الأخبار المنقولة", True),
        ("المسؤولية عن صحة الخبر تقع على المصدر الأصلي", True),
        ("لا يتحمّل موقعُنا مضمونَه", True),
        ("قال الوزير إن الحكومة لا تتحمل مسؤولية التأخير", False),
    ],
)
def test_disclaimer(line: str, expected: bool) -> None:
    assert is_disclaimer(line) is expected


def test_find_and_strip() -> None:
    lines = [
        "فقرة أولى من الخبر.",
        'هذا الخبر بعنوان "عنوان" نشر أولاً على موقع المصدر وتم جلبه من مصدره الأصلي بتاريخ 1 آذار 2026',
        "لا يتحمل موقعنا مضمونه بأي شكل من الأشكال",
    ]
    found = find_attribution(lines)
    assert found is not None and found[0] == 1 and found[1].original_source == "المصدر"
    assert strip_aggregator_notes(lines) == ["فقرة أولى من الخبر."]
