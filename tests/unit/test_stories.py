"""Stories (D17): fingerprints, similarity, the assignment decision, retrieval and the story document."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from akhbar.messages import EnrichedArticle, LanguageGuess, TopicTag
from indexer.settings import IndexerSettings
from indexer.stories.assign import Assignment, Candidate, assign
from indexer.stories.candidates import InMemoryCandidates, candidate_query
from indexer.stories.features import Affixes, FeatureExtractor, FeatureParams, Fingerprint, article_time
from indexer.stories.similarity import RetrievalBoosts, StoryParams, decay, overlap, similarity
from indexer.stories.story_index import Member, apply_members, hour_text, utc_text

T0 = datetime(2026, 2, 4, 9, 30, tzinfo=UTC)

PARAMS = StoryParams.from_mapping(
    {
        "lead_words": 5,
        "min_term_chars": 2,
        "keep_numbers": True,
        "entity_types": ["PER", "LOC", "ORG"],
        "weights": {"title": 0.3, "text": 0.5, "entities": 0.2},
        "overlap_smoothing": 2.0,
        "min_shared_terms": 2,
        "half_life_hours": 72.0,
        "threshold": 0.3,
        "retrieval_boosts": {"title": 2.0, "lead": 1.0, "entity": 1.5},
    }
)


def _article(title: str, body: str, **times: datetime) -> EnrichedArticle:
    return EnrichedArticle(
        id="a" * 32,
        url="https://example.org/1",
        source="example",
        title=title,
        body=body,
        fetched_at=times.get("fetched_at", T0),
        published_at=times.get("published_at"),
        first_seen_at=times.get("first_seen_at"),
        revision=1,
        language=LanguageGuess(code="ar", script="Arab", confidence=0.99),
        topics=[TopicTag(code="politics", label="سياسة", score=0.9)],
    )


def _fp(title: set[str], lead: set[str], entities: set[str] = frozenset(), hours: float = 0) -> Fingerprint:  # type: ignore[assignment]
    return Fingerprint(frozenset(title), frozenset(lead), frozenset(entities), T0 + timedelta(hours=hours))


# -- features ------------------------------------------------------------------------------------
def test_light_stemming_strips_one_prefix_then_the_suffixes_never_below_two_letters() -> None:
    affixes = Affixes.load()
    assert affixes.stem("والمحافظات") == "محافظ"
    assert affixes.stem("بالقوايم") == "قوايم"
    assert affixes.stem("الرييس") == "رييس"
    assert affixes.stem("القاهره") == "قاهر"
    assert affixes.stem("وزيرها") == "زير"  # light10 strips و: consistent, so وزير and وزيرها agree
    assert affixes.stem("وزير") == "زير"
    assert affixes.stem("بيان") == "بي"  # ب is never stripped alone; ان is, down to two letters
    assert affixes.stem("ولد") == "ولد"  # و needs three letters after it
    assert affixes.stem("لها") == "لها"


def test_fingerprint_folds_stems_and_drops_stop_words_and_takes_the_lead_from_the_body() -> None:
    extractor = FeatureExtractor(FeatureParams(lead_words=5, entity_types=frozenset({"PER", "LOC"})))
    article = _article(
        "الرئيس يزور القاهرة اليوم",
        "وصل الرئيسُ إلى القاهرةِ صباح الأربعاء في زيارة رسمية تستمر يومين",
        first_seen_at=T0 - timedelta(hours=1),
        published_at=T0 - timedelta(hours=5),
    )
    fp = extractor.fingerprint(article, ["LOC:القاهره", "PER:عبد الله", "ORG:الامم المتحده"])
    assert fp.title == {"رييس", "يزور", "قاهر"}  # اليوم is a stop word; ئ→ي, ة→ه, ال stripped
    # the first five words: وصل الرئيسُ إلى القاهرةِ صباح — إلى and صباح are stop words, marks dropped
    assert fp.lead == {"وصل", "رييس", "قاهر"}
    assert fp.entities == {"LOC:القاهره", "PER:عبد الله"}  # ORG is not among the configured types
    assert fp.time == T0 - timedelta(hours=1)  # first seen wins over published
    assert fp.terms == {"رييس", "يزور", "قاهر", "وصل"}
    assert fp.names == {"قاهر", "عبد"}  # the kept entities' name words, as terms (الله → له, a stop word)
    assert fp.stored() == {
        "story_terms": ["رييس", "قاهر", "وصل", "يزور"],
        "story_title_terms": ["رييس", "قاهر", "يزور"],
        "story_names": ["عبد", "قاهر"],
    }
    back = Fingerprint.from_stored(fp.stored(), fp.entities, fp.time)
    assert (back.title, back.terms, back.names, back.entities, back.time) == (
        fp.title,
        fp.terms,
        fp.names,
        fp.entities,
        fp.time,
    )
    assert similarity(back, fp, PARAMS) == pytest.approx(similarity(fp, fp, PARAMS))


def test_numbers_count_as_terms_unless_switched_off_and_arabic_indic_digits_fold() -> None:
    text = "مقتل ١٥ شخصا في 15 غارة"
    assert FeatureExtractor(FeatureParams()).terms(text) == {"مقتل", "15", "شخصا", "غار"}
    assert FeatureExtractor(FeatureParams(keep_numbers=False)).terms(text) == {"مقتل", "شخصا", "غار"}


def test_article_time_is_first_seen_else_published_else_fetched() -> None:
    fetched, published = T0, T0 - timedelta(hours=3)
    assert article_time(_article("t", "b", fetched_at=fetched)) == fetched
    assert article_time(_article("t", "b", fetched_at=fetched, published_at=published)) == published
    seen = T0 - timedelta(hours=1)
    assert article_time(_article("t", "b", published_at=published, first_seen_at=seen)) == seen


# -- similarity ----------------------------------------------------------------------------------
def test_similarity_is_the_weighted_smoothed_overlap_times_the_time_decay() -> None:
    a = _fp({"x", "y"}, {"x", "y", "z", "w"}, {"PER:p", "LOC:l"})
    b = _fp({"x", "q"}, {"x", "y", "q", "r", "s"}, {"PER:p"}, hours=72)
    assert overlap(a.title, b.title, 2.0) == pytest.approx(1 / 4)
    assert overlap(a.terms, b.terms, 2.0) == pytest.approx(2 / 6)
    assert overlap(a.entities, b.entities, 2.0) == pytest.approx(1 / 3)
    raw = 0.3 / 4 + 0.5 * 2 / 6 + 0.2 / 3
    assert similarity(a, b, PARAMS) == pytest.approx(raw * 0.5)  # 72 h = one half-life
    assert similarity(b, a, PARAMS) == pytest.approx(raw * 0.5)
    assert decay(-36, 72) == pytest.approx(2**-0.5)


def test_entities_alone_never_make_two_articles_one_story() -> None:
    a = _fp({"x"}, {"x", "z"}, {"PER:p", "LOC:l"})
    b = _fp({"x"}, {"x", "q"}, {"PER:p", "LOC:l"})  # one shared term, all entities shared
    assert similarity(a, b, PARAMS) == 0.0
    # the same person named in two events: the words of the name do not pass the gate
    name = frozenset({"سمير", "خطيب"})
    law = Fingerprint(
        frozenset({"سمير", "خطيب", "قان"}),
        frozenset({"سمير", "خطيب", "رييس", "قان"}),
        frozenset({"PER:سمير الخطيب"}),
        T0,
        name,
    )
    water = Fingerprint(
        frozenset({"سمير", "خطيب", "مياه"}),
        frozenset({"سمير", "خطيب", "رييس", "مياه"}),
        frozenset({"PER:سمير الخطيب"}),
        T0,
        name,
    )
    assert similarity(law, water, PARAMS) == 0.0  # shared: سمير خطيب رييس, of which only رييس is not a name
    law2 = Fingerprint(law.title, law.lead | {"مياه"}, law.entities, T0, name)
    assert similarity(law2, water, PARAMS) > 0  # رييس and مياه: two words outside the name


def test_the_shipped_params_file_loads_and_bad_params_are_refused(tmp_path: Path) -> None:
    shipped = StoryParams.load()
    assert 0 < shipped.threshold <= 1 and shipped.boosts.title >= shipped.boosts.lead
    raw = json.loads(Path("services/indexer/stories/data/params.json").read_text(encoding="utf-8"))
    bad = tmp_path / "params.json"
    bad.write_text(json.dumps({**raw, "half_life_hours": 0}), encoding="utf-8")
    with pytest.raises(ValueError, match="half_life_hours"):
        StoryParams.load(bad)
    with pytest.raises(ValueError, match="story params file"):
        IndexerSettings(story_params_file=bad)
    assert IndexerSettings(story_params_file=None).stories_index == "akhbar-articles-stories"


# -- assignment ----------------------------------------------------------------------------------
ARTICLE = _fp({"x", "y"}, {"x", "y", "z"}, {"PER:p"})


def test_an_article_joins_the_most_similar_story_above_the_threshold() -> None:
    near = Candidate("m1", "story-1", _fp({"x", "y"}, {"x", "y", "z"}, {"PER:p"}))
    weaker = Candidate("m2", "story-2", _fp({"x"}, {"x", "y", "q", "r"}))
    far_member_of_1 = Candidate("m3", "story-1", _fp({"q"}, {"q", "r"}))
    result = assign("new", ARTICLE, [weaker, far_member_of_1, near], PARAMS)
    assert result == Assignment(
        "story-1", pytest.approx(similarity(ARTICLE, near.fingerprint, PARAMS)), False, "m1"
    )
    assert result.score == pytest.approx(0.3 * 2 / 4 + 0.5 * 3 / 5 + 0.2 * 1 / 3)


def test_below_the_threshold_the_article_founds_a_story_named_after_itself() -> None:
    weak = Candidate("m2", "story-2", _fp({"q"}, {"x", "y", "q", "r", "s", "t", "u", "v"}, hours=200))
    assert assign("article-9", ARTICLE, [weak], PARAMS) == Assignment("article-9", 0.0, True)
    assert assign("article-9", ARTICLE, [], PARAMS) == Assignment("article-9", 0.0, True)


def test_ties_go_to_the_story_with_the_earliest_member_then_the_smaller_id_and_self_is_ignored() -> None:
    same = _fp({"x", "y"}, {"x", "y", "z"}, {"PER:p"})
    later = Candidate(
        "m1", "story-b", Fingerprint(same.title, same.lead, same.entities, T0 + timedelta(hours=1))
    )
    earlier_first = Candidate(
        "m2", "story-c", Fingerprint(same.title, same.lead, same.entities, T0 - timedelta(hours=1))
    )
    earlier_second = Candidate(
        "m3", "story-a", Fingerprint(same.title, same.lead, same.entities, T0 + timedelta(hours=1))
    )
    # same score for m2 and m3/m1 only when equally far: m2 (−1 h) and m1/m3 (+1 h) decay alike
    result = assign("new", ARTICLE, [later, earlier_second, earlier_first], PARAMS)
    assert result.story_id == "story-c"
    assert assign("new", ARTICLE, [later, earlier_second], PARAMS).story_id == "story-a"
    assert assign("m1", ARTICLE, [later], PARAMS) == Assignment("m1", 0.0, True)


# -- retrieval -----------------------------------------------------------------------------------
BOOSTS = RetrievalBoosts(title=2.0, lead=1.0, entity=1.5)


def test_the_candidate_query_is_one_constant_boost_per_shared_term_within_the_window() -> None:
    fp = _fp({"x"}, {"x", "z"}, {"PER:p"})
    assert candidate_query(fp, k=5, window_hours=24, boosts=BOOSTS) == {
        "size": 5,
        "query": {
            "bool": {
                "should": [
                    {"constant_score": {"filter": {"term": {"story_terms": "x"}}, "boost": 2.0}},
                    {"constant_score": {"filter": {"term": {"story_terms": "z"}}, "boost": 1.0}},
                    {"constant_score": {"filter": {"term": {"entity_keys": "PER:p"}}, "boost": 1.5}},
                ],
                "minimum_should_match": 1,
                "filter": [
                    {"exists": {"field": "story_id"}},
                    {
                        "range": {
                            "story_time": {
                                "gte": "2026-02-03T09:30:00+00:00",
                                "lte": "2026-02-05T09:30:00+00:00",
                            }
                        }
                    },
                ],
            }
        },
        "track_total_hits": False,
        "_source": False,
        "docvalue_fields": [
            "id",
            "story_id",
            "story_terms",
            "story_title_terms",
            "story_names",
            "entity_keys",
            {"field": "story_time", "format": "strict_date_time"},
        ],
    }


def test_in_memory_candidates_rank_like_the_query_filter_by_window_and_evict_the_oldest() -> None:
    memory = InMemoryCandidates(k=2, window_hours=24, boosts=BOOSTS, max_members=3)
    a = Candidate("a", "s1", _fp({"x"}, {"x", "z"}))  # x(title 2) + z(lead 1) = 3
    b = Candidate("b", "s2", _fp({"q"}, {"z"}, {"PER:p"}, hours=-2))  # z 1 + PER:p 1.5 = 2.5
    c = Candidate("c", "s3", _fp({"x"}, {"x"}, hours=1))  # x 2
    old = Candidate("d", "s4", _fp({"x"}, {"x", "z"}, {"PER:p"}, hours=-30))  # out of the window
    for cand in (a, b, c, old):
        memory.add(cand)
    probe = _fp({"x"}, {"x", "z"}, {"PER:p"})
    assert len(memory) == 3 and "a" not in memory  # the oldest added was dropped
    assert memory.find([probe]) == [[b, c]]
    memory.add(a)  # back in: evicts b
    assert [x.article_id for x in memory.find_one(probe)] == ["a", "c"]
    nothing = _fp({"n"}, {"n"})
    assert memory.find_one(nothing) == []


# -- the story document --------------------------------------------------------------------------
def _member(
    aid: str, source: str, minutes: int, keys: tuple[str, ...], topic: str | None = "politics"
) -> Member:
    return Member(
        story_id="s1",
        article_id=aid,
        title=f"عنوان {aid}",
        url=f"https://{source}.example/{aid}",
        source=source,
        time=utc_text(T0 + timedelta(minutes=minutes)),
        entity_keys=keys,
        topic=topic,
    )


def test_members_are_added_once_and_counts_first_article_timeline_and_entities_follow() -> None:
    m1 = _member("a1", "alrai", 0, ("ORG:النواب", "PER:الخطيب"))
    m2 = _member("a2", "petra", 45, ("ORG:النواب",), topic="economy")
    m3 = _member("a3", "alrai", -20, ("ORG:النواب", "LOC:عمان"))
    doc = apply_members(None, "s1", [m1, m2])
    assert doc == {
        "story_id": "s1",
        "members": ["a1", "a2"],
        "sources": ["alrai", "petra"],
        "article_count": 2,
        "source_count": 2,
        "entity_counts": {"ORG:النواب": 2, "PER:الخطيب": 1},
        "top_entities": ["ORG:النواب", "PER:الخطيب"],
        "topic_counts": {"politics": 1, "economy": 1},
        "topic": "economy",  # a tie: the smaller code
        "timeline": [
            {"hour": "2026-02-04T09:00:00.000Z", "count": 1},
            {"hour": "2026-02-04T10:00:00.000Z", "count": 1},
        ],
        "first_seen": "2026-02-04T09:30:00.000Z",
        "last_seen": "2026-02-04T10:15:00.000Z",
        "first_article": {
            "id": "a1",
            "title": "عنوان a1",
            "url": "https://alrai.example/a1",
            "source": "alrai",
            "first_seen_at": "2026-02-04T09:30:00.000Z",
        },
    }
    assert apply_members(doc, "s1", [m2, m1]) is None  # re-delivery: nothing to write
    later = apply_members(doc, "s1", [m1, m3])  # m3 was seen earlier, but arrives last
    assert later is not None
    assert (later["article_count"], later["source_count"], later["members"]) == (3, 2, ["a1", "a2", "a3"])
    assert later["first_article"]["id"] == "a3" and later["first_seen"] == "2026-02-04T09:10:00.000Z"
    assert later["last_seen"] == "2026-02-04T10:15:00.000Z"
    assert later["timeline"] == [
        {"hour": "2026-02-04T09:00:00.000Z", "count": 2},
        {"hour": "2026-02-04T10:00:00.000Z", "count": 1},
    ]
    assert later["entity_counts"] == {"ORG:النواب": 3, "PER:الخطيب": 1, "LOC:عمان": 1}
    assert later["top_entities"] == ["ORG:النواب", "LOC:عمان", "PER:الخطيب"]
    assert later["topic"] == "politics"
    assert doc["article_count"] == 2  # the input document is not modified


def test_time_texts_are_fixed_format_utc() -> None:
    east = datetime(2026, 2, 4, 12, 5, 7, 123456, tzinfo=UTC) + timedelta()
    assert utc_text(east) == "2026-02-04T12:05:07.123Z"
    assert utc_text(datetime(2026, 2, 4, 12, 5)) == "2026-02-04T12:05:00.000Z"  # naive = UTC
    assert hour_text(east) == "2026-02-04T12:00:00.000Z"


# -- search by story -----------------------------------------------------------------------------
def test_collapsed_search_and_one_storys_coverage_bodies() -> None:
    from indexer.search import SearchRequest, build_query

    collapsed = build_query(SearchRequest(collapse_stories=True, facets=False, story_hits=2))
    assert collapsed["collapse"] == {
        "field": "story_id",
        "inner_hits": {
            "name": "story",
            "size": 2,
            "sort": [{"story_time": {"order": "asc", "missing": "_last"}}],
            "_source": ["id", "title", "source", "url", "first_seen_at"],
        },
    }
    assert collapsed["aggs"] == {"stories": {"cardinality": {"field": "story_id"}}}
    one = build_query(SearchRequest(story="abc", facets=False))
    assert one["query"]["bool"]["filter"] == [{"term": {"story_id": "abc"}}]
    assert one["sort"] == [{"story_time": {"order": "asc", "missing": "_last"}}, {"id": "asc"}]
    assert "collapse" not in one


def test_trending_stories_body_ranks_by_size_and_recency_with_filters() -> None:
    from indexer.search import StoriesRequest, build_stories_query

    body = build_stories_query(
        StoriesRequest(
            topics=("politics",), entities=("PER:سمير الخطيب",), since="now-6h", min_articles=2, size=5
        )
    )
    assert body == {
        "query": {
            "function_score": {
                "query": {
                    "bool": {
                        "filter": [
                            {"terms": {"topic": ["politics"]}},
                            {"term": {"top_entities": "PER:سمير الخطيب"}},
                            {"range": {"last_seen": {"gte": "now-6h"}}},
                            {"range": {"article_count": {"gte": 2}}},
                        ]
                    }
                },
                "functions": [
                    {"field_value_factor": {"field": "article_count", "modifier": "log1p", "missing": 1}},
                    {"gauss": {"last_seen": {"origin": "now", "scale": "12h", "decay": 0.5}}},
                ],
                "score_mode": "multiply",
                "boost_mode": "replace",
            }
        },
        "sort": [{"_score": "desc"}, {"last_seen": "desc"}, {"story_id": "asc"}],
        "track_scores": True,
        "size": 5,
        "from": 0,
        "track_total_hits": True,
        "_source": [
            "story_id",
            "article_count",
            "source_count",
            "first_seen",
            "last_seen",
            "topic",
            "top_entities",
            "first_article",
            "timeline",
        ],
    }


# -- the stage over in-memory stores ---------------------------------------------------------------
def test_the_window_drops_members_older_than_its_age_unless_touched_by_their_write() -> None:
    now = [100.0]
    window = InMemoryCandidates(k=5, window_hours=24, boosts=BOOSTS, max_age_s=3.0, clock=lambda: now[0])
    window.add(Candidate("a", "s1", _fp({"x"}, {"x"})))
    now[0] = 102.0
    window.add(Candidate("b", "s1", _fp({"x"}, {"x"})))
    now[0] = 103.5
    window.touch(["a"])  # a's write acknowledged now: three more seconds
    now[0] = 105.5
    window.expire()
    assert ("a" in window, "b" in window) == (True, False)


def test_a_burst_of_copies_in_one_batch_is_one_story_and_a_redelivery_keeps_it() -> None:
    from indexer.stories.stage import StoryStage

    store = InMemoryCandidates(k=10, window_hours=72, boosts=BOOSTS)

    class Lookup:
        def stories_of(self, ids: list[str]) -> dict[str, Candidate]:
            return {c.article_id: c for c in (store.get(i) for i in ids) if c is not None}

    stage = StoryStage(
        PARAMS, source=store, lookup=Lookup(), stories_index="s", k=10, window_hours=72, recent_members=100
    )
    title = "البرلمان يقر قانون الانتخابات الجديد"
    body = "أقر البرلمان قانون الانتخابات الجديد بأغلبية 82 صوتا بعد نقاش حول الدوائر"
    copies = [_article(title, body).model_copy(update={"id": f"{n}" * 32}) for n in range(3)]
    other = _article(
        "المنتخب يفوز على ضيفه بثلاثة أهداف", "فاز المنتخب الوطني على ضيفه بثلاثة أهداف نظيفة"
    ).model_copy(update={"id": "9" * 32})
    decisions = stage.decide([(a, []) for a in [*copies, other]])
    assert [d.assignment.story_id for d in decisions] == ["0" * 32] * 3 + ["9" * 32]
    assert [d.assignment.founded for d in decisions] == [True, False, False, True]
    # the same batch again (a re-delivery): every article keeps its story, none is decided anew
    again = stage.decide([(a, []) for a in [*copies, other]])
    assert [(d.assignment.story_id, d.kept) for d in again] == [
        (d.assignment.story_id, True) for d in decisions
    ]
