"""Pure enrichment: exact fields, valid offsets, byte-identical replays."""

from __future__ import annotations

from akhbar.messages import encode
from enricher.enrich import ArticleEnricher, artifact_version
from enricher.ner import DEFAULT_MODEL_DIR, RULES_VERSION

from .test_enricher_agent import raw_article


def test_replay_is_byte_identical() -> None:
    enricher = ArticleEnricher.load()
    raw = raw_article()
    assert encode(enricher.enrich(raw)) == encode(ArticleEnricher.load().enrich(raw))


def test_mentions_point_into_their_field() -> None:
    raw = raw_article()
    enriched = ArticleEnricher.load().enrich(raw)
    assert enriched.mentions, "the article names people, places and organisations"
    for m in enriched.mentions:
        text = raw.title if m.field == "title" else raw.body
        assert text[m.start : m.end] == m.text
    counts = {(e.type, e.normalized): e.count for e in enriched.entities}
    assert sum(counts.values()) == len(enriched.mentions)


def test_model_versions_are_content_hashes() -> None:
    enriched = ArticleEnricher.load().enrich(raw_article())
    assert enriched.model_versions["ner"] == f"{artifact_version(DEFAULT_MODEL_DIR)}+rules-{RULES_VERSION}"
    assert len(enriched.model_versions["topics"]) == 12
    assert enriched.model_versions["language"].startswith("lingua-")


def test_title_and_body_languages_are_detected_separately() -> None:
    raw = raw_article().model_copy(
        update={"title": "Jordan's foreign minister receives his French counterpart"}
    )
    enriched = ArticleEnricher.load().enrich(raw)
    assert enriched.language.code == "ar"
    assert enriched.title_language is not None and enriched.title_language.code == "en"
