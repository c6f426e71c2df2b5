"""Arabic analysis parity: the components our index design names behave as analysis-common's.

Runs against the node the suite picked (tests/conftest.py: ``ELASTICSEARCH_URL``, testcontainers, or the local stack):
the local integ-test-zip node with our stable plugin (deploy/local/es.sh) or the official image
with analysis-common built in. Every expected token below is what Lucene's filters produce
(ArabicNormalizationFilter, ArabicStemFilter, PersianNormalizationFilter, DecimalDigitFilter,
PatternReplaceFilter/CharFilter, SetKeywordMarkerFilter, StopFilter with Lucene's Arabic
stopword set), worked out from their rules, so both nodes must give exactly these.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import ApiError, Elasticsearch

pytestmark = pytest.mark.elasticsearch


# Conjunction + preposition + article stacks, stripped only when 3+ letters remain.
STACKED_PROCLITICS = "^(?:وبال|وال|بال|فال|لل)(?=\\p{L}{3,})"

NORMALISE = ["lowercase", "decimal_digit", "arabic_normalization", "persian_normalization"]

ANALYSIS: dict[str, Any] = {
    "char_filter": {
        "t_strip_tatweel": {"type": "pattern_replace", "pattern": "\\u0640+", "replacement": ""},
    },
    "filter": {
        "t_arabic_stop": {"type": "stop", "stopwords": "_arabic_"},
        "t_strip_proclitics": {"type": "pattern_replace", "pattern": STACKED_PROCLITICS, "replacement": ""},
        "t_protect": {"type": "keyword_marker", "keywords": ["الجزيره"]},
        "t_a_to_x_first": {"type": "pattern_replace", "pattern": "a", "replacement": "x", "all": False},
        "t_a_to_x_every": {"type": "pattern_replace", "pattern": "a", "replacement": "x"},
    },
    "analyzer": {
        # The three chains of the index design, with the same component names.
        "t_exact": {"type": "custom", "tokenizer": "standard", "filter": NORMALISE},
        "t_stemmed": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": [
                "lowercase",
                "decimal_digit",
                "t_arabic_stop",
                "arabic_normalization",
                "persian_normalization",
                "arabic_stem",
            ],
        },
        "t_clitic": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": [
                "lowercase",
                "decimal_digit",
                "t_arabic_stop",
                "arabic_normalization",
                "persian_normalization",
                "t_strip_proclitics",
                "arabic_stem",
            ],
        },
        # One component at a time.
        "t_proclitics_only": {"type": "custom", "tokenizer": "standard", "filter": ["t_strip_proclitics"]},
        "t_protected": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["arabic_normalization", "t_protect", "arabic_stem"],
        },
        "t_first_only": {"type": "custom", "tokenizer": "standard", "filter": ["t_a_to_x_first"]},
        "t_every": {"type": "custom", "tokenizer": "standard", "filter": ["t_a_to_x_every"]},
        "t_tatweel": {"type": "custom", "tokenizer": "standard", "char_filter": ["t_strip_tatweel"]},
    },
}


@pytest.fixture(scope="module")
def es(es_url: str) -> Iterator[Elasticsearch]:
    """The node the suite runs against: the local stack, a given URL or the official image (conftest)."""
    client = Elasticsearch(es_url, request_timeout=30)
    # cluster.health, not info(): the integ-test-zip node has no REST root ("GET /").
    client.cluster.health(wait_for_status="yellow", timeout="30s")
    yield client
    client.close()


@pytest.fixture(scope="module")
def index(es: Elasticsearch) -> Iterator[str]:
    name = f"test-analysis-{uuid.uuid4().hex}"
    es.indices.create(index=name, settings={"number_of_replicas": 0, "analysis": ANALYSIS})
    yield name
    es.indices.delete(index=name, ignore_unavailable=True)


def analyze(es: Elasticsearch, index: str, analyzer: str, text: str) -> list[str]:
    return [t["token"] for t in es.indices.analyze(index=index, analyzer=analyzer, text=text)["tokens"]]


def test_exact_chain_normalises_spelling_digits_and_persian_letters(es: Elasticsearch, index: str) -> None:
    # hamza-on-alef forms -> bare alef, harakat dropped, alef maqsura -> yeh, teh marbuta -> heh,
    # Persian keheh/yeh -> Arabic kaf/yeh, Arabic-Indic and Persian digits -> ASCII, Latin lowercased.
    text = "أحمد إبراهيم آمال مُحَمَّد هدى مدرسة کتاب یک ٢٠٢٦ ۱۴۰۵ CNN"
    assert analyze(es, index, "t_exact", text) == [
        "احمد",
        "ابراهيم",
        "امال",
        "محمد",
        "هدي",
        "مدرسه",
        "كتاب",
        "يك",
        "2026",
        "1405",
        "cnn",
    ]


def test_stemmer_conflates_article_and_teh_marbuta_spellings(es: Elasticsearch, index: str) -> None:
    # الوزارة and الوزاره share one stem. A bare وزارة does not: Lucene's light stemmer reads a
    # leading waw as the conjunction "and" whenever 4+ letters remain, so وزاره -> زاره -> زار.
    assert analyze(es, index, "t_stemmed", "الوزارة الوزاره وزارة") == ["وزار", "وزار", "زار"]


def test_stemmer_strips_one_prefix_so_stacked_proclitics_need_pattern_replace(
    es: Elasticsearch,
    index: str,
) -> None:
    # arabic_stem removes a single prefix (here the waw), leaving بال on the word ...
    assert analyze(es, index, "t_stemmed", "وبالمدينة") == ["بالمدين"]
    # ... while the clitic chain strips the whole وبال stack before stemming.
    assert analyze(es, index, "t_clitic", "وبالمدينة") == ["مدين"]


def test_pattern_replace_uses_java_regex_lookahead(es: Elasticsearch, index: str) -> None:
    # The lookahead keeps the stack when fewer than three letters would remain (بالي, فالحل).
    assert analyze(es, index, "t_proclitics_only", "وبالمدينة والكتاب للبيت بالي فالحل") == [
        "مدينة",
        "كتاب",
        "بيت",
        "بالي",
        "فالحل",
    ]


def test_pattern_replace_all_defaults_to_every_match(es: Elasticsearch, index: str) -> None:
    assert analyze(es, index, "t_every", "banana") == ["bxnxnx"]
    assert analyze(es, index, "t_first_only", "banana") == ["bxnana"]


def test_keyword_marker_protects_listed_word_from_stemming(es: Elasticsearch, index: str) -> None:
    assert analyze(es, index, "t_stemmed", "الجزيرة المدرسة") == ["جزير", "مدرس"]
    assert analyze(es, index, "t_protected", "الجزيرة المدرسة") == ["الجزيره", "مدرس"]


def test_arabic_stopwords_are_removed_leaving_position_gaps(es: Elasticsearch, index: str) -> None:
    tokens = es.indices.analyze(index=index, analyzer="t_stemmed", text="في البيت من")["tokens"]
    found = [(t["token"], t["position"], t["start_offset"], t["end_offset"]) for t in tokens]
    assert found == [("بيت", 1, 3, 8)]


def test_char_filter_strips_tatweel_and_keeps_original_offsets(es: Elasticsearch, index: str) -> None:
    tokens = es.indices.analyze(index=index, analyzer="t_tatweel", text="مــصر اليــوم")["tokens"]
    found = [(t["token"], t["start_offset"], t["end_offset"]) for t in tokens]
    assert found == [("مصر", 0, 5), ("اليوم", 6, 13)]


def test_search_matches_across_spellings_through_the_index(es: Elasticsearch, index: str) -> None:
    es.indices.put_mapping(index=index, properties={"body": {"type": "text", "analyzer": "t_stemmed"}})
    es.index(index=index, id="1", document={"body": "استقبل أحمد وفد الوزارة عام ٢٠٢٦"}, refresh=True)
    for query in ("الوزاره", "احمد", "2026"):
        hits = es.search(index=index, query={"match": {"body": query}})["hits"]["total"]["value"]
        assert hits == 1, query


def test_pattern_replace_without_pattern_is_rejected(es: Elasticsearch) -> None:
    name = f"test-analysis-{uuid.uuid4().hex}"
    broken = {
        "analysis": {
            "filter": {"broken": {"type": "pattern_replace"}},
            "analyzer": {"a": {"tokenizer": "standard", "filter": ["broken"]}},
        }
    }
    with pytest.raises(ApiError) as raised:
        es.indices.create(index=name, settings=broken)
    assert "pattern is missing" in json.dumps(raised.value.body)
    es.indices.delete(index=name, ignore_unavailable=True)


def test_index_design_analyzers_fold_spelling_variants(es: Elasticsearch) -> None:
    """The real template's three analyzers (services/indexer/index_design.py), component by component."""
    from indexer.index_design import ANALYSIS as DESIGN

    name = f"test-analysis-{uuid.uuid4().hex}"
    es.indices.create(index=name, settings={"number_of_replicas": 0, "analysis": DESIGN})
    try:
        # hamza carriers (ئ ؤ) folded like akhbar.arabic.normalize_arabic; tanwin alef dropped;
        # a right-to-left mark and a zero-width non-joiner pasted into words are ignored.
        text = "جائزة مسؤول وفداً أحمد\u200f وزا\u200cرة"
        assert analyze(es, name, "akhbar_arabic_exact", text) == ["جايزه", "مسوول", "وفد", "احمد", "وزاره"]
        assert analyze(es, name, "akhbar_arabic", text) == ["جايز", "مسوول", "وفد", "احمد", "زار"]
        assert analyze(es, name, "akhbar_arabic", "جايزة مسوول وفد") == ["جايز", "مسوول", "وفد"]
        # the clitic field strips stacks and one proclitic letter, so بعمّان, الوزارة and وزارة meet
        assert analyze(es, name, "akhbar_arabic_clitic", "بعمّان عمان الوزارة وزارة وبالمدينة للمنتخب") == [
            "عم",
            "عم",
            "زار",
            "زار",
            "مدين",
            "منتخب",
        ]
        tokens = es.indices.analyze(index=name, analyzer="akhbar_arabic", text="في \u200fبعمّان")["tokens"]
        assert [(t["token"], t["start_offset"], t["end_offset"]) for t in tokens] == [("بعم", 4, 10)]
    finally:
        es.indices.delete(index=name, ignore_unavailable=True)
