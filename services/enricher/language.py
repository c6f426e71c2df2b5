"""Language and script of a title or a body: :func:`detect_language`.

Pure module (no faust, no I/O); the enricher calls it once for the title and once
for the body.

How a text is decided
---------------------
1. Clean-up: presentation forms folded, URLs and @handles dropped, ``#`` and
   ``_`` of hashtags turned into spaces, digits ignored. Only the first
   :data:`MAX_CHARS` characters (cut back to a word boundary) are looked at: the
   language of a news body is settled long before that, and lingua's cost grows
   linearly with the length.
2. Script (ISO 15924) by counting letters per Unicode block. Arabic wins as soon
   as it has :data:`ARABIC_SCRIPT_SHARE` of the letters, because Arabic headlines
   often carry Latin brand names ("Apple تطلق iPhone 15").
3. Language within the script:

   * Arabic script: Kurdish Sorani (``ku``) and Pashto (``ps``), which lingua does
     not know, are recognised by their own letters (ە ێ ۆ ڕ ڵ / ټ ډ ړ ږ ښ ګ ڼ ۍ ې).
     Otherwise texts of :data:`SHORT_TEXT_CHARS`+ characters go to lingua
     restricted to Arabic, Persian and Urdu; shorter ones are decided by letters
     and function words only: پ چ ژ گ ک ی (and the ZWNJ) point to Persian,
     ٹ ڈ ڑ ں ے ھ ہ to Urdu, ة ى ڤ and Arabic (MSA and dialect) function words to
     Arabic, and a text with no evidence at all defaults to Arabic (the pipeline
     ingests Arabic news) at a confidence below 0.5.
   * Latin / Cyrillic script: lingua restricted to :data:`LATIN_LANGUAGES` /
     :data:`CYRILLIC_LANGUAGES`, whatever the length (a short Latin title has no
     letter-level clue); a short text whose best guess is under 0.5 is ``und``.
   * Scripts written by one language here (Hebrew, Greek, Armenian, Georgian, Thai,
     Hangul, Japanese kana) map straight to it; other scripts give ``und`` with the script.

   Fewer than :data:`MIN_LETTERS` letters give ``und``; no letters at all give
   ``und``/``Zyyy``; ``und`` always has confidence 0.

The lingua detectors are built once per process, lazily and thread-safely; call
:func:`warm_up` at worker start to pay the model load (~0.3-3 s) before the first
message. lingua runs in low-accuracy mode unless :func:`configure` says otherwise.
Output is deterministic: same text, same guess, confidences rounded to 4 decimals
so a replay is byte-identical.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from importlib import metadata as _metadata
from typing import TYPE_CHECKING, Any

from akhbar.arabic import fold_presentation_forms, strip_diacritics, strip_tatweel
from akhbar.messages import LanguageGuess

if TYPE_CHECKING:  # pragma: no cover
    from lingua import LanguageDetector

__all__ = [
    "ARABIC_SCRIPT_SHARE",
    "CYRILLIC_LANGUAGES",
    "LATIN_LANGUAGES",
    "MAX_CHARS",
    "MIN_LETTERS",
    "MODEL_VERSION",
    "SHORT_TEXT_CHARS",
    "configure",
    "detect_language",
    "detect_script",
    "warm_up",
]

_RULES_VERSION = "2"  # bump when the rules, word lists or language sets change
try:
    MODEL_VERSION = f"lingua-{_metadata.version('lingua-language-detector')}+rules-{_RULES_VERSION}"
except _metadata.PackageNotFoundError:  # pragma: no cover
    MODEL_VERSION = f"lingua-unknown+rules-{_RULES_VERSION}"
"""For ``EnrichedArticle.model_versions['language']``."""

MAX_CHARS = 500
"""Only this prefix of a text is examined (cut back to the last space)."""

SHORT_TEXT_CHARS = 50
"""Cleaned texts shorter than this use the letter/function-word rules (Arabic script)."""

MIN_LETTERS = 3
"""Fewer letters than this: ``und``."""

ARABIC_SCRIPT_SHARE = 0.4
"""Share of Arabic letters above which a mixed text counts as Arabic script."""

ARABIC_SCRIPT_LANGUAGES = ("ARABIC", "PERSIAN", "URDU")
LATIN_LANGUAGES = ("ENGLISH", "FRENCH", "SPANISH", "GERMAN", "TURKISH", "ITALIAN", "PORTUGUESE", "DUTCH")
CYRILLIC_LANGUAGES = ("RUSSIAN", "UKRAINIAN")

# A short Latin/Cyrillic text whose best lingua guess is below this is 'und'.
_SHORT_LINGUA_MIN_CONFIDENCE = 0.5
_SHORT_CONFIDENCE_CAP = 0.95
_MIN_KU_LETTERS = 2  # when only ە is seen: it also turns up as a stray heh in Arabic text
_MIN_PS_LETTERS = 1  # ټ ډ ړ ښ ... never do
_MIN_KU_PS_SHARE = 0.02

# ---------------------------------------------------------------------------
# clean-up

# URLs and @handles (which also strips an e-mail's domain). Linear-time on any input.
_URL = re.compile(r"(?:https?://|www\.)\S+|@\w+", re.IGNORECASE)
_HASH_UNDERSCORE = re.compile(r"[#_]+")
_SPACES = re.compile(r"\s+")
_ZWNJ = "\u200c"
_PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]")


def _prefix(text: str, limit: int = MAX_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ", limit - 100)
    return cut[:space] if space > 0 else cut


def _clean(text: str) -> str:
    # Over-read a little: URLs and spaces removed below would otherwise shrink the window.
    text = _prefix(text, MAX_CHARS + 200)
    if _PRESENTATION_FORMS.search(text):  # fold_presentation_forms' own check is a Python loop
        text = fold_presentation_forms(text)
    text = _URL.sub(" ", text)
    text = _HASH_UNDERSCORE.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    return _prefix(text)


# ---------------------------------------------------------------------------
# script

_SCRIPT_LETTERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Latn", re.compile("[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]")),
    ("Cyrl", re.compile("[\u0400-\u0481\u048a-\u052f]")),
    ("Hebr", re.compile("[\u05d0-\u05ea\u05f0-\u05f2\ufb1d-\ufb4f]")),
    ("Grek", re.compile("[\u0370-\u0373\u0376\u0377\u037b-\u037d\u0386\u0388-\u03ff\u1f00-\u1ffc]")),
    ("Deva", re.compile("[\u0904-\u0939\u0958-\u0961\u0972-\u097f]")),
    ("Armn", re.compile("[\u0531-\u0556\u0561-\u0587]")),
    ("Geor", re.compile("[\u10a0-\u10ff]")),
    ("Thai", re.compile("[\u0e01-\u0e30\u0e40-\u0e46]")),
    ("Hang", re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3131-\u318e]")),
    ("Jpan", re.compile("[\u3041-\u3096\u30a1-\u30fa]")),  # kana; with kanji, Japanese
    ("Hani", re.compile("[\u4e00-\u9fff\u3400-\u4dbf]")),
)
_NON_LETTER = re.compile(r"[\W\d_]+")
_KANA = dict(_SCRIPT_LETTERS)["Jpan"]
_ARABIC_LETTERS = re.compile(
    "[\u0620-\u064a\u066e-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06ff\u0750-\u077f\u08a0-\u08c9]"
)

# Scripts that, in this pipeline, one language writes.
_SCRIPT_LANGUAGE = {
    "Hebr": "he",
    "Grek": "el",
    "Armn": "hy",
    "Geor": "ka",
    "Thai": "th",
    "Hang": "ko",
    "Jpan": "ja",
}
_SCRIPT_ONLY_CONFIDENCE = 0.9


def _count(pattern: re.Pattern[str], text: str) -> int:
    return len(text) - len(pattern.sub("", text))


def _script_of(text: str) -> tuple[str, int]:
    """Dominant script of ``text`` and the number of letters in it.

    Counted with compiled regexes rather than ``akhbar.arabic.arabic_ratio`` (a
    per-character Python loop, ~0.12 ms per 1,000 characters): this runs on every
    title and body, and needs the other scripts' counts anyway.
    """
    letters = _NON_LETTER.sub("", text)
    if not letters:
        return "Zyyy", 0
    arabic = _count(_ARABIC_LETTERS, letters)
    if arabic >= ARABIC_SCRIPT_SHARE * len(letters):
        return "Arab", arabic
    best, best_n = "Zzzz", 0
    for script, pattern in _SCRIPT_LETTERS:
        n = _count(pattern, letters)
        if n > best_n:
            best, best_n = script, n
        if best_n * 2 > len(letters):
            break
    if arabic > best_n:
        return "Arab", arabic
    if best == "Hani" and _KANA.search(letters):
        return "Jpan", best_n  # kanji plus kana
    return best, best_n


def detect_script(text: str) -> str:
    """ISO 15924 code of the dominant script (``Zyyy`` when there is no letter)."""
    return _script_of(_clean(text))[0]


# ---------------------------------------------------------------------------
# lingua, built once

_lock = threading.Lock()
_detectors: dict[str, LanguageDetector] = {}
_high_accuracy = False


def configure(*, high_accuracy: bool = False) -> None:
    """Choose lingua's mode (call before :func:`warm_up`; drops detectors already built).

    Low accuracy (the default) uses trigram models only: ~60 MB resident for all the
    detectors. High accuracy adds 1-, 2-, 4- and 5-gram models: ~415 MB, ~3x the CPU
    on short texts, and on the labelled sample it only fixes short Latin-script
    titles (see ``bench/language_accuracy.py``). Past ~120 letters lingua scores
    trigrams only in both modes, so bodies come out the same.
    """
    global _high_accuracy
    with _lock:
        _high_accuracy = high_accuracy
        _detectors.clear()


def _detector(group: str) -> LanguageDetector:
    detector = _detectors.get(group)
    if detector is not None:
        return detector
    with _lock:
        detector = _detectors.get(group)
        if detector is None:
            from lingua import Language, LanguageDetectorBuilder

            names = {"Arab": ARABIC_SCRIPT_LANGUAGES, "Latn": LATIN_LANGUAGES, "Cyrl": CYRILLIC_LANGUAGES}[
                group
            ]
            builder = LanguageDetectorBuilder.from_languages(*(getattr(Language, name) for name in names))
            if not _high_accuracy:
                builder = builder.with_low_accuracy_mode()
            detector = builder.with_preloaded_language_models().build()
            _detectors[group] = detector
    return detector


def warm_up() -> None:
    """Build every detector now: loads lingua's models (seconds; see :func:`configure` for memory)."""
    for group in ("Arab", "Latn", "Cyrl"):
        _detector(group)


