"""The Elasticsearch index design: analysis chain, mappings, templates and aliases.

One template serves the local stack (analysis-common components supplied by our
plugin) and the official image (analysis-common built in). Only built-in
component *names* appear here, so the same JSON works on both; never install the
plugin on the official image.

Layout: component templates ``<prefix>-settings`` and ``<prefix>-mappings``, an
index template matching ``<prefix>-v*``, versioned indices ``<prefix>-v1``,
``-v2`` … behind a read alias ``<prefix>`` and a write alias ``<prefix>-write``.
"""

from __future__ import annotations

from typing import Any

# 2: invisible characters stripped, tanwin alef dropped, hamza carriers folded (ئ → ي, ؤ → و),
# offsets on the clitic sub-fields (highlighting); a new index version
# (``python -m indexer reindex``) is needed for existing indices to pick it up.
DESIGN_VERSION = 2

# Proclitic stacks (conjunction + preposition + article) and the bare article,
# stripped only when at least two letters remain.
STACKED_PREFIXES = "^(?:وبال|وكال|وفال|فبال|فكال|ولل|فلل|وال|فال|بال|كال|لل|ال)(?=\\p{L}{2,})"
# One proclitic letter (and, so, by/with, for/to, like), stripped only when 3+ letters remain.
SINGLE_PROCLITIC = "^[وفبلك](?=\\p{L}{3,})"
# Characters with no letter value that break token equality when pasted into text or queries:
# zero-width (non-)joiners and spaces, bidi marks and embeddings (RLM, ALM, LRE … PDI), BOM, soft hyphen.
INVISIBLE = "[\\u00ad\\u061c\\u200b-\\u200f\\u202a-\\u202e\\u2066-\\u2069\\ufeff]+"

# Components every analyzer below relies on; the local stack checks each of them.
REQUIRED_COMPONENTS = {
    "tokenizer": ["standard"],
    "char_filter": ["pattern_replace"],
    "filter": [
        "lowercase",
        "decimal_digit",
        "stop",
        "arabic_normalization",
        "persian_normalization",
        "arabic_stem",
        "pattern_replace",
    ],
}

# The accusative tanwin written with its alef (وفداً, وفدًا): the case ending, not part of the word.
# Matched before arabic_normalization drops the fathatan; bare alef endings (سوريا) are left alone.
TANWIN_ALEF = "(?<=\\p{L}{2})(?:\\u064b\\u0627|\\u0627\\u064b)$"

# Shared normalisation, in order: case, digits, then letter forms. arabic_normalization folds
# alef forms (أ إ آ → ا), ى → ي, ة → ه and drops harakat and tatweel; the two hamza filters fold
# the carriers it leaves (ئ → ي, ؤ → و) exactly as akhbar.arabic.normalize_arabic does, so a
# query typed without hamza (جايزة, مسوول) finds the written form (جائزة, مسؤول).
_NORMALISE = [
    "akhbar_strip_tanwin_alef",
    "arabic_normalization",
    "akhbar_hamza_on_yeh",
    "akhbar_hamza_on_waw",
    "persian_normalization",
]

ANALYSIS: dict[str, Any] = {
    "char_filter": {
        "akhbar_strip_invisible": {"type": "pattern_replace", "pattern": INVISIBLE, "replacement": ""},
    },
    "filter": {
        "akhbar_arabic_stop": {"type": "stop", "stopwords": "_arabic_"},
        "akhbar_strip_tanwin_alef": {"type": "pattern_replace", "pattern": TANWIN_ALEF, "replacement": ""},
        "akhbar_hamza_on_yeh": {"type": "pattern_replace", "pattern": "ئ", "replacement": "ي"},
        "akhbar_hamza_on_waw": {"type": "pattern_replace", "pattern": "ؤ", "replacement": "و"},
        "akhbar_strip_stacked_prefixes": {
            "type": "pattern_replace",
            "pattern": STACKED_PREFIXES,
            "replacement": "",
        },
        "akhbar_strip_proclitic": {"type": "pattern_replace", "pattern": SINGLE_PROCLITIC, "replacement": ""},
    },
    "analyzer": {
        # Main field: normalisation + light stemming + stopwords + digit folding.
        "akhbar_arabic": {
            "type": "custom",
            "char_filter": ["akhbar_strip_invisible"],
            "tokenizer": "standard",
            "filter": ["lowercase", "decimal_digit", "akhbar_arabic_stop", *_NORMALISE, "arabic_stem"],
        },
        # Exact sub-field: normalised spelling, no stemming, no stopwords (phrases, names).
        "akhbar_arabic_exact": {
            "type": "custom",
            "char_filter": ["akhbar_strip_invisible"],
            "tokenizer": "standard",
            "filter": ["lowercase", "decimal_digit", *_NORMALISE],
        },
        # Clitic-aware sub-field: also strips stacked and single-letter proclitics.
        "akhbar_arabic_clitic": {
            "type": "custom",
            "char_filter": ["akhbar_strip_invisible"],
            "tokenizer": "standard",
            "filter": [
                "lowercase",
                "decimal_digit",
                "akhbar_arabic_stop",
                *_NORMALISE,
                "akhbar_strip_stacked_prefixes",
                "akhbar_strip_proclitic",
                "arabic_stem",
            ],
        },
    },
}


