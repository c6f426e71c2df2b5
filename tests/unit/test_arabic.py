"""Arabic normalisation, both ways: variants meet, distinct words stay apart."""

from __future__ import annotations

import pytest

from akhbar.arabic import (
    arabic_ratio,
    fold_presentation_forms,
    normalize_arabic,
    strip_diacritics,
    strip_invisible,
    strip_tatweel,
    to_western_digits,
)


@pytest.mark.parametrize(
    ("variant", "normal"),
    [
        ("أحمد", "احمد"),  # hamza on alef
        ("إسلام", "اسلام"),  # hamza under alef
        ("آمال", "امال"),  # madda
        ("ٱلله", "الله"),  # wasla
        ("مُحَمَّدٌ", "محمد"),  # harakat, shadda, tanwin
        ("مـــحـمـد", "محمد"),  # tatweel
        ("مستشفى", "مستشفي"),  # alef maqsura
        ("وزارة", "وزاره"),  # ta marbuta
        ("مسؤول", "مسوول"),  # hamza on waw
        ("رئيس", "رييس"),  # hamza on ya
        ("ایران", "ايران"),  # Persian yeh
        ("کتاب", "كتاب"),  # keheh
        ("٢٠٢٦", "2026"),  # Arabic-Indic digits
        ("۱۴۰۵", "1405"),  # Persian digits
        ("\ufedf\ufe8e\ufeae", "لار"),  # presentation forms (contextual glyphs)
        ("ال\u200fوزير\u200b", "الوزير"),  # RLM and zero-width space
        ("  وزير   الخارجية \n", "وزير الخارجيه"),  # whitespace
    ],
)
def test_variants_meet(variant: str, normal: str) -> None:
    assert normalize_arabic(variant) == normal


@pytest.mark.parametrize(
    ("a", "b"), [("علم", "عالم"), ("ملك", "مالك"), ("سفير", "سفر"), ("بيت", "بنت"), ("2026", "2025")]
)
def test_distinct_words_stay_distinct(a: str, b: str) -> None:
    assert normalize_arabic(a) != normalize_arabic(b)


def test_switches_keep_the_distinctions_that_matter() -> None:
    assert normalize_arabic("وزارة", ta_marbuta=False) == "وزارة"
    assert normalize_arabic("أحمد", hamza=False) == "أحمد"
    assert normalize_arabic("مُؤَسَّسَة", hamza=False, ta_marbuta=False) == "مؤسسة"


def test_single_steps() -> None:
    assert strip_diacritics("كَتَبَ") == "كتب"
    assert strip_tatweel("جـمـيـل") == "جميل"
    assert to_western_digits("٤ شباط ٢٠٢٦") == "4 شباط 2026"
    assert strip_invisible("\u202bنص\u202c\ufeff") == "نص"
    assert fold_presentation_forms("abc") == "abc"


def test_idempotent() -> None:
    text = "قالَ وزيرُ الخارجيّة إنّ «المفاوضات» ستُستأنف في ٤ آذار"
    once = normalize_arabic(text)
    assert normalize_arabic(once) == once


def test_arabic_ratio() -> None:
    assert arabic_ratio("وزارة الخارجية") == 1.0
    assert arabic_ratio("Apple تطلق") == pytest.approx(4 / 9)
    assert arabic_ratio("123 !") == 0.0