def _lingua(group: str, text: str) -> list[tuple[str, float]]:
    values: Iterable[Any] = _detector(group).compute_language_confidence_values(text)
    return [(v.language.iso_code_639_1.name.lower(), float(v.value)) for v in values]


# ---------------------------------------------------------------------------
# Arabic script: letters and function words

_KU_LETTERS = re.compile("[\u0695\u06b5\u06c6\u06ce\u06d5]")  # ڕ ڵ ۆ ێ ە
_KU_STRONG = re.compile("[\u0695\u06b5\u06c6\u06ce]")  # ڕ ڵ ۆ ێ: unlike ە, never stray in Arabic
# ټ ځ څ ډ ړ ږ ښ ګ ڼ ۍ ې
_PS_LETTERS = re.compile("[\u067c\u0681\u0685\u0689\u0693\u0696\u069a\u06ab\u06bc\u06cd\u06d0]")
# ٹ ڈ ڑ ں ے ۓ ھ ہ ۂ ۃ
_UR_LETTERS = re.compile("[\u0679\u0688\u0691\u06ba\u06d2\u06d3\u06be\u06c1\u06c2\u06c3]")
_FA_LETTERS = re.compile("[\u067e\u0686\u0698\u06af]")  # پ چ ژ گ (also Urdu, except ژ)
_FA_UR_LETTERS = re.compile("[\u06a9\u06cc]")  # ک ی (Persian and Urdu forms of kaf / yeh)
_AR_LETTERS = re.compile("[\u0629\u0649\u06a4\u06a8\u06ad]")  # ة ى ڤ ڨ ڭ
_AR_WEAK = re.compile("[\u064a\u0643]")  # ي ك: Arabic forms, but also mistyped Persian
_TOKEN = re.compile("[\u0621-\u064a\u0671-\u06d3\u06d5\u06fa-\u06ff\u200c]+")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_AR_WORDS = _words(
    # MSA function words (diacritics stripped, hamza kept as typed)
    "في من على إلى الى عن أن ان إن لم لن قد مع بعد قبل التي الذي الذين اللذين هذا هذه ذلك تلك هؤلاء "
    "كان كانت يكون حول بين ضد عند منذ خلال أو ثم حتى إذا اذا لكن ليس لقد أمام وفق عبر نحو لدى "
    "عليه عليها إنه انه أنه كما بسبب "
    # dialects
    "مش مو شو وش ايش إيش ليش ليه إيه ايه فين وين هلق هلأ بدي بدك عايز عاوز كده كدا هيك هاد هادا "
    "واش بزاف برشا شلون شلونك كلش اكو ماكو كيفك كيف يا"
)
_FA_WORDS = _words(
    # not ما به هم او اما بر: Arabic words too
    "است را این آن برای که می نمی از با در یک ها های شد شده کرد کند کنند شود بود نیست "
    "چه چطور خود شما آنها اگر تا هر همه دیگر وی ایشان چرا کجا"
)
_UR_WORDS = _words(
    "اور کے کی کا میں ہے ہیں سے کو نے پر یہ وہ بھی نہیں تھا تھی تھے گیا گئی کر کہ ہو ہوا "
    "آپ ہم کیا لیے ساتھ بعد"
)
# A word in two tables (e.g. بعد, Arabic and Urdu) is evidence for neither.
_AR_WORDS_ONLY = _AR_WORDS - _FA_WORDS - _UR_WORDS
_FA_WORDS_ONLY = _FA_WORDS - _UR_WORDS - _AR_WORDS
_UR_WORDS_ONLY = _UR_WORDS - _FA_WORDS - _AR_WORDS
_AR_PREFIXES = ("و", "ف", "ب", "ل", "ك")


