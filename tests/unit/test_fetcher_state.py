"""FetcherState: what survives a restart (seen URLs, validators, fingerprints, rejections, polls)."""

from __future__ import annotations

from pathlib import Path

from fetcher.dedup import NearDuplicateIndex, content_hash, simhash64
from fetcher.state import FetcherState

STORY = (
    "أقر البرلمان مساء الثلاثاء قانون الانتخابات الجديد بأغلبية ثمانية وسبعين صوتاً، بعد جلسة مطولة "
    "استمرت أكثر من عشر ساعات. وينص القانون على اعتماد النظام النسبي في خمس عشرة دائرة انتخابية، "
    "وعلى خفض سن الاقتراع إلى ثمانية عشر عاماً، إضافة إلى تخصيص مقاعد للنساء في كل دائرة."
)
EDITED = STORY + " وفق ما أفاد مراسل الوكالة."
OTHER = (
    "أبقى المصرف المركزي سعر الفائدة الرئيسي دون تغيير عند سبعة ونصف في المئة، في قرار هو الثالث "
    "من نوعه على التوالي، وسط تراجع تدريجي في معدلات التضخم خلال الأشهر الأخيرة، وتوقع خبراء خفضها."
)


def _fp(text: str, duplicate_of: str | None) -> tuple[str, int, str | None]:
    return content_hash(text), simhash64(text), duplicate_of


def test_everything_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state" / "fetcher.sqlite3"
    state = FetcherState(path)
    state.mark_published("https://a.example/1", "id-1", "h1", "src", fingerprint=_fp(STORY, None))
    state.save_validators("https://a.example/feed", '"v1"', "Wed, 04 Feb 2026 09:00:00 GMT")
    state.mark_rejected("https://a.example/bad", "src", "extraction", "too little article text")
    state.record_poll("src")
    state.close()

    state = FetcherState(path)
    assert state.seen_hash("https://a.example/1") == "h1"
    assert state.seen_hash("https://a.example/2") is None
    assert state.validators("https://a.example/feed") == ('"v1"', "Wed, 04 Feb 2026 09:00:00 GMT")
    assert state.rejected_since("https://a.example/bad") is not None
    assert state.last_poll("src") is not None and state.last_error("src") is None
    assert state.seen_count() == 1 and state.fingerprint_count() == 1


def test_rebuilt_index_gives_the_same_answers_first_seen_wins(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    live = NearDuplicateIndex()
    state = FetcherState(path)
    for aid, text in (("a", STORY), ("b", OTHER), ("c", EDITED)):
        duplicate_of = live.add(aid, text)
        state.mark_published(f"https://x.example/{aid}", aid, None, "s", fingerprint=_fp(text, duplicate_of))
    state.close()

    rebuilt = FetcherState(path).near_duplicate_index()
    assert len(rebuilt) == 3
    assert rebuilt.known("c") == ("a",)
    assert rebuilt.known("b") == (None,)
    assert rebuilt.known("z") is None
    # A new copy of the story still points at the first-seen article, as it would have without restart.
    assert rebuilt.match(content_hash(EDITED + " "), simhash64(EDITED)) == "a"
    assert rebuilt.add("d", EDITED) == live.add("d", EDITED) == "a"


def test_fingerprint_is_first_seen_only_and_publication_clears_rejection(tmp_path: Path) -> None:
    state = FetcherState(tmp_path / "s.sqlite3")
    state.mark_rejected("https://x.example/a", "s", "http_4xx", "HTTP 404")
    state.mark_published("https://x.example/a", "a", "h1", "s", fingerprint=_fp(STORY, None))
    state.mark_published("https://x.example/a", "a", "h2", "s", fingerprint=_fp(OTHER, "zzz"))
    assert state.rejected_since("https://x.example/a") is None
    assert state.seen_hash("https://x.example/a") == "h2"
    index = state.near_duplicate_index()
    assert index.known("a") == (None,)
    assert index.match(content_hash(STORY), simhash64(STORY)) == "a"


def test_index_rebuild_keeps_only_the_newest(tmp_path: Path) -> None:
    state = FetcherState(tmp_path / "s.sqlite3")
    state.mark_published("https://x.example/a", "a", None, "s", fingerprint=_fp(STORY, None))
    state.mark_published("https://x.example/b", "b", None, "s", fingerprint=_fp(OTHER, None))
    index = state.near_duplicate_index(max_items=1)
    assert len(index) == 1 and index.known("b") == (None,) and index.known("a") is None
