"""Turn an HTML (or XML feed) body into text without mojibake.

Precedence, decided here and deliberately close to WHATWG "encoding sniffing":

1. **BOM** (UTF-8, UTF-16 LE/BE). A BOM is unambiguous and WHATWG lets it win over
   the HTTP header; a server default header is far more often wrong than a BOM.
2. **HTTP ``Content-Type`` charset**, if the label is known and the body decodes
   strictly with it. One deviation from WHATWG: a Latin-1 family label
   (``iso-8859-1``, ``windows-1252``, ``us-ascii``) is treated as a *weak*
   default, because Arabic sites behind misconfigured servers send it for
   windows-1256 pages. When such a label is present, an in-document declaration
   or detection that finds Arabic text overrides it.
3. **In-document declaration**: ``<meta charset>``, ``<meta http-equiv=Content-Type>``,
   or the XML declaration's ``encoding=``, searched in the first 4 KiB. As in
   WHATWG, a declared UTF-16 in the document means UTF-8 (the bytes were already
   read as ASCII-compatible to find it).
4. **Strict UTF-8**, which is cheap and almost never a false positive.
5. **Detection** with ``charset-normalizer``, limited to encodings Arabic sites use
   plus the common Western ones.
6. UTF-8 with replacement characters as the last resort.

A declared charset that fails strict decoding is skipped rather than trusted.
Labels are mapped WHATWG-style (``latin1``/``iso-8859-1`` → ``windows-1252``;
``arabic``/``iso-8859-6``/``csISOLatinArabic`` → ``iso-8859-6``;
``cp1256``/``windows-1256`` → ``windows-1256``).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["DecodedBody", "charset_from_content_type", "decode_body", "normalize_charset_label"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_ALIASES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "latin1": "windows-1252",
    "latin-1": "windows-1252",
    "iso-8859-1": "windows-1252",
    "iso8859-1": "windows-1252",
    "iso_8859-1": "windows-1252",
    "us-ascii": "windows-1252",
    "ascii": "windows-1252",
    "windows-1252": "windows-1252",
    "cp1252": "windows-1252",
    "x-cp1252": "windows-1252",
    "windows-1256": "windows-1256",
    "cp1256": "windows-1256",
    "x-cp1256": "windows-1256",
    "iso-8859-6": "iso-8859-6",
    "iso8859-6": "iso-8859-6",
    "iso_8859-6": "iso-8859-6",
    "iso-8859-6-e": "iso-8859-6",
    "iso-8859-6-i": "iso-8859-6",
    "arabic": "iso-8859-6",
    "asmo-708": "iso-8859-6",
    "csisolatinarabic": "iso-8859-6",
    "ecma-114": "iso-8859-6",
    "iso-ir-127": "iso-8859-6",
    "iso_8859-6:1987": "iso-8859-6",
    "utf-16": "utf-16-le",
    "utf-16le": "utf-16-le",
    "utf-16-le": "utf-16-le",
    "utf-16be": "utf-16-be",
    "utf-16-be": "utf-16-be",
}
_WEAK = {"windows-1252"}
_DETECTION_CANDIDATES = ["utf_8", "cp1256", "iso8859_6", "cp1252", "iso8859_15", "mac_arabic", "cp720"]
_PRESCAN_BYTES = 4096

_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([a-zA-Z0-9_.\-]+)["']""", re.IGNORECASE)
_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
_ARABIC = re.compile("[\u0621-\u064a]")


@dataclass(frozen=True)
class DecodedBody:
    """Decoded text plus the encoding used and which rule chose it."""

    text: str
    charset: str
    source: str  # "bom" | "http" | "meta" | "utf-8" | "detected" | "fallback"


def normalize_charset_label(label: str | None) -> str | None:
    """WHATWG-style canonical name for a charset label, or the Python codec name if unknown."""
    if not label:
        return None
    key = label.strip().strip("\"'").lower()
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        return codecs.lookup(key).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    """The normalised ``charset=`` parameter of a Content-Type header value."""
    if not content_type:
        return None
    m = _CT_CHARSET.search(content_type)
    return normalize_charset_label(m.group(1)) if m else None


def _declared_in_document(body: bytes) -> str | None:
    head = body[:_PRESCAN_BYTES]
    m = _XML_DECL.search(head) or _META_CHARSET.search(head)
    if not m:
        return None
    label = normalize_charset_label(m.group(1).decode("ascii", "ignore"))
    if label in {"utf-16-le", "utf-16-be"}:
        return "utf-8"
    return label


def _strict(body: bytes, charset: str) -> str | None:
    try:
        return body.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return None


def _detect(body: bytes) -> DecodedBody | None:
    from charset_normalizer import from_bytes

    best = from_bytes(body, cp_isolation=_DETECTION_CANDIDATES).best()
    if best is None or best.encoding is None:
        return None
    charset = normalize_charset_label(best.encoding) or best.encoding
    text = _strict(body, charset)
    return DecodedBody(text, charset, "detected") if text is not None else None


def decode_body(body: bytes, content_type: str | None = None) -> DecodedBody:
    """Decode a page body following the precedence in the module docstring."""
    for bom, charset in _BOMS:
        if body.startswith(bom):
            return DecodedBody(body[len(bom) :].decode(charset, "replace"), charset, "bom")

    header = charset_from_content_type(content_type)
    weak_header: DecodedBody | None = None
    if header is not None:
        text = _strict(body, header)
        if text is not None:
            decoded = DecodedBody(text, header, "http")
            if header not in _WEAK:
                return decoded
            weak_header = decoded

    declared = _declared_in_document(body)
    if declared is not None and declared != (weak_header.charset if weak_header else None):
        text = _strict(body, declared)
        if text is not None:
            return DecodedBody(text, declared, "meta")

    if weak_header is not None and declared == weak_header.charset:
        return weak_header

    text = _strict(body, "utf-8")
    if text is not None:
        return DecodedBody(text, "utf-8", "utf-8")

    detected = _detect(body)
    if detected is not None and (weak_header is None or _ARABIC.search(detected.text)):
        return detected
    if weak_header is not None:
        return weak_header
    return DecodedBody(body.decode("utf-8", "replace"), "utf-8", "fallback")