def _arabic_text(*, keyword: bool = False) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "exact": {"type": "text", "analyzer": "akhbar_arabic_exact", "index_options": "offsets"},
        "clitic": {"type": "text", "analyzer": "akhbar_arabic_clitic", "index_options": "offsets"},
    }
    if keyword:
        fields["keyword"] = {"type": "keyword", "ignore_above": 512}
    return {"type": "text", "analyzer": "akhbar_arabic", "index_options": "offsets", "fields": fields}


_LANGUAGE = {
    "properties": {
        "code": {"type": "keyword"},
        "script": {"type": "keyword"},
        "confidence": {"type": "float"},
    }
}

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "schema_version": {"type": "integer"},
        "id": {"type": "keyword"},
        "url": {"type": "keyword"},
        "fetched_url": {"type": "keyword", "index": False},
        "source": {"type": "keyword"},
        "title": _arabic_text(keyword=True),
        "body": _arabic_text(),
        "byline": {
            "type": "text",
            "analyzer": "akhbar_arabic_exact",
            "fields": {"keyword": {"type": "keyword", "ignore_above": 256}},
        },
        "published_at": {"type": "date"},
        "date_source": {"type": "keyword"},
        "updated_at": {"type": "date"},
        "lead_image": {"type": "keyword", "index": False},
        "tags": {"type": "keyword"},
        "section": {"type": "keyword"},
        "language_hint": {"type": "keyword"},
        "is_aggregator": {"type": "boolean"},
        "provenance": {
            "properties": {
                "original_source": {"type": "keyword"},
                "original_title": {"type": "text", "analyzer": "akhbar_arabic"},
                "original_date": {"type": "date"},
                "original_url": {"type": "keyword"},
            }
        },
        "content_hash": {"type": "keyword"},
        "simhash": {"type": "keyword"},
        "duplicate_of": {"type": "keyword"},
        "fetched_at": {"type": "date"},
        "first_seen_at": {"type": "date"},
        "copies": {
            "properties": {
                "url": {"type": "keyword"},
                "source": {"type": "keyword"},
                "seen_at": {"type": "date"},
            }
        },
        "copy_count": {"type": "integer"},
        "truncated": {"type": "boolean"},
        "original_body_chars": {"type": "integer"},
        "revision": {"type": "long"},
        "language": _LANGUAGE,
        "title_language": _LANGUAGE,
        "entities": {
            "type": "nested",
            "properties": {
                "type": {"type": "keyword"},
                "name": {"type": "keyword"},
                "normalized": {"type": "keyword"},
                "count": {"type": "integer"},
                "confidence": {"type": "float"},
                "key": {"type": "keyword"},
                "iso": {"type": "keyword"},
            },
        },
        "entity_keys": {"type": "keyword", "doc_values": True},
        "entity_iso": {"type": "keyword"},
        "topics": {
            "properties": {
                "code": {"type": "keyword"},
                "label": {"type": "keyword"},
                "score": {"type": "float"},
                "evidence": {"type": "keyword"},
            }
        },
        "topic_codes": {"type": "keyword"},
        "mentions": {"type": "object", "enabled": False},
        "model_versions": {"type": "object", "dynamic": True},
        "indexed_at": {"type": "date"},
        # stories (D17): the story joined, and the fingerprint later articles are compared with
        "story_id": {"type": "keyword"},
        "story_terms": {"type": "keyword"},  # title + lead terms: what candidate retrieval matches
        "story_title_terms": {"type": "keyword", "index": False},  # read back as doc values
        "story_names": {"type": "keyword", "index": False},  # the words of the entities' names
        "story_time": {"type": "date"},
    },
    "dynamic_templates": [
        {"model_versions": {"path_match": "model_versions.*", "mapping": {"type": "keyword"}}}
    ],
}


# Fields added to MAPPINGS after an index version was created: put on existing indices at start
# (adding a field is allowed in place; changing one needs a new index version).
ADDED_FIELDS = (
    "truncated",
    "original_body_chars",
    "first_seen_at",
    "copies",
    "copy_count",
    "entities",  # gained key and iso (D20); a nested object takes new properties in place
    "entity_iso",
    "story_id",
    "story_terms",
    "story_time",
    "story_title_terms",
    "story_names",
)


def added_properties() -> dict[str, Any]:
    return {name: MAPPINGS["properties"][name] for name in ADDED_FIELDS}


def settings_component(*, shards: int, replicas: int, refresh_interval: str) -> dict[str, Any]:
    """Operational settings, tuned per deployment."""
    return {
        "template": {
            "settings": {
                "index": {
                    "number_of_shards": shards,
                    "number_of_replicas": replicas,
                    "refresh_interval": refresh_interval,
                }
            }
        },
        "_meta": {
            "description": "Akhbar articles: shard and refresh settings",
            "design_version": DESIGN_VERSION,
        },
    }


def mappings_component() -> dict[str, Any]:
    """Mappings together with the analysis they reference (ES validates a component on its own)."""
    return {
        "template": {"settings": {"analysis": ANALYSIS}, "mappings": MAPPINGS},
        "_meta": {
            "description": "Akhbar articles: Arabic analysis and field mappings",
            "design_version": DESIGN_VERSION,
        },
    }