def _arabic_script_scores(text: str) -> dict[str, float]:
    scores = {"ar": 0.5, "fa": 0.0, "ur": 0.0}  # prior: an Arabic news pipeline
    scores["ar"] += 2 * len(_AR_LETTERS.findall(text)) + 0.5 * len(_AR_WEAK.findall(text))
    scores["fa"] += len(_FA_LETTERS.findall(text)) + 2 * text.count(_ZWNJ)
    scores["ur"] += 2 * len(_UR_LETTERS.findall(text))
    for token in _TOKEN.findall(text):
        parts = token.split(_ZWNJ)
        word = parts[0]
        if word in _FA_WORDS_ONLY or (len(parts) > 1 and word in ("می", "نمی")):
            scores["fa"] += 2
        elif word in _UR_WORDS_ONLY:
            scores["ur"] += 2
        elif word in _AR_WORDS_ONLY or (
            len(word) > 3 and word[0] in _AR_PREFIXES and word[1:] in _AR_WORDS_ONLY
        ):
            scores["ar"] += 2
        elif len(word) > 3 and (word.startswith("ال") or (word[0] in _AR_PREFIXES and word[1:3] == "ال")):
            scores["ar"] += 1
    # ک/ی are Persian unless there is Urdu evidence (letters or words) too.
    shared = len(_FA_UR_LETTERS.findall(text))
    if scores["ur"] > 0:
        scores["ur"] += 0.5 * shared
    else:
        scores["fa"] += shared
    return scores


