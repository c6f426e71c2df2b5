"""Stories on real Kafka and Elasticsearch (D17): one story per event, ids kept under re-delivery
and reindex, and story documents whose counts never double."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from elasticsearch import Elasticsearch

from akhbar.cli import cli
from akhbar.kafka import DeadLetterPublisher, make_consumer, make_producer
from akhbar.messages import EnrichedArticle, EntitySummary, LanguageGuess, TopicTag, article_id, encode
from indexer.reindex import reindex
from indexer.search import SearchRequest, StoriesRequest, search, search_stories
from indexer.settings import IndexerSettings

from .indexer_kit import count, run_indexer

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]

DAY = datetime(2026, 2, 4, 8, 0, tzinfo=UTC)
PARLIAMENT = EntitySummary(type="ORG", name="مجلس النواب", normalized="مجلس النواب", count=1, confidence=0.9)
SPEAKER = EntitySummary(type="PER", name="سمير الخطيب", normalized="سمير الخطيب", count=1, confidence=0.9)
AMMAN = EntitySummary(type="LOC", name="عمّان", normalized="عمان", count=1, confidence=0.9)
EU = EntitySummary(
    type="ORG", name="الاتحاد الأوروبي", normalized="الاتحاد الاوروبي", count=1, confidence=0.9
)

# Event A: parliament passes the election law (three outlets, different headlines and leads).
LAW = [
    (
        "alrai",
        "مجلس النواب يقر قانون الانتخاب الجديد بالأغلبية",
        "أقر مجلس النواب في جلسته المسائية بعمّان قانون الانتخاب الجديد بأغلبية 82 صوتا، بعد نقاش "
        "استمر ثلاثة أيام حول تقسيم الدوائر الانتخابية ونظام القوائم الحزبية، وقال رئيس المجلس سمير "
        "الخطيب إن القانون سيدخل حيز التنفيذ بعد نشره في الجريدة الرسمية.",
        [PARLIAMENT, SPEAKER, AMMAN],
    ),
    (
        "addustour",
        "بأغلبية 82 صوتا.. النواب يقرون قانون الانتخاب",
        "صوت مجلس النواب بأغلبية 82 صوتا على قانون الانتخاب الجديد الذي يعيد تقسيم الدوائر الانتخابية "
        "ويعتمد القوائم الحزبية، وأكد رئيس المجلس سمير الخطيب أن القانون يدخل حيز التنفيذ فور نشره في "
        "الجريدة الرسمية.",
        [PARLIAMENT, SPEAKER],
    ),
    (
        "ammonnews",
        "إقرار قانون الانتخاب: الدوائر الانتخابية والقوائم الحزبية",
        "بعد ثلاثة أيام من النقاش، أقر النواب قانون الانتخاب بأغلبية 82 صوتا. ويعيد القانون تقسيم "
        "الدوائر الانتخابية ويعتمد نظام القوائم الحزبية، ويدخل حيز التنفيذ بعد نشره في الجريدة الرسمية.",
        [PARLIAMENT],
    ),
]
# Event B, the same day: the same parliament and speaker, another event (water talks with the EU).
WATER = [
    (
        "alrai",
        "رئيس مجلس النواب يستقبل وفدا أوروبيا لبحث ملف المياه",
        "استقبل رئيس مجلس النواب سمير الخطيب في مكتبه بعمّان وفدا من الاتحاد الأوروبي، وبحث الجانبان "
        "مشروعات تحلية مياه البحر ونقلها إلى المحافظات الشمالية، وتمويل محطات معالجة المياه العادمة.",
        [PARLIAMENT, SPEAKER, AMMAN, EU],
    ),
    (
        "petra",
        "الخطيب والوفد الأوروبي يبحثان تحلية المياه",
        "بحث رئيس مجلس النواب سمير الخطيب مع وفد الاتحاد الأوروبي تمويل مشروعات تحلية مياه البحر "
        "ومحطات معالجة المياه العادمة في المحافظات الشمالية.",
        [PARLIAMENT, SPEAKER, EU],
    ),
]


def _article(n: int, source: str, title: str, body: str, entities: list[EntitySummary]) -> EnrichedArticle:
    url = f"https://{source}.example/2026/{n}"
    when = DAY + timedelta(minutes=10 * n)
    return EnrichedArticle(
        id=article_id(url),
        url=url,
        source=source,
        title=title,
        body=body,
        published_at=when,
        first_seen_at=when,
        fetched_at=when,
        revision=1,
        language=LanguageGuess(code="ar", script="Arab", confidence=0.99),
        entities=entities,
        topics=[TopicTag(code="politics", label="سياسة", score=0.9)],
    )


def _articles() -> tuple[list[EnrichedArticle], list[EnrichedArticle]]:
    law = [_article(n, *row) for n, row in enumerate(LAW)]
    water = [_article(n + 10, *row) for n, row in enumerate(WATER)]
    return law, water


def produce(settings: IndexerSettings, articles: list[EnrichedArticle]) -> None:
    """All on partition 0, so the indexer reads them in this order (which article founds a story
    depends on arrival order; across partitions that order is not fixed)."""
    producer = make_producer(settings, client_id="test")
    for a in articles:
        producer.send(settings.topic_enriched, key=a.id.encode(), value=encode(a), partition=0)
    producer.flush()
    producer.close()


def _stories_of(es: Elasticsearch, index: str) -> dict[str, str]:
    es.indices.refresh(index=index)
    hits = es.search(index=index, query={"match_all": {}}, size=100, source=["story_id"])["hits"]["hits"]
    return {h["_id"]: h["_source"]["story_id"] for h in hits}


def _story_docs(es: Elasticsearch, settings: IndexerSettings) -> dict[str, dict]:  # type: ignore[type-arg]
    es.indices.refresh(index=settings.stories_index)
    hits = es.search(index=settings.stories_index, query={"match_all": {}}, size=100)["hits"]["hits"]
    return {h["_id"]: h["_source"] for h in hits}


def test_two_events_of_one_day_are_two_stories_and_redelivery_counts_nothing_twice(
    settings: IndexerSettings, es: Elasticsearch
) -> None:
    law, water = _articles()
    batch = [law[0], water[0], law[1], water[1], law[2]]  # interleaved, one batch
    produce(settings, list(batch))
    run_indexer(settings, es, expect=len(batch))
    stories = _stories_of(es, settings.read_alias)
    expected = {a.id: law[0].id for a in law} | {a.id: water[0].id for a in water}
    assert stories == expected  # founders name their stories

    def check_docs() -> None:
        docs = _story_docs(es, settings)
        assert sorted(docs) == sorted([law[0].id, water[0].id])
        a, b = docs[law[0].id], docs[water[0].id]
        assert (a["article_count"], a["source_count"]) == (3, 3)
        assert sorted(a["members"]) == sorted(x.id for x in law)
        assert sorted(a["sources"]) == ["addustour", "alrai", "ammonnews"]
        assert a["first_article"] == {
            "id": law[0].id,
            "title": LAW[0][1],
            "url": law[0].url,
            "source": "alrai",
            "first_seen_at": "2026-02-04T08:00:00.000Z",
        }
        assert (a["first_seen"], a["last_seen"]) == ("2026-02-04T08:00:00.000Z", "2026-02-04T08:20:00.000Z")
        assert a["top_entities"][:2] == ["ORG:مجلس النواب", "PER:سمير الخطيب"]
        assert a["entity_counts"]["ORG:مجلس النواب"] == 3 and a["entity_counts"]["LOC:عمان"] == 1
        assert a["topic"] == "politics"
        assert a["timeline"] == [{"hour": "2026-02-04T08:00:00.000Z", "count": 3}]
        assert (b["article_count"], b["source_count"], b["sources"]) == (2, 2, ["alrai", "petra"])
        assert b["timeline"] == [{"hour": "2026-02-04T09:00:00.000Z", "count": 2}]

    check_docs()
    # The same batch delivered again (a new consumer group reads it from the start): ids and
    # counts unchanged, the story documents untouched.
    again = settings.model_copy(update={"group_id": f"{settings.group_id}-again"})
    run_indexer(again, es, expect=len(batch))
    assert _stories_of(es, settings.read_alias) == expected
    check_docs()
    assert count(es, settings) == 5


def test_a_reindex_carries_story_ids_over_and_rebuilds_a_lost_stories_index(
    settings: IndexerSettings, es: Elasticsearch
) -> None:
    law, water = _articles()
    produce(settings, [law[0], water[0], law[1]])
    run_indexer(settings, es, expect=3)
    before = _story_docs(es, settings)
    # A founder that joins late would cluster differently from scratch; a reindex must not care.
    produce(settings, [water[1], law[2]])
    run_indexer(settings, es, expect=2)
    live = _stories_of(es, settings.read_alias)
    kept = _story_docs(es, settings)
    es.indices.delete(index=settings.stories_index)  # lost: the reindex rebuilds it
    consumer = make_consumer(settings, group_id=None, client_id="test-reindex")
    producer = make_producer(settings, client_id="test-reindex-dlq")
    try:
        report = reindex(es, consumer, DeadLetterPublisher(producer, settings.topic_dlq_indexer), settings)
    finally:
        consumer.close()
        producer.close()
    assert report.new_index == f"{settings.index_prefix}-v2"
    assert _stories_of(es, settings.read_alias) == live
    docs = _story_docs(es, settings)
    assert docs[law[0].id]["article_count"] == 3 and docs[water[0].id]["article_count"] == 2
    assert docs[law[0].id]["first_article"] == before[law[0].id]["first_article"]
    for story in (docs, kept):  # member order is arrival order; everything else is the same
        for doc in story.values():
            doc["members"] = sorted(doc["members"])
            doc["sources"] = sorted(doc["sources"])
    assert docs == kept


def test_search_collapses_by_story_lists_one_story_first_seen_first_and_ranks_stories(
    settings: IndexerSettings, es: Elasticsearch
) -> None:
    law, water = _articles()
    produce(settings, [law[0], water[0], law[1], water[1], law[2]])
    run_indexer(settings, es, expect=5)
    es.indices.refresh(index=[settings.read_alias, settings.stories_index])

    collapsed = search(es, SearchRequest(collapse_stories=True, facets=False), index=settings.read_alias)
    assert (collapsed.total, collapsed.stories) == (5, 2)
    by_story = {h.source["story_id"]: h for h in collapsed.hits}
    assert sorted(by_story) == sorted([law[0].id, water[0].id])
    assert (by_story[law[0].id].story_size, by_story[water[0].id].story_size) == (3, 2)
    # newest first (no text): the story's newest article is its hit; inner hits are first seen first
    assert by_story[law[0].id].id == law[2].id
    assert [a["id"] for a in by_story[law[0].id].story_articles] == [law[0].id, law[1].id, law[2].id]

    text = search(es, SearchRequest(text="قانون الانتخاب", collapse_stories=True), index=settings.read_alias)
    assert [h.source["story_id"] for h in text.hits] == [law[0].id] and text.hits[0].story_size == 3

    one = search(es, SearchRequest(story=water[0].id, facets=False), index=settings.read_alias)
    assert [h.id for h in one.hits] == [water[0].id, water[1].id]

    trending = search_stories(
        es, StoriesRequest(since=None, origin="2026-02-04T10:00:00Z"), index=settings.stories_index
    )
    assert [s["story_id"] for s in trending.stories] == [law[0].id, water[0].id]  # 3 articles beat 2
    assert (
        trending.stories[0]["article_count"] == 3 and trending.stories[0]["first_article"]["id"] == law[0].id
    )
    eu = search_stories(
        es, StoriesRequest(since=None, entities=("ORG:الاتحاد الاوروبي",)), index=settings.stories_index
    )
    assert [s["story_id"] for s in eu.stories] == [water[0].id]
    assert (
        search_stories(es, StoriesRequest(since="2026-02-04T09:30:00Z"), index=settings.stories_index).total
        == 1
    )
    assert (
        search_stories(es, StoriesRequest(since=None, topics=("sports",)), index=settings.stories_index).total
        == 0
    )


def test_the_cli_lists_trending_stories_and_searches_by_story(
    settings: IndexerSettings, es: Elasticsearch
) -> None:
    law, water = _articles()
    produce(settings, [law[0], water[0], law[1], water[1], law[2]])
    run_indexer(settings, es, expect=5)
    es.indices.refresh(index=[settings.read_alias, settings.stories_index])
    env = {
        "ELASTICSEARCH_URL": settings.elasticsearch_url,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "AKHBAR_INDEX_PREFIX": settings.index_prefix,
    }
    runner = CliRunner()
    trending = runner.invoke(
        cli, ["stories", "--since", "2026-02-01", "--json"], env=env, catch_exceptions=False
    )
    assert trending.exit_code == 0, trending.output
    report = json.loads(trending.stdout)
    assert report["total"] == 2
    # ten months after "now", both decay to 0: the newer last seen comes first
    assert [(s["story_id"], s["article_count"], s["source_count"]) for s in report["stories"]] == [
        (water[0].id, 2, 2),
        (law[0].id, 3, 3),
    ]
    text = runner.invoke(cli, ["stories", "--since", "2026-02-01", "--topic", "politics"], env=env)
    assert text.exit_code == 0 and "2 stories" in text.stdout and LAW[0][1] in text.stdout
    collapsed = runner.invoke(
        cli, ["search", "--collapse-stories", "--json"], env=env, catch_exceptions=False
    )
    hits = json.loads(collapsed.stdout)["hits"]
    assert sorted((h["story_id"], h["story_size"]) for h in hits) == sorted(
        [(law[0].id, 3), (water[0].id, 2)]
    )
    one = runner.invoke(cli, ["search", "--story", law[0].id, "--json"], env=env, catch_exceptions=False)
    assert [h["id"] for h in json.loads(one.stdout)["hits"]] == [a.id for a in law]
