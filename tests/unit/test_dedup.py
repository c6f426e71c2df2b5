"""fetcher.dedup: exact hash, SimHash and the first-seen-wins index."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fetcher.dedup import NearDuplicateIndex, content_hash, hamming_distance, normalized_words, simhash64
from fetcher.extract import extract_article

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BASE = "http://fixture.invalid"
GOLD = json.loads((FIXTURES / "gold.json").read_text(encoding="utf-8"))

STORY = (
    "أقر البرلمان مساء الثلاثاء قانون الانتخابات الجديد بأغلبية ثمانية وسبعين صوتاً، بعد جلسة مطولة "
    "استمرت أكثر من عشر ساعات. وينص القانون على اعتماد النظام النسبي في خمس عشرة دائرة انتخابية، "
    "وعلى خفض سن الاقتراع إلى ثمانية عشر عاماً، إضافة إلى تخصيص مقاعد للنساء في كل دائرة."
)
OTHER = (
    "أبقى المصرف المركزي سعر الفائدة الرئيسي دون تغيير عند سبعة ونصف في المئة، في قرار هو الثالث "
    "من نوعه على التوالي، وسط تراجع تدريجي في معدلات التضخم خلال الأشهر الأخيرة، وتوقع خبراء خفضها."
)


def test_content_hash_ignores_diacritics_hamza_digits_punctuation_spacing() -> None:
    a = "أقرَّ البرلمانُ القانونَ   في ٤ شباط، ٢٠٢٦!"
    b = "اقر البرلمان القانون في 4 شباط 2026"
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash("اقر البرلمان القانون في 5 شباط 2026")
    assert normalized_words("مدرسةٌ إلى") == ["مدرسه", "الي"]


def test_simhash_is_stable_across_processes() -> None:
    # Pinned value: a salted hash() or changed normalisation would move it.
    code = f"from fetcher.dedup import simhash64; print(simhash64({STORY!r}))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=None)
    assert int(other.stdout) == simhash64(STORY)


def test_near_duplicate_distance() -> None:
    edited = STORY + " وفق ما أفاد مراسلنا."  # a one-clause edit of a ~45-word text
    assert hamming_distance(simhash64(STORY), simhash64(edited)) <= 8
    assert hamming_distance(simhash64(STORY), simhash64(OTHER)) > 16


def test_index_first_seen_wins_and_is_idempotent() -> None:
    index = NearDuplicateIndex()
    assert index.add("a", STORY) is None
    assert index.add("b", "« " + STORY + " »") == "a"  # exact after normalisation
    assert index.add("c", OTHER) is None
    edited = STORY + " وفق ما أفاد مراسل الوكالة."
    assert index.add("d", edited) == "a"
    assert index.add("a", OTHER) is None  # known id: first answer, text ignored
    assert index.add("d", "anything") == "a"
    assert index.lookup(STORY) == "a"
    assert len(index) == 4


def test_index_eviction_forgets_oldest() -> None:
    index = NearDuplicateIndex(max_items=1)
    assert index.add("a", STORY) is None
    assert index.add("c", OTHER) is None
    assert index.lookup(STORY) is None
    assert len(index) == 1


def test_fixture_copies_link_to_the_original() -> None:
    """The agency copy and the aggregator copy (attribution, disclaimer stripped) → the original."""
    index = NearDuplicateIndex()
    results = {}
    for page in GOLD["pages"]:
        body = (FIXTURES / "site" / page["path"]).read_bytes().replace(b"{base}", BASE.encode())
        article = extract_article(
            body,
            url=f"{BASE}/{page['path']}",
            content_type=page["content_type"],
            site_timezone=page["site_timezone"],
        )
        results[page["path"]] = index.add(page["path"], article.text)
    assert results == {page["path"]: page["duplicate_of"] for page in GOLD["pages"]}
    assert results["agg/news-88231.html"] == "daily/politics/elections-law.html"
    assert results["wire/elections-law-2026-02-04.html"] == "daily/politics/elections-law.html"
