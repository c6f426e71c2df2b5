"""fetcher.charset: precedence BOM → HTTP → meta → UTF-8 → detection, never mojibake."""

from __future__ import annotations

import codecs
import subprocess
import sys
from pathlib import Path

import pytest

from fetcher.charset import charset_from_content_type, decode_body, normalize_charset_label

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TITLE_1256 = "المصرف المركزي يثبت سعر الفائدة للشهر الثالث"
TITLE_88596 = "افتتاح معرض الكتاب بمشاركة مئتي دار نشر"
ARABIC = (
    "<p>أعلنت وزارة المالية اليوم عن خطة جديدة لدعم الموازنة العامة للدولة، "
    "وقال الوزير إن الإصلاحات ستبدأ.</p>"
)


def test_fixture_pages_are_up_to_date() -> None:
    build = FIXTURES / "build_fixtures.py"
    assert subprocess.run([sys.executable, str(build), "--check"], check=False).returncode == 0


@pytest.mark.parametrize("content_type", [None, "text/html", "text/html; charset=iso-8859-1"])
def test_windows_1256_page(content_type: str | None) -> None:
    decoded = decode_body((FIXTURES / "site/legacy/finance.html").read_bytes(), content_type)
    assert decoded.charset == "windows-1256"
    assert decoded.source == "meta"
    assert TITLE_1256 in decoded.text


@pytest.mark.parametrize("content_type", [None, "text/html; charset=ISO-8859-6"])
def test_iso_8859_6_page(content_type: str | None) -> None:
    decoded = decode_body((FIXTURES / "site/legacy/culture.html").read_bytes(), content_type)
    assert decoded.charset == "iso-8859-6"
    assert decoded.source == ("meta" if content_type is None else "http")
    assert TITLE_88596 in decoded.text


def test_bom_beats_header() -> None:
    body = codecs.BOM_UTF8 + ARABIC.encode("utf-8")
    decoded = decode_body(body, "text/html; charset=windows-1256")
    assert (decoded.charset, decoded.source, decoded.text) == ("utf-8", "bom", ARABIC)


def test_utf16_bom() -> None:
    decoded = decode_body(codecs.BOM_UTF16_LE + ARABIC.encode("utf-16-le"))
    assert (decoded.charset, decoded.text) == ("utf-16-le", ARABIC)


def test_header_beats_meta() -> None:
    body = ('<meta charset="windows-1256">' + ARABIC).encode("utf-8")
    decoded = decode_body(body, "text/html; charset=utf-8")
    assert (decoded.charset, decoded.source) == ("utf-8", "http")
    assert ARABIC in decoded.text


def test_lying_header_is_skipped() -> None:
    body = ('<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">' + ARABIC).encode(
        "cp1256"
    )
    decoded = decode_body(body, "text/html; charset=utf-8")
    assert (decoded.charset, decoded.source) == ("windows-1256", "meta")
    assert ARABIC in decoded.text


def test_undeclared_legacy_bytes_are_detected() -> None:
    body = ("<html><body>" + ARABIC * 3 + "</body></html>").encode("cp1256")
    decoded = decode_body(body)
    assert decoded.source == "detected"
    assert ARABIC in decoded.text


def test_undeclared_utf8() -> None:
    decoded = decode_body(ARABIC.encode("utf-8"))
    assert (decoded.charset, decoded.source, decoded.text) == ("utf-8", "utf-8", ARABIC)


def test_xml_declaration() -> None:
    body = (
        '<?xml version="1.0" encoding="windows-1256"?><rss><title>' + TITLE_1256 + "</title></rss>"
    ).encode("cp1256")
    decoded = decode_body(body, "application/rss+xml")
    assert (decoded.charset, decoded.source) == ("windows-1256", "meta")


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("UTF8", "utf-8"),
        ("latin1", "windows-1252"),
        ("ISO-8859-6", "iso-8859-6"),
        ("arabic", "iso-8859-6"),
        ("cp1256", "windows-1256"),
        ("x-unknown", None),
        (None, None),
    ],
)
def test_labels(label: str | None, expected: str | None) -> None:
    assert normalize_charset_label(label) == expected


def test_content_type_parameter() -> None:
    assert charset_from_content_type('text/html; charset="Windows-1256"') == "windows-1256"
    assert charset_from_content_type("text/html") is None
