"""enricher.language.detect_language: codes, scripts, short-text rules, bounds, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from akhbar.messages import LanguageGuess
from enricher import language
from enricher.language import MAX_CHARS, SHORT_TEXT_CHARS, detect_language, detect_script

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "language_sample.jsonl"
ROWS = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").split("\n") if line.strip()]
LONG = [r for r in ROWS if len(r["text"]) >= SHORT_TEXT_CHARS]
SHORT = [r for r in ROWS if len(r["text"]) < SHORT_TEXT_CHARS]


def test_fixture_shape() -> None:
    assert len(ROWS) >= 150
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    assert all(len(r["text"]) >= 10 for r in ROWS)
    assert abs(len(LONG) - len(SHORT)) <= 0.25 * len(ROWS)
    langs = {r["lang"] for r in ROWS}
    assert {"ar", "fa", "ur", "en", "fr", "tr", "he", "es", "de", "ru", "ku"} <= langs
    for lang in ("ar", "fa", "ur", "en", "fr"):
        assert sum(r["lang"] == lang for r in LONG) >= 10, lang
        assert sum(r["lang"] == lang for r in SHORT) >= 10, lang


@pytest.mark.parametrize(
    ("text", "code", "script"),
    [
        ("أعلنت وزارة الصحة اليوم عن تسجيل انخفاض ملحوظ في عدد الإصابات الجديدة.", "ar", "Arab"),
        ("قَالَ الْوَزِيرُ إِنَّ الْحُكُومَةَ سَتَعْمَلُ عَلَى تَحْسِينِ الْخَدَمَاتِ الْعَامَّةِ.", "ar", "Arab"),
        ("أنا مش فاهم إزاي الأسعار بتزيد كده كل يوم، الواحد مبقاش عارف يشتري حاجة.", "ar", "Arab"),
        ("قیمت دلار در بازار آزاد تهران امروز با افزایش چشمگیری روبرو شد.", "fa", "Arab"),
        ("محکمہ موسمیات کے مطابق اگلے چند دنوں میں شدید بارش کا امکان ہے۔", "ur", "Arab"),
        ("The central bank raised interest rates by half a percentage point on Wednesday.", "en", "Latn"),
        ("Le gouvernement a annoncé mardi une série de mesures pour soutenir les ménages.", "fr", "Latn"),
        ("İstanbul'da etkili olan yoğun kar yağışı nedeniyle okullarda eğitime ara verildi.", "tr", "Latn"),
        ("El gobierno anunció nuevas medidas para reducir el precio de la electricidad.", "es", "Latn"),
        ("Die Bundesregierung hat am Mittwoch ein neues Gesetz zur Energie beschlossen.", "de", "Latn"),
        ("Министр иностранных дел России провёл переговоры со своим египетским коллегой.", "ru", "Cyrl"),
        ("ראש הממשלה הודיע היום על תוכנית כלכלית חדשה לצמצום יוקר המחיה.", "he", "Hebr"),
        ("سەرۆکی هەرێمی کوردستان ئەمڕۆ لە هەولێر پێشوازی لە شاندێکی ئەمریکی کرد.", "ku", "Arab"),
        ("Η κυβέρνηση ανακοίνωσε νέα μέτρα για την οικονομία.", "el", "Grek"),
        ("東京で大きな地震がありました", "ja", "Jpan"),
        ("北京今天发布了新的经济政策", "und", "Hani"),
        # mixed scripts, clutter
        ("Apple تطلق iPhone 15 الجديد", "ar", "Arab"),
        ("#عاجل | انفجار يهز العاصمة بيروت https://t.co/abc123 @AJABreaking", "ar", "Arab"),
        ("ﻣﺮﺣﺒﺎ ﺑﻜﻢ ﻓﻲ ﻣﺪﻳﻨﺔ ﺍﻟﻘﺎﻫﺮﺓ", "ar", "Arab"),  # presentation forms
        ("Hezbollah says an Israeli strike killed two of its fighters in south Lebanon.", "en", "Latn"),
    ],
)
def test_exact_guesses(text: str, code: str, script: str) -> None:
    guess = detect_language(text)
    assert isinstance(guess, LanguageGuess)
    assert (guess.code, guess.script) == (code, script)


@pytest.mark.parametrize("text", ["", "   ", "12345 ٢٠٢٤ 67", "!!! ... ؟؟", "https://example.com/a/b"])
def test_no_letters_is_und(text: str) -> None:
    assert detect_language(text) == LanguageGuess(code="und", script="Zyyy", confidence=0.0)


def test_too_few_letters_is_und_with_script() -> None:
    assert detect_language("G7") == LanguageGuess(code="und", script="Latn", confidence=0.0)
    assert detect_language("في") == LanguageGuess(code="und", script="Arab", confidence=0.0)


@pytest.mark.parametrize("row", LONG, ids=[r["id"] for r in LONG])
def test_long_fixture_texts_exact(row: dict) -> None:
    guess = detect_language(row["text"])
    assert (guess.code, guess.script) == (row["lang"], row["script"])


def test_short_fixture_accuracy() -> None:
    ok = sum(detect_language(r["text"]).code == r["lang"] for r in SHORT)
    assert ok / len(SHORT) >= 0.95
    arabic_script = [r for r in SHORT if r["script"] == "Arab" and r["variety"] != "no_marker_letters"]
    assert all(detect_language(r["text"]).code == r["lang"] for r in arabic_script)


def test_short_text_without_evidence_defaults_to_arabic_with_low_confidence() -> None:
    # By design: Persian without any Persian letter or function word reads as Arabic.
    for text in ("تهران امروز", "مصر", "حلم عمر"):
        guess = detect_language(text)
        assert guess.code == "ar"
        assert guess.confidence < 0.5


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # Persian letters پ چ ژ گ ک ی, ZWNJ
        ("پیروزی تیم ملی", "fa"),
        ("گزارش ویژه", "fa"),
        ("کتاب‌های تازه", "fa"),
        # Urdu letters ٹ ڈ ڑ ں ے ھ ہ
        ("پٹرول مہنگا ہو گیا", "ur"),
        ("پاکستان اور بھارت", "ur"),
        ("بڑی خبر آ گئی", "ur"),
        # Arabic ة ى and function words
        ("مصر تعلن حالة الطوارئ", "ar"),
        ("انفجار في بيروت", "ar"),
        ("ذهب إلى المدرسة", "ar"),
        ("كيفك؟ شو الأخبار؟", "ar"),
        # Kurdish / Pashto letters
        ("هەواڵی تازە", "ku"),
        ("د کابل ښار خبرونه", "ps"),
    ],
)
def test_short_arabic_script_letters(text: str, code: str) -> None:
    assert len(text) < SHORT_TEXT_CHARS
    guess = detect_language(text)
    assert (guess.code, guess.script) == (code, "Arab")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("پیروزی تیم ملی ایران", "fa"),
        ("آج موسم اچھا ہے", "ur"),
        ("مصر تعلن حالة الطوارئ", "ar"),
        ("وزیر اعظم کا دورہ چین", "ur"),
        ("هوای تهران آلوده است", "fa"),
        ("الأمم المتحدة تحذر من مجاعة", "ar"),
    ],
)
def test_letter_rules_alone_decide_short_texts(text: str, code: str) -> None:
    """The letter/function-word rules on their own (without lingua's vote) get these right."""
    scores = language._arabic_script_scores(text)
    assert max(scores, key=lambda c: (scores[c], c == "ar")) == code


def test_confidence_bounds_and_types() -> None:
    for row in ROWS:
        guess = detect_language(row["text"])
        assert 0.0 <= guess.confidence <= 1.0
        assert guess.confidence == round(guess.confidence, 4)
        assert guess.code == "und" or len(guess.code) == 2
        assert len(guess.script) == 4 and guess.script[0].isupper()
        if guess.code != "und":
            assert guess.confidence > 0.0
    persian = "وزارت امور خارجه ایران روز دوشنبه اعلام کرد که مذاکرات از سر گرفته می‌شود."
    assert detect_language(persian).confidence > 0.8
    short = detect_language("مصر")
    assert short.code == "ar" and short.confidence <= 0.95


def test_deterministic_in_process() -> None:
    first = [detect_language(r["text"]).model_dump_json() for r in ROWS]
    second = [detect_language(r["text"]).model_dump_json() for r in reversed(ROWS)]
    assert first == list(reversed(second))


def test_deterministic_across_processes() -> None:
    code = (
        "import json,sys;from enricher.language import detect_language as d;"
        "rows=[json.loads(l) for l in open(sys.argv[1],encoding='utf-8')];"
        "print(json.dumps([d(r['text']).model_dump() for r in rows[::4]]))"
    )
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", code, str(FIXTURE)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=120,
        )
        outputs.append(result.stdout)
    local = [detect_language(r["text"]).model_dump() for r in ROWS[::4]]
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0]) == local


