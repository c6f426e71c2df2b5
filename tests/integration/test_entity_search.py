"""Canonical entities (D20) on a real node: an index made before them gains ``entities.key``/``iso``
and ``entity_iso`` in place; a variant spelling finds the canonical key; facets count one person once.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from elasticsearch import Elasticsearch, helpers

from akhbar.messages import EnrichedArticle, EntitySummary, LanguageGuess, article_id
from indexer import index_design
from indexer.documents import to_action
from indexer.index_admin import ensure_index
from indexer.search import EntityFilter, SearchRequest, search
from indexer.settings import IndexerSettings

pytestmark = pytest.mark.elasticsearch

NOW = datetime.now(UTC).replace(microsecond=0)
AR = LanguageGuess(code="ar", script="Arab", confidence=0.99)
# as the enricher writes them: the article's spelling in name/normalized, the canonical key beside
TRUMP = EntitySummary(
    type="PER",
    name="دونالد ترامب",
    normalized="دونالد ترامب",
    count=3,
    confidence=0.9,
    key="PER:دونالد ترامب",
)
TRUMP_SPELLED_TRMB = EntitySummary(
    type="PER", name="دونالد ترامب", normalized="ترمب", count=1, confidence=0.9, key="PER:دونالد ترامب"
)
SYRIA = EntitySummary(
    type="LOC", name="سوريا", normalized="سورية", count=1, confidence=0.9, key="LOC:سوريا", iso="SY"
)
# enriched before D20: no key, no iso (the indexer keys it TYPE:normalized)
OLD_STYLE = EntitySummary(type="PER", name="ترامب", normalized="ترامب", count=1, confidence=0.9)


def _article(key: str, title: str, entities: list[EntitySummary]) -> EnrichedArticle:
    url = f"https://news.example.org/{key}"
    return EnrichedArticle(
        id=article_id(url),
        url=url,
        source="s",
        title=title,
        body=title,
        published_at=NOW,
        fetched_at=NOW,
        revision=1,
        language=AR,
        entities=entities,
    )


A = _article("a", "ترامب يتحدث عن سوريا", [TRUMP, SYRIA])
B = _article("b", "ترمب في البيت الأبيض", [TRUMP_SPELLED_TRMB])
C = _article("c", "مقال قديم عن ترامب", [OLD_STYLE])
NAMES = {a.id: a.url.rsplit("/", 1)[1] for a in (A, B, C)}


@pytest.fixture(scope="module")
def settings(es_url: str) -> IndexerSettings:
    return IndexerSettings(elasticsearch_url=es_url, index_prefix=f"test-entities-{uuid.uuid4().hex[:12]}")


@pytest.fixture(scope="module")
def es(settings: IndexerSettings) -> Iterator[Elasticsearch]:
    client = Elasticsearch(settings.elasticsearch_url, request_timeout=30)
    # an index of the mapping before D20 (entities without key/iso, no entity_iso) ...
    old = copy.deepcopy(index_design.MAPPINGS)
    del old["properties"]["entities"]["properties"]["key"], old["properties"]["entities"]["properties"]["iso"]
    del old["properties"]["entity_iso"]
    # (made before the templates exist, or the template's new fields would be merged in)
    client.indices.create(
        index=f"{settings.index_prefix}-v1",
        settings={"analysis": index_design.ANALYSIS},
        mappings=old,
        aliases={settings.read_alias: {}, settings.write_alias: {"is_write_index": True}},
    )
    assert (
        "key"
        not in client.indices.get_mapping(index=settings.write_alias).body[f"{settings.index_prefix}-v1"][
            "mappings"
        ]["properties"]["entities"]["properties"]
    )
    # ... which ensure_index brings up to date in place
    ensure_index(client, settings)
    ok, errors = helpers.bulk(
        client, [to_action(a, index=settings.write_alias) for a in (A, B, C)], refresh=True
    )
    assert (ok, errors) == (3, [])
    yield client
    for name in client.indices.get(index=f"{settings.index_prefix}-v*"):
        client.indices.delete(index=name)
    client.indices.delete_index_template(name=settings.index_prefix)
    for part in ("settings", "mappings"):
        client.cluster.delete_component_template(name=f"{settings.index_prefix}-{part}")
    client.close()


def test_an_existing_index_gains_the_canonical_fields(es: Elasticsearch, settings: IndexerSettings) -> None:
    (mapping,) = es.indices.get_mapping(index=settings.write_alias).body.values()
    props = mapping["mappings"]["properties"]
    assert props["entities"]["properties"]["key"] == {"type": "keyword"}
    assert props["entities"]["properties"]["iso"] == {"type": "keyword"}
    assert props["entity_iso"] == {"type": "keyword"}
    source = es.get(index=settings.read_alias, id=A.id)["_source"]
    assert source["entity_keys"] == ["LOC:سوريا", "PER:دونالد ترامب"]
    assert source["entity_iso"] == ["SY"]
    assert es.get(index=settings.read_alias, id=C.id)["_source"]["entity_keys"] == ["PER:ترامب"]


def _found(es: Elasticsearch, settings: IndexerSettings, spec: str) -> set[str]:
    request = SearchRequest(entities=(EntityFilter.parse(spec),), facets=False, highlight=False)
    return {NAMES[h.id] for h in search(es, request, index=settings.read_alias).hits}


def test_a_variant_spelling_finds_the_canonical_key(es: Elasticsearch, settings: IndexerSettings) -> None:
    # A never spells it ترمب: only the canonical key finds it
    assert _found(es, settings, "PER:ترمب") == {"a", "b"}
    assert _found(es, settings, "PER:دونالد ترامب") == {"a", "b"}
    # C, enriched before D20 (keyed by its own spelling), is still found by that spelling
    assert _found(es, settings, "PER:ترامب") == {"a", "b", "c"}
    assert _found(es, settings, "LOC:سورية") == {"a"}
    assert _found(es, settings, "سوريا") == {"a"}


def test_iso_filter_and_facets_count_one_person_once(es: Elasticsearch, settings: IndexerSettings) -> None:
    hits = es.search(index=settings.read_alias, query={"term": {"entity_iso": "SY"}})["hits"]["hits"]
    assert [NAMES[h["_id"]] for h in hits] == ["a"]
    response = search(es, SearchRequest(size=0), index=settings.read_alias)
    facets = {(e.key, e.name, e.articles) for e in response.entities}
    assert facets == {
        ("PER:دونالد ترامب", "دونالد ترامب", 2),
        ("LOC:سوريا", "سوريا", 1),
        ("PER:ترامب", "ترامب", 1),
    }
