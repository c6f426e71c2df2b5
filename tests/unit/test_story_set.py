"""Invariants of the labelled story set (bench/data/stories/), loaded as the fetcher builds messages."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from story_set import STORY_SET, LabelledArticle, load_story_set  # noqa: E402

from akhbar.arabic import strip_diacritics, strip_tatweel  # noqa: E402

MIN_EVENTS = 40
MIN_DISTRACTORS = 150


def _rows() -> list[dict[str, object]]:
    lines = (STORY_SET / "stories.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _events(articles: list[LabelledArticle]) -> dict[str, list[LabelledArticle]]:
    events: dict[str, list[LabelledArticle]] = defaultdict(list)
    for article in articles:
        events[article.event].append(article)
    return events


def test_enough_events_of_three_to_six_articles_and_distractors_of_one_or_two() -> None:
    events = _events(load_story_set())
    stories = {e: m for e, m in events.items() if not m[0].distractor}
    distractors = [a for m in events.values() for a in m if a.distractor]
    assert len(stories) >= MIN_EVENTS
    assert all(3 <= len(m) <= 6 for m in stories.values()), {e: len(m) for e, m in stories.items()}
    assert len(distractors) >= MIN_DISTRACTORS
    assert all(1 <= len(m) <= 2 for m in events.values() if m[0].distractor)
    assert all(a.event.startswith("d-") == a.distractor for a in load_story_set())


def test_ids_are_unique_and_copies_point_at_an_original_of_their_event() -> None:
    articles = load_story_set()
    by_id = {a.id: a for a in articles}
    assert len(by_id) == len(articles)
    copies = [a for a in articles if a.kind != "original"]
    assert {a.kind for a in copies} == {"syndicated", "cross_encoding"}
    for copy in copies:
        original = by_id[copy.copy_of or ""]
        assert original.kind == "original"
        assert (original.event, original.split) == (copy.event, copy.split)
    assert all(a.copy_of is None for a in articles if a.kind == "original")


def test_each_event_lies_in_one_split_and_dev_holds_about_three_fifths() -> None:
    events = _events(load_story_set())
    assert all(len({a.split for a in m}) == 1 for m in events.values())
    dev = [e for e, m in events.items() if m[0].split == "dev"]
    assert 0.5 <= len(dev) / len(events) <= 0.7
    assert {a.id for a in load_story_set("dev")} | {a.id for a in load_story_set("test")} == {
        a.id for a in load_story_set()
    }
    assert not {a.id for a in load_story_set("dev")} & {a.id for a in load_story_set("test")}


def test_articles_of_one_event_are_published_within_two_days() -> None:
    for event, members in _events(load_story_set()).items():
        times = [a.article.published_at for a in members]
        assert all(t is not None and t.utcoffset() is not None for t in times), event
        stamps = [t for t in times if t is not None]
        assert max(stamps) - min(stamps) <= timedelta(days=2), event


def test_every_html_copy_extracts_to_its_originals_title_and_text() -> None:
    articles = load_story_set()
    by_id = {a.id: a for a in articles}
    rows = {str(r["id"]): r for r in _rows()}
    copies = [a for a in articles if a.kind != "original"]
    assert copies and all(rows[a.id].get("page") for a in copies)
    for copy in copies:
        original = by_id[copy.copy_of or ""].article
        assert copy.article.title == original.title, copy.id
        # The lead always survives; trafilatura (favor_precision) may drop a short closing paragraph
        # of a legacy page, as the fetcher would: the copy's text is the original's, cut at the end.
        kept = copy.article.paragraphs
        assert kept and kept == original.paragraphs[: len(kept)], copy.id
        assert copy.article.fetched_url == rows[copy.id]["url"]
        assert copy.article.id != original.id
        if copy.kind == "syndicated":
            assert copy.article.is_aggregator, copy.id
            assert copy.article.provenance is not None
            assert copy.article.provenance.original_source == by_id[original_id(copy)].outlet
            # The fetcher's provenance drops tanween and tatweel from the quoted title.
            quoted = strip_tatweel(strip_diacritics(str(rows[original_id(copy)]["title"])))
            assert copy.article.provenance.original_title == quoted
        else:
            assert (STORY_SET / str(rows[copy.id]["page"])).read_bytes().decode("windows-1256")
            assert copy.article.published_at == original.published_at


def original_id(copy: LabelledArticle) -> str:
    assert copy.copy_of is not None
    return copy.copy_of


def test_cross_encoding_pages_are_windows_1256_declared_by_header_or_meta_only() -> None:
    rows = [r for r in _rows() if r["kind"] == "cross_encoding"]
    headers = Counter(str(r["content_type"]) for r in rows)
    assert set(headers) == {"text/html", "text/html; charset=windows-1256"}
    for row in rows:
        page = (STORY_SET / str(row["page"])).read_bytes()
        assert b"charset=windows-1256" in page
        try:
            page.decode("utf-8")
        except UnicodeDecodeError:
            continue
        raise AssertionError(f"{row['id']}: page is valid UTF-8, not a cross-encoding copy")


def test_the_committed_set_is_what_the_build_script_writes() -> None:
    spec = importlib.util.spec_from_file_location("build_story_set", ROOT / "scripts" / "build_story_set.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    text, pages, readme = module.build()
    assert text == (STORY_SET / "stories.jsonl").read_text(encoding="utf-8")
    assert readme == (STORY_SET / "README.md").read_text(encoding="utf-8")
    assert pages == {
        p.relative_to(STORY_SET).as_posix(): p.read_bytes() for p in (STORY_SET / "pages").glob("*")
    }
