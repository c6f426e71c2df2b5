"""Search against a real node: exact query bodies, Arabic variants, filters, facets, highlights, freshness.

One index (the real template, through ``ensure_index``) holds a handful of short Arabic fixture
articles for the whole module; every test reads it, none writes.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from elasticsearch import Elasticsearch, helpers

from akhbar.errors import SearchUnavailable
from akhbar.messages import EnrichedArticle, EntitySummary, LanguageGuess, TopicTag, article_id
from indexer.__main__ import main as indexer_main
from indexer.documents import to_action
from indexer.index_admin import ensure_index
from indexer.search import (
    EntityFilter,
    FreshnessDecay,
    SearchRequest,
    build_query,
    filters,
    search,
)
from indexer.settings import IndexerSettings

pytestmark = pytest.mark.elasticsearch

NOW = datetime.now(UTC).replace(microsecond=0)
AR = LanguageGuess(code="ar", script="Arab", confidence=0.99)
TOPIC = {
    "politics": TopicTag(code="politics", label="سياسة", score=0.9),
    "economy": TopicTag(code="economy", label="اقتصاد", score=0.9),
    "sports": TopicTag(code="sports", label="رياضة", score=0.9),
}
AHMAD = EntitySummary(type="PER", name="أحمد الصالح", normalized="احمد الصالح", count=1, confidence=0.9)
AMMAN = EntitySummary(type="LOC", name="عمّان", normalized="عمان", count=1, confidence=0.9)
BANK = EntitySummary(type="ORG", name="البنك المركزي", normalized="البنك المركزي", count=2, confidence=0.9)
LEBANON = EntitySummary(type="LOC", name="لبنان", normalized="لبنان", count=1, confidence=0.9)


def _article(
    key: str,
    title: str,
    body: str,
    *,
    source: str,
    topic: str,
    age_days: float,
    entities: list[EntitySummary] | None = None,
    language: LanguageGuess = AR,
    duplicate_of: str | None = None,
) -> EnrichedArticle:
    url = f"https://news.example.org/{key}"
    return EnrichedArticle(
        id=article_id(url),
        url=url,
        source=source,
        title=title,
        body=body,
        published_at=NOW - timedelta(days=age_days),
        fetched_at=NOW,
        revision=1,
        language=language,
        entities=entities or [],
        topics=[TOPIC[topic]],
        duplicate_of=duplicate_of,
    )


WATER = _article(
    "water",
    "وزارة الخارجية تستقبل وفداً أوروبياً لبحث ملف المياه",
    "استقبل وزير الخارجية أحمد الصالح اليوم بعمّان وفداً أوروبياً، وبحث الجانبان منحة عام ٢٠٢٦ لتحلية المياه.",
    source="alghad",
    topic="politics",
    age_days=2,
    entities=[AHMAD, AMMAN],
)
RATES = _article(
    "rates",
    "البنك المركزي يرفع أسعار الفائدة ربع نقطة",
    "قرر البنك المركزي رفع أسعار الفائدة، وقال وزير المالية إن القرار يحمي الدينار. "
    "وأكد أحمد الصالح دعم الحكومة للقرار.",
    source="petra",
    topic="economy",
    age_days=10,
    entities=[BANK, AHMAD],
)
CUP = _article(
    "cup",
    "المنتخب يتأهل إلى نهائيات كأس آسيا",
    "تأهل المنتخب الوطني لكرة القدم إلى نهائيات كأس آسيا بعد فوزه في لبنان، ونال قائده جائزة أفضل لاعب.",
    source="kooora",
    topic="sports",
    age_days=5,
    entities=[LEBANON],
)
PEACE_OLD = _article(
    "peace-old",
    "مؤتمر السلام يختتم أعماله في جنيف",
    "اختتم مؤتمر السلام أعماله في جنيف. مؤتمر السلام ناقش ملف اللاجئين، ومؤتمر السلام المقبل في الربيع.",
    source="alghad",
    topic="politics",
    age_days=400,
)
PEACE_NEW = _article(
    "peace-new",
    "مؤتمر السلام يختتم أعماله في جنيف",
    "اختتم المؤتمر أعماله في جنيف بمشاركة واسعة.",
    source="petra",
    topic="politics",
    age_days=1,
)
ENGLISH = _article(
    "english",
    "Central bank raises rates",
    "The central bank raised interest rates by a quarter point.",
    source="reuters",
    topic="economy",
    age_days=3,
    language=LanguageGuess(code="en", script="Latn", confidence=0.99),
)
RATES_COPY = _article(
    "rates-copy",
    "البنك المركزي يرفع أسعار الفائدة ربع نقطة",
    "قرر البنك المركزي رفع أسعار الفائدة، وقال وزير المالية إن القرار يحمي الدينار.",
    source="aggregator",
    topic="economy",
    age_days=10,
    entities=[BANK],
    duplicate_of=RATES.id,
)
ARTICLES = [WATER, RATES, CUP, PEACE_OLD, PEACE_NEW, ENGLISH, RATES_COPY]
NAMES = {a.id: a.url.rsplit("/", 1)[1] for a in ARTICLES}


@pytest.fixture(scope="module")
def settings(es_url: str) -> IndexerSettings:
    return IndexerSettings(elasticsearch_url=es_url, index_prefix=f"test-search-{uuid.uuid4().hex[:12]}")


@pytest.fixture(scope="module")
def es(settings: IndexerSettings) -> Iterator[Elasticsearch]:
    client = Elasticsearch(settings.elasticsearch_url, request_timeout=30)
    ensure_index(client, settings)
    ok, errors = helpers.bulk(
        client, [to_action(a, index=settings.write_alias) for a in ARTICLES], refresh=True
    )
    assert (ok, errors) == (len(ARTICLES), [])
    yield client
    for name in client.indices.get(index=f"{settings.index_prefix}-v*"):
        client.indices.delete(index=name)
    client.options(ignore_status=404).indices.delete(index=settings.stories_index)
    client.indices.delete_index_template(name=settings.index_prefix)
    for part in ("settings", "mappings"):
        client.cluster.delete_component_template(name=f"{settings.index_prefix}-{part}")
    client.close()


def found(es: Elasticsearch, settings: IndexerSettings, request: SearchRequest) -> list[str]:
    return [NAMES[h.id] for h in search(es, request, index=settings.read_alias).hits]


# --- the builder's output, exactly ------------------------------------------------------------------------


def test_each_filter_builds_its_exact_clause() -> None:
    assert filters(SearchRequest(topics=("politics",))) == [{"terms": {"topic_codes": ["politics"]}}]
    assert filters(SearchRequest(sources=("petra",))) == [
        {
            "bool": {
                "should": [
                    {"terms": {"source": ["petra"]}},
                    {"terms": {"provenance.original_source": ["petra"]}},
                ],
                "minimum_should_match": 1,
            }
        }
    ]
    assert filters(SearchRequest(languages=("ar",))) == [{"terms": {"language.code": ["ar"]}}]
    assert filters(SearchRequest(date_from="2026-01-01", date_to="now")) == [
        {"range": {"published_at": {"gte": "2026-01-01", "lte": "now"}}}
    ]
    assert filters(SearchRequest(date_from=datetime(2026, 2, 1, tzinfo=UTC))) == [
        {"range": {"published_at": {"gte": "2026-02-01T00:00:00+00:00"}}}
    ]
    assert filters(SearchRequest(entities=(EntityFilter.parse("PER:أحمد الصالح"),))) == [
        {
            "nested": {
                "path": "entities",
                "query": {
                    "bool": {
                        "filter": [
                            {"term": {"entities.type": "PER"}},
                            {
                                "bool": {
                                    "should": [
                                        {"terms": {"entities.normalized": ["أحمد الصالح", "احمد الصالح"]}},
                                        {"terms": {"entities.name": ["أحمد الصالح", "احمد الصالح"]}},
                                    ],
                                    "minimum_should_match": 1,
                                }
                            },
                        ]
                    }
                },
            }
        }
    ]
    assert filters(SearchRequest(include_duplicates=False)) == [
        {"bool": {"must_not": [{"exists": {"field": "duplicate_of"}}]}}
    ]
    assert filters(SearchRequest()) == []


def test_entity_filter_parses_type_prefix_only_for_known_types() -> None:
    assert EntityFilter.parse("PER:أحمد") == EntityFilter(name="أحمد", type="PER")
    assert EntityFilter.parse("loc:عمّان") == EntityFilter(name="عمّان", type="LOC")
    assert EntityFilter.parse("عمّان") == EntityFilter(name="عمّان")
    assert EntityFilter.parse("نسبة 3:1") == EntityFilter(name="نسبة 3:1")
    assert EntityFilter.parse("LOC:عمّان").normalized == "عمان"


def test_text_query_body_is_exact() -> None:
    body = build_query(SearchRequest(text="وزارة الخارجية", facets=False, highlight=False, size=5))

    def multi(fields: list[str], **extra: object) -> dict[str, object]:
        return {
            "multi_match": {
                "query": "وزارة الخارجية",
                "type": "best_fields",
                "fields": fields,
                "tie_breaker": 0.3,
                "minimum_should_match": "-1",
                **extra,
            }
        }

    assert body == {
        "query": {
            "bool": {
                "must": [
                    {
                        "bool": {
                            "should": [
                                multi(["title^3", "body"]),
                                multi(["title.clitic^1.8", "body.clitic^0.6"]),
                                multi(["title.clitic^1.2", "body.clitic^0.4"], analyzer="akhbar_arabic"),
                                multi(["title^1.2", "body^0.4"], analyzer="akhbar_arabic_clitic"),
                                {
                                    "multi_match": {
                                        "query": "وزارة الخارجية",
                                        "type": "phrase",
                                        "fields": ["title.exact^4.5", "body.exact^1.5"],
                                        "slop": 2,
                                    }
                                },
                            ],
                            "minimum_should_match": 1,
                        }
                    }
                ],
                "filter": [],
            }
        },
        "size": 5,
        "from": 0,
        "track_total_hits": True,
        "_source": [
            "id",
            "url",
            "source",
            "title",
            "published_at",
            "fetched_at",
            "language.code",
            "topics.code",
            "topics.label",
            "provenance.original_source",
            "duplicate_of",
            "story_id",
            "first_seen_at",
        ],
    }


def test_fresh_wraps_the_query_in_a_gauss_decay_with_a_floor() -> None:
    body = build_query(
        SearchRequest(text="السلام", topics=("politics",), fresh=True, freshness=FreshnessDecay(scale="30d"))
    )
    gauss = {"origin": "now", "scale": "30d", "offset": "1d", "decay": 0.5}
    assert body["query"]["function_score"]["functions"] == [
        {"filter": {"exists": {"field": "published_at"}}, "gauss": {"published_at": gauss}, "weight": 0.7},
        {
            "filter": {"bool": {"must_not": [{"exists": {"field": "published_at"}}]}},
            "gauss": {"fetched_at": gauss},
            "weight": 0.7,
        },
        {"weight": 0.3},
    ]
    assert body["query"]["function_score"]["score_mode"] == "sum"
    assert body["query"]["function_score"]["boost_mode"] == "multiply"
    assert body["query"]["function_score"]["query"]["bool"]["filter"] == [
        {"terms": {"topic_codes": ["politics"]}}
    ]


def test_no_text_means_newest_first_without_highlight() -> None:
    body = build_query(SearchRequest(sources=("petra",)))
    assert body["query"]["bool"]["must"] == [{"match_all": {}}]
    assert body["sort"] == [{"published_at": {"order": "desc", "missing": "_last"}}, {"fetched_at": "desc"}]
    assert "highlight" not in body


# --- against the node -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("الوزاره", {"water"}),  # article added, ة typed as ه (the text has bare وزارة)
        ("وزاره الخارجيه", {"water"}),
        ("احمد", {"water", "rates"}),  # hamza dropped
        ("أحمد\u200f", {"water", "rates"}),  # a pasted right-to-left mark
        ("عمان", {"water"}),  # the text says بعمّان: proclitic ب and shadda
        ("٢٠٢٦ منحه", {"water"}),  # digits in either script, ة↔ه
        ("2026", {"water"}),
        ("اوروبي", {"water"}),  # the text says أوروبياً: hamza and the tanwin alef
        ("بلبنان", {"cup"}),  # the text says في لبنان: the crossed clauses
        ("جايزة", {"cup"}),  # the text says جائزة: hamza on yeh
        ("والمنتخبات", {"cup"}),  # وال stacked, sound plural ات
        ("للمنتخب", {"cup"}),  # لل stacked on the article
        ("بالجوائز", set()),  # broken plural: out of reach of light stemming
    ],
)
def test_arabic_query_variants(
    es: Elasticsearch, settings: IndexerSettings, query: str, expected: set[str]
) -> None:
    assert set(found(es, settings, SearchRequest(text=query))) == expected


def test_filters_select_the_right_articles(es: Elasticsearch, settings: IndexerSettings) -> None:
    def ids(**kw: object) -> set[str]:
        return set(found(es, settings, SearchRequest(**kw)))  # type: ignore[arg-type]

    assert ids(topics=("politics",)) == {"water", "peace-old", "peace-new"}
    assert ids(topics=("sports", "politics")) == {"water", "peace-old", "peace-new", "cup"}
    assert ids(sources=("petra",)) == {"rates", "peace-new"}
    assert ids(languages=("en",)) == {"english"}
    assert ids(entities=(EntityFilter.parse("PER:احمد الصالح"),)) == {"water", "rates"}
    assert ids(entities=(EntityFilter.parse("PER:أحمد الصالح"),)) == {"water", "rates"}  # as written
    assert ids(entities=(EntityFilter.parse("LOC:أحمد الصالح"),)) == set()  # wrong type
    assert ids(entities=(EntityFilter.parse("عمّان"),)) == {"water"}
    assert ids(entities=(EntityFilter.parse("PER:أحمد الصالح"), EntityFilter.parse("ORG:البنك المركزي"))) == {
        "rates"
    }
    week = (NOW - timedelta(days=7)).isoformat()
    assert ids(date_from=week) == {"water", "cup", "peace-new", "english"}
    assert ids(date_to=week) == {"rates", "rates-copy", "peace-old"}
    assert ids(date_from="now-30d/d", date_to="now-4d/d") == {"rates", "rates-copy", "cup"}
    assert ids(text="البنك المركزي") == {"rates", "rates-copy"}
    assert ids(text="البنك المركزي", include_duplicates=False) == {"rates"}
    assert ids(text="الفائده", topics=("economy",), sources=("petra",), languages=("ar",)) == {"rates"}


def test_facets_count_articles(es: Elasticsearch, settings: IndexerSettings) -> None:
    response = search(es, SearchRequest(size=0), index=settings.read_alias)
    assert response.total == 7
    assert response.topics == {"economy": 3, "politics": 3, "sports": 1}
    assert response.sources == {"alghad": 2, "petra": 2, "aggregator": 1, "kooora": 1, "reuters": 1}
    assert response.languages == {"ar": 6, "en": 1}
    facets = {(e.type, e.normalized, e.name, e.articles) for e in response.entities}
    assert facets == {
        ("PER", "احمد الصالح", "أحمد الصالح", 2),
        ("ORG", "البنك المركزي", "البنك المركزي", 2),
        ("LOC", "عمان", "عمّان", 1),
        ("LOC", "لبنان", "لبنان", 1),
    }
    assert response.entities[0].articles == 2
    # facets follow the query and its filters
    politics = search(es, SearchRequest(text="احمد", size=0), index=settings.read_alias)
    assert politics.topics == {"economy": 1, "politics": 1}
    assert {(e.normalized, e.articles) for e in politics.entities} == {
        ("احمد الصالح", 2),
        ("البنك المركزي", 1),
        ("عمان", 1),
    }


_EM = re.compile(r"<em>(.*?)</em>")


def _highlighted(fragment: str, original: str) -> list[str]:
    """The emphasised words, after checking the fragment is the original text with tags added."""
    assert fragment.replace("<em>", "").replace("</em>", "") in original
    return _EM.findall(fragment)


def test_highlights_wrap_the_original_arabic_surface(es: Elasticsearch, settings: IndexerSettings) -> None:
    def hit(text: str, name: str) -> dict[str, list[str]]:
        response = search(es, SearchRequest(text=text), index=settings.read_alias)
        return next(h.highlights for h in response.hits if NAMES[h.id] == name)

    h = hit("الوزاره", "water")
    assert h["title"] == ["<em>وزارة</em> الخارجية تستقبل وفداً أوروبياً لبحث ملف المياه"]
    h = hit("عمان", "water")  # matched through the clitic field, highlighted on the stored text
    (fragment,) = h["body"]
    assert _highlighted(fragment, WATER.body) == ["بعمّان"]
    assert "اليوم <em>بعمّان</em> وفداً" in fragment
    h = hit("٢٠٢٦ منحه", "water")
    assert _highlighted(h["body"][0], WATER.body) == ["منحة", "٢٠٢٦"]
    h = hit("اوروبي", "water")
    assert _highlighted(h["title"][0], WATER.title) == ["أوروبياً"]
    h = hit("بلبنان", "cup")
    assert _highlighted(h["body"][0], CUP.body) == ["لبنان"]
    h = hit("احمد", "rates")
    assert _highlighted(h["body"][0], RATES.body) == ["أحمد"]
    assert "وأكد <em>أحمد</em> الصالح" in h["body"][0]


def test_freshness_ranks_the_recent_story_first(es: Elasticsearch, settings: IndexerSettings) -> None:
    plain = found(es, settings, SearchRequest(text="مؤتمر السلام"))
    assert plain[:2] == ["peace-old", "peace-new"]  # the old one says it three times
    fresh = found(es, settings, SearchRequest(text="مؤتمر السلام", fresh=True))
    assert fresh[:2] == ["peace-new", "peace-old"]
    # The floor keeps a very old exact match in the results.
    assert "peace-old" in found(es, settings, SearchRequest(text="مؤتمر السلام", fresh=True, size=3))


def test_cli_search_prints_json(
    es: Elasticsearch,
    settings: IndexerSettings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ELASTICSEARCH_URL", settings.elasticsearch_url)
    monkeypatch.setenv("AKHBAR_INDEX_PREFIX", settings.index_prefix)
    code = indexer_main(["search", "الوزاره", "--topic", "politics", "--entity", "PER:أحمد الصالح", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total"] == 1
    assert out["hits"][0]["id"] == WATER.id
    assert out["hits"][0]["highlight"]["title"][0].startswith("<em>وزارة</em>")
    assert out["facets"]["topics"] == {"politics": 1}
    code = indexer_main(["search", "مؤتمر السلام", "--fresh", "--size", "1"])
    assert code == 0
    text = capsys.readouterr().out
    assert text.startswith("2 hits") and "مؤتمر السلام" in text and "peace-new" in text


def test_cli_search_on_a_missing_index_says_so(
    es_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ELASTICSEARCH_URL", es_url)
    assert indexer_main(["search", "خبر", "--index", f"test-missing-{uuid.uuid4().hex}"]) == 2
    err = capsys.readouterr().err
    assert "refused: elasticsearch 404 index_not_found_exception" in err and "python -m indexer run" in err


def test_search_on_a_dead_node_is_transient() -> None:
    dead = Elasticsearch("http://127.0.0.1:9", request_timeout=2, max_retries=0)
    with pytest.raises(SearchUnavailable):
        search(dead, SearchRequest(text="خبر"))


def test_akhbar_search_json_and_text(es: Elasticsearch, settings: IndexerSettings) -> None:
    from click.testing import CliRunner

    from akhbar.cli import cli

    env = {"ELASTICSEARCH_URL": settings.elasticsearch_url, "AKHBAR_INDEX_PREFIX": settings.index_prefix}
    runner = CliRunner()
    result = runner.invoke(
        cli, ["search", "الوزاره", "--topic", "politics", "--entity", "PER:أحمد الصالح", "--json"], env=env
    )
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["total"], [h["id"] for h in out["hits"]]) == (1, [WATER.id])
    assert out["hits"][0]["title"] == WATER.title
    assert out["hits"][0]["highlight"]["title"][0].startswith("<em>وزارة</em>")
    assert out["facets"]["topics"] == {"politics": 1}
    text = runner.invoke(cli, ["search", "الوزاره", "--topic", "politics", "--size", "1"], env=env)
    lines = text.stdout.splitlines()
    assert text.exit_code == 0 and lines[0].startswith("1 hits (") and lines[0].endswith(" ms) for 'الوزاره'")
    assert lines[1].startswith("  1. [") and "<em>وزارة</em>" in lines[1]
    assert lines[2].endswith(f" · politics · {WATER.url}")
    missing = f"test-missing-{uuid.uuid4().hex}"
    refused = runner.invoke(cli, ["search", "خبر", "--index", missing], env=env)
    assert refused.exit_code == 1
    assert refused.stderr.startswith(
        f"error: search on {missing} refused: elasticsearch 404 index_not_found_exception"
    )
    assert "`akhbar run indexer` creates it" in refused.stderr