def _arabic_script_guess(text: str, letters: int, short: bool) -> LanguageGuess:
    ku = len(_KU_LETTERS.findall(text))
    ps = len(_PS_LETTERS.findall(text))
    ku_minimum = 1 if _KU_STRONG.search(text) else _MIN_KU_LETTERS
    for code, n, minimum in (("ku", ku, ku_minimum), ("ps", ps, _MIN_PS_LETTERS)):
        if n >= minimum and n >= _MIN_KU_PS_SHARE * letters and n == max(ku, ps):
            confidence = min(_SHORT_CONFIDENCE_CAP, 0.6 + 0.1 * n / max(1.0, 0.02 * letters))
            return _guess(code, "Arab", confidence)
    plain = strip_diacritics(strip_tatweel(text))
    if not short:
        ranked = _lingua("Arab", plain)
        if ranked and ranked[0][1] > 0:
            return _guess(ranked[0][0], "Arab", ranked[0][1])
    # Short: letters and function words only, add-one smoothed, with an Arabic prior. lingua is
    # not consulted: on 2-4 word Arabic headlines it is often confidently wrong (Persian or Urdu),
    # even as a minority vote for texts without evidence (see the ablation in the bench).
    scores = _arabic_script_scores(plain)
    total = sum(scores.values()) + len(scores)
    best = max(scores, key=lambda code: (scores[code], code == "ar"))
    return _guess(best, "Arab", min(_SHORT_CONFIDENCE_CAP, (scores[best] + 1.0) / total))


# ---------------------------------------------------------------------------


def _guess(code: str, script: str, confidence: float) -> LanguageGuess:
    return LanguageGuess(code=code, script=script, confidence=round(min(1.0, max(0.0, confidence)), 4))


def detect_language(text: str) -> LanguageGuess:
    """Language (ISO 639-1 or ``und``), script (ISO 15924) and confidence of one text.

    Deterministic; looks at the first :data:`MAX_CHARS` characters only.
    """
    cleaned = _clean(text or "")
    script, letters = _script_of(cleaned)
    if letters < MIN_LETTERS:
        return _guess("und", script, 0.0)
    short = len(cleaned) < SHORT_TEXT_CHARS
    if script == "Arab":
        return _arabic_script_guess(cleaned, letters, short)
    if script in ("Latn", "Cyrl"):
        ranked = _lingua(script, cleaned)
        if not ranked or ranked[0][1] <= 0:
            return _guess("und", script, 0.0)
        best, confidence = ranked[0]
        if short and confidence < _SHORT_LINGUA_MIN_CONFIDENCE:
            return _guess("und", script, 0.0)
        return _guess(best, script, confidence)
    single = _SCRIPT_LANGUAGE.get(script)
    if single is None:
        return _guess("und", script, 0.0)
    return _guess(single, script, _SCRIPT_ONLY_CONFIDENCE)