def test_only_a_prefix_is_read() -> None:
    arabic = "أعلنت وزارة الصحة اليوم عن تسجيل انخفاض ملحوظ في عدد الإصابات الجديدة. " * 20
    assert len(arabic) > MAX_CHARS
    english = " The central bank raised interest rates by half a point on Wednesday." * 20_000
    guess = detect_language(arabic + english)
    assert (guess.code, guess.script) == ("ar", "Arab")
    start = time.perf_counter()
    detect_language(arabic + english)
    assert time.perf_counter() - start < 0.05  # a 1.4 MB body costs what its first 1,000 chars cost


def test_detect_script() -> None:
    assert detect_script("مرحبا بالعالم") == "Arab"
    assert detect_script("Hello world") == "Latn"
    assert detect_script("Привет мир") == "Cyrl"
    assert detect_script("שלום עולם") == "Hebr"
    assert detect_script("2024") == "Zyyy"


@pytest.mark.parametrize(
    "text", ["@" * 20_000, "a@" * 10_000, "x" * 20_000, "\u200c" * 20_000, ". " * 20_000]
)
def test_hostile_inputs_are_bounded(text: str) -> None:
    detect_language(text)  # models loaded
    start = time.perf_counter()
    guess = detect_language(text)
    assert time.perf_counter() - start < 0.1
    assert 0.0 <= guess.confidence <= 1.0


def test_model_version_names_lingua() -> None:
    assert language.MODEL_VERSION.startswith("lingua-") and "+rules-" in language.MODEL_VERSION


def test_configure_switches_mode_and_keeps_answers() -> None:
    text = "Курс доллара сегодня"  # Cyrillic: the smallest detector to load twice
    try:
        language.configure(high_accuracy=True)
        assert detect_language(text).code == "ru"
    finally:
        language.configure(high_accuracy=False)
    assert detect_language(text).code == "ru"
