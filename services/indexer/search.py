"""Search for downstream apps: a pure query builder and a thin executor.

:func:`build_query` turns a :class:`SearchRequest` into an Elasticsearch search body and does
no I/O, so its output can be asserted exactly, logged, or copied into another client.
:func:`search` sends that body to the read alias and flattens the answer into a
:class:`SearchResponse`. docs/search.md shows the same bodies as copy-paste query DSL.

Free text is matched four ways at once, each clause scoring on its own (``bool.should``):

- ``title`` / ``body`` (``akhbar_arabic``: normalised, Arabic stopwords, light stem): the base;
- ``*.clitic`` (single-letter and stacked proclitics stripped too) for بعمّان ↔ عمان;
- the two *crossed* pairings (clitic-analysed query on the stemmed fields, stemmed query on the
  clitic fields): a word whose first letter is ب/ل/ك/ف/و of its own (لبنان, كتاب) loses it in the
  clitic field when bare but not when prefixed (بلبنان), and crossing the analyzers matches those
  two, with no extra field to index;
- ``*.exact`` phrase (normalised surface, no stem, slop 2): the original wording ranks first.

Titles weigh three times the body. ``fresh`` wraps the query in a ``function_score`` whose
gauss decay on ``published_at`` (``fetched_at`` when undated) multiplies relevance by
``floor + (1 - floor) * decay``: new stories rise, an old exact match is never zeroed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch import ConnectionError as ESConnectionError

from akhbar.arabic import normalize_arabic
from akhbar.errors import AkhbarError, SearchUnavailable
from akhbar.es import TRANSIENT_STATUS

ENTITY_TYPES = ("PER", "LOC", "ORG", "MISC")


class SearchRejected(AkhbarError):
    """Elasticsearch refused the search itself (no such index or alias, a malformed request)."""

    def __init__(self, status: int, error_type: str, reason: str) -> None:
        super().__init__(f"elasticsearch {status} {error_type}: {reason}")
        self.status, self.error_type, self.reason = status, error_type, reason


# Field boosts for free text. Titles are short and name the story: they weigh more.
TITLE_BOOST = 3.0
CLITIC_WEIGHT = 0.6  # a proclitic-stripped match is a weaker signal than a stemmed one
CROSS_WEIGHT = 0.4  # crossed analyzers: the weakest evidence, still decisive when nothing else matches
PHRASE_WEIGHT = 1.5
# Every word but one must match, in one of the clauses: a typo or a stray word is forgiven.
MINIMUM_SHOULD_MATCH = "-1"


@dataclass(frozen=True, slots=True)
class EntityFilter:
    """An entity a hit must mention: ``PER:أحمد الصالح`` (type optional: ``:name`` or ``name``)."""

    name: str
    type: str | None = None

    @classmethod
    def parse(cls, spec: str) -> EntityFilter:
        head, sep, tail = spec.partition(":")
        if sep and head.upper() in ENTITY_TYPES:
            return cls(name=tail.strip(), type=head.upper())
        if sep and not head:
            return cls(name=tail.strip())
        return cls(name=spec.strip())

    @property
    def normalized(self) -> str:
        """The enricher's normal form (``normalize_arabic`` keeping ة), as stored in ``normalized``."""
        return normalize_arabic(self.name, ta_marbuta=False)

    @property
    def keys(self) -> list[str]:
        """Canonical keys the name resolves to through the enricher's alias table (D20): ``PER:ترمب``
        → ``PER:دونالد ترامب``; without a type, every type's reading. Empty for an unknown name."""
        from enricher.entities import default_table  # the one table; loaded on first use

        table = default_table()
        found = [table.lookup(self.type, self.name)] if self.type else table.lookup_any(self.name)
        return sorted({c.key for c in found if c is not None})


@dataclass(frozen=True, slots=True)
class FreshnessDecay:
    """Gauss decay on the publication date: ``scale`` away from ``offset``, the factor is ``decay``."""

    scale: str = "7d"
    offset: str = "1d"
    decay: float = 0.5
    floor: float = 0.3  # an old story keeps this share of its relevance
    origin: str = "now"


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """What a downstream app asks for. Every filter is optional; no text means newest first."""

    text: str = ""
    topics: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    entities: tuple[EntityFilter, ...] = ()
    languages: tuple[str, ...] = ()
    date_from: date | datetime | str | None = None
    date_to: date | datetime | str | None = None
    fresh: bool = False
    freshness: FreshnessDecay = field(default_factory=FreshnessDecay)
    size: int = 10
    offset: int = 0
    facets: bool = True
    facet_size: int = 10
    highlight: bool = True
    include_duplicates: bool = True
    collapse_stories: bool = False  # one hit per story (the best), with how many of its articles match
    story: str | None = None  # only this story's articles, first seen first
    story_hits: int = 3  # collapsed: other articles of each story shown under its hit


SOURCE_FIELDS = [
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
]


def _date(value: date | datetime | str) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else value


def text_query(text: str) -> dict[str, Any]:
    """The free-text part alone (no filters): a ``bool`` of scoring clauses, one of which must match."""
    title, body = f"title^{TITLE_BOOST:g}", "body"
    clitic = [f"title.clitic^{TITLE_BOOST * CLITIC_WEIGHT:g}", f"body.clitic^{CLITIC_WEIGHT:g}"]
    cross_clitic = [f"title.clitic^{TITLE_BOOST * CROSS_WEIGHT:g}", f"body.clitic^{CROSS_WEIGHT:g}"]
    cross_stem = [f"title^{TITLE_BOOST * CROSS_WEIGHT:g}", f"body^{CROSS_WEIGHT:g}"]

    def multi(fields: list[str], **extra: Any) -> dict[str, Any]:
        return {
            "multi_match": {
                "query": text,
                "type": "best_fields",
                "fields": fields,
                "tie_breaker": 0.3,
                "minimum_should_match": MINIMUM_SHOULD_MATCH,
                **extra,
            }
        }

    return {
        "bool": {
            "should": [
                multi([title, body]),
                multi(clitic),
                multi(cross_clitic, analyzer="akhbar_arabic"),
                multi(cross_stem, analyzer="akhbar_arabic_clitic"),
                {
                    "multi_match": {
                        "query": text,
                        "type": "phrase",
                        "fields": [
                            f"title.exact^{TITLE_BOOST * PHRASE_WEIGHT:g}",
                            f"body.exact^{PHRASE_WEIGHT:g}",
                        ],
                        "slop": 2,
                    }
                },
            ],
            "minimum_should_match": 1,
        }
    }


def filters(request: SearchRequest) -> list[dict[str, Any]]:
    """Non-scoring filters, in a fixed order: topic, source, language, dates, entities, duplicates."""
    out: list[dict[str, Any]] = []
    if request.topics:
        out.append({"terms": {"topic_codes": list(request.topics)}})
    if request.sources:
        out.append(
            {
                "bool": {
                    "should": [
                        {"terms": {"source": list(request.sources)}},
                        {"terms": {"provenance.original_source": list(request.sources)}},
                    ],
                    "minimum_should_match": 1,
                }
            }
        )
    if request.languages:
        out.append({"terms": {"language.code": list(request.languages)}})
    if request.date_from is not None or request.date_to is not None:
        bounds: dict[str, str] = {}
        if request.date_from is not None:
            bounds["gte"] = _date(request.date_from)
        if request.date_to is not None:
            bounds["lte"] = _date(request.date_to)
        out.append({"range": {"published_at": bounds}})
    for entity in request.entities:
        names = sorted({entity.name, entity.normalized})
        keys = entity.keys
        must: list[dict[str, Any]] = [
            {
                "bool": {
                    "should": [
                        *([{"terms": {"entities.key": keys}}] if keys else []),
                        {"terms": {"entities.normalized": names}},
                        {"terms": {"entities.name": names}},
                    ],
                    "minimum_should_match": 1,
                }
            }
        ]
        if entity.type:
            must.insert(0, {"term": {"entities.type": entity.type}})
        out.append({"nested": {"path": "entities", "query": {"bool": {"filter": must}}}})
    if not request.include_duplicates:
        out.append({"bool": {"must_not": [{"exists": {"field": "duplicate_of"}}]}})
    if request.story is not None:
        out.append({"term": {"story_id": request.story}})
    return out


def freshness_functions(decay: FreshnessDecay) -> list[dict[str, Any]]:
    """Sum of: gauss on published_at (or fetched_at when undated) weighted ``1 - floor``, plus ``floor``."""
    gauss = {"origin": decay.origin, "scale": decay.scale, "offset": decay.offset, "decay": decay.decay}
    weight = round(1.0 - decay.floor, 6)
    return [
        {"filter": {"exists": {"field": "published_at"}}, "gauss": {"published_at": gauss}, "weight": weight},
        {
            "filter": {"bool": {"must_not": [{"exists": {"field": "published_at"}}]}},
            "gauss": {"fetched_at": gauss},
            "weight": weight,
        },
        {"weight": decay.floor},
    ]


def aggregations(size: int) -> dict[str, Any]:
    """Facets: topics, sources, languages and the top entities (nested, counted per article).

    Core aggregations only (the local node has no x-pack analytics, so no ``multi_terms``):
    entities are bucketed by canonical key (``TYPE:form``, D20: every spelling of one person is
    one bucket), with their commonest surface name.
    """
    return {
        "topics": {"terms": {"field": "topic_codes", "size": size}},
        "sources": {"terms": {"field": "source", "size": size}},
        "languages": {"terms": {"field": "language.code", "size": size}},
        "entities": {
            "nested": {"path": "entities"},
            "aggs": {
                "top": {
                    "terms": {"field": "entities.key", "size": size},
                    "aggs": {
                        "articles": {"reverse_nested": {}},
                        "name": {"terms": {"field": "entities.name", "size": 1}},
                    },
                }
            },
        },
    }


HIGHLIGHT: dict[str, Any] = {
    "type": "unified",
    "pre_tags": ["<em>"],
    "post_tags": ["</em>"],
    "encoder": "default",
    "fields": {
        "title": {
            "matched_fields": ["title", "title.exact", "title.clitic"],
            "number_of_fragments": 0,
        },
        "body": {
            "matched_fields": ["body", "body.exact", "body.clitic"],
            "fragment_size": 160,
            "number_of_fragments": 3,
            "no_match_size": 160,
        },
    },
}


def build_query(request: SearchRequest) -> dict[str, Any]:
    """The search body for ``request``. Pure: same request, same dict."""
    text = request.text.strip()
    scoring: dict[str, Any] = text_query(text) if text else {"match_all": {}}
    query: dict[str, Any] = {"bool": {"must": [scoring], "filter": filters(request)}}
    if request.fresh:
        query = {
            "function_score": {
                "query": query,
                "functions": freshness_functions(request.freshness),
                "score_mode": "sum",
                "boost_mode": "multiply",
            }
        }
    body: dict[str, Any] = {
        "query": query,
        "size": request.size,
        "from": request.offset,
        "track_total_hits": True,
        "_source": SOURCE_FIELDS,
    }
    if request.story is not None:  # all coverage of one story, as it came in
        body["sort"] = [{"story_time": {"order": "asc", "missing": "_last"}}, {"id": "asc"}]
    elif not text and not request.fresh:
        body["sort"] = [{"published_at": {"order": "desc", "missing": "_last"}}, {"fetched_at": "desc"}]
    if request.collapse_stories:
        body["collapse"] = story_collapse(request.story_hits)
        body["aggs"] = {"stories": {"cardinality": {"field": "story_id"}}}
    if request.facets:
        body["aggs"] = {**body.get("aggs", {}), **aggregations(request.facet_size)}
    if request.highlight and text:
        body["highlight"] = HIGHLIGHT
    return body


def story_collapse(size: int) -> dict[str, Any]:
    """One hit per ``story_id``; ``inner_hits`` counts the story's matching articles and shows
    ``size`` more of them, first seen first. Articles indexed before stories existed have no
    ``story_id`` and collapse into one group of their own."""
    return {
        "field": "story_id",
        "inner_hits": {
            "name": "story",
            "size": size,
            "sort": [{"story_time": {"order": "asc", "missing": "_last"}}],
            "_source": ["id", "title", "source", "url", "first_seen_at"],
        },
    }


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    score: float | None
    source: dict[str, Any]
    highlights: dict[str, list[str]]
    story_size: int | None = None  # collapsed: how many of the story's articles match
    story_articles: tuple[dict[str, Any], ...] = ()  # collapsed: the first of them, first seen first

    @property
    def title(self) -> str:
        return str(self.source.get("title", ""))


@dataclass(frozen=True, slots=True)
class EntityFacet:
    type: str
    normalized: str  # the canonical key's form (after ``TYPE:``)
    name: str
    articles: int

    @property
    def key(self) -> str:
        return f"{self.type}:{self.normalized}"


@dataclass(frozen=True, slots=True)
class SearchResponse:
    total: int
    hits: list[Hit]
    topics: dict[str, int]
    sources: dict[str, int]
    languages: dict[str, int]
    entities: list[EntityFacet]
    took_ms: int
    stories: int | None = None  # collapsed: distinct stories among all matches

    def to_json(self) -> dict[str, Any]:
        hits = []
        for h in self.hits:
            hit = {"id": h.id, "score": h.score, **h.source, "highlight": h.highlights}
            if h.story_size is not None:
                hit["story_size"] = h.story_size
                hit["story_articles"] = list(h.story_articles)
            hits.append(hit)
        out = {
            "total": self.total,
            "took_ms": self.took_ms,
            "hits": hits,
            "facets": {
                "topics": self.topics,
                "sources": self.sources,
                "languages": self.languages,
                "entities": [
                    {
                        "type": e.type,
                        "key": e.key,
                        "normalized": e.normalized,
                        "name": e.name,
                        "articles": e.articles,
                    }
                    for e in self.entities
                ],
            },
        }
        if self.stories is not None:
            out["stories"] = self.stories
        return out


def _buckets(aggs: dict[str, Any], name: str) -> dict[str, int]:
    return {str(b["key"]): int(b["doc_count"]) for b in aggs.get(name, {}).get("buckets", [])}


def parse_response(raw: dict[str, Any]) -> SearchResponse:
    """Flatten an ES answer to :func:`build_query`'s body."""
    aggs = raw.get("aggregations", {})
    entities = []
    for b in aggs.get("entities", {}).get("top", {}).get("buckets", []):
        names = b.get("name", {}).get("buckets", [])
        entity_type, _, normalized = str(b["key"]).partition(":")
        entities.append(
            EntityFacet(
                type=entity_type,
                normalized=normalized,
                name=str(names[0]["key"]) if names else normalized,
                articles=int(b["articles"]["doc_count"]),
            )
        )
    hits = []
    for h in raw["hits"]["hits"]:
        story = h.get("inner_hits", {}).get("story")
        hits.append(
            Hit(
                id=h["_id"],
                score=h.get("_score"),
                source=h.get("_source", {}),
                highlights=h.get("highlight", {}),
                story_size=int(story["hits"]["total"]["value"]) if story else None,
                story_articles=tuple(i.get("_source", {}) for i in story["hits"]["hits"]) if story else (),
            )
        )
    return SearchResponse(
        total=int(raw["hits"]["total"]["value"]),
        hits=hits,
        topics=_buckets(aggs, "topics"),
        sources=_buckets(aggs, "sources"),
        languages=_buckets(aggs, "languages"),
        entities=entities,
        took_ms=int(raw.get("took", 0)),
        stories=int(aggs["stories"]["value"]) if "stories" in aggs else None,
    )


def search(es: Elasticsearch, request: SearchRequest, *, index: str = "akhbar-articles") -> SearchResponse:
    """Run :func:`build_query` against ``index`` (the read alias by default).

    Raises :class:`SearchUnavailable` when the node is down or overloaded (retry later) and
    :class:`SearchRejected` when it refuses the request (missing index, bad query).
    """
    try:
        raw = es.search(index=index, body=build_query(request))
    except ApiError as err:
        if err.meta.status in TRANSIENT_STATUS:
            raise SearchUnavailable(f"search on {index} failed: {err}") from err
        raise SearchRejected(err.meta.status, str(err.error), str(err.info)[:500]) from err
    except (ESConnectionError, TransportError) as err:
        raise SearchUnavailable(f"search on {index} failed: {err}") from err
    return parse_response(raw.body)


def request_from(
    text: str = "",
    *,
    topics: Sequence[str] = (),
    sources: Sequence[str] = (),
    entities: Sequence[str] = (),
    languages: Sequence[str] = (),
    **options: Any,
) -> SearchRequest:
    """Convenience for callers holding plain strings (the CLI): ``entities`` as ``TYPE:name``."""
    return SearchRequest(
        text=text,
        topics=tuple(topics),
        sources=tuple(sources),
        entities=tuple(EntityFilter.parse(e) for e in entities),
        languages=tuple(languages),
        **options,
    )


def format_response(request: SearchRequest, response: SearchResponse) -> str:
    """The human-readable answer of ``akhbar search`` (and ``python -m indexer search``)."""
    lines = [f"{response.total} hits ({response.took_ms} ms) for {request.text!r}"]
    if response.stories is not None:
        lines[0] += f" in {response.stories} stories"
    for n, hit in enumerate(response.hits, start=request.offset + 1):
        src = hit.source
        topics = ",".join(t.get("code", "") for t in src.get("topics", []))
        when = str(src.get("published_at") or src.get("fetched_at") or "")[:10]
        title = (hit.highlights.get("title") or [hit.title])[0]
        score = f"{hit.score:.2f}" if hit.score is not None else "-"
        lines.append(f"{n:>3}. [{score}] {title}")
        lines.append(f"     {src.get('source', '')} · {when} · {topics} · {src.get('url', '')}")
        if hit.story_size is not None:
            lines.append(f"     story {src.get('story_id', '-')}: {hit.story_size} matching articles")
        lines.extend(f"     … {fragment} …" for fragment in hit.highlights.get("body", [])[:2])
    facets = [("topics", response.topics), ("sources", response.sources), ("languages", response.languages)]
    for name, buckets in facets:
        if buckets:
            lines.append(f"{name}: " + ", ".join(f"{k} ({v})" for k, v in buckets.items()))
    if response.entities:
        lines.append("entities: " + ", ".join(f"{e.type}:{e.name} ({e.articles})" for e in response.entities))
    return "\n".join(lines)


# -- stories: what is trending ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StoriesRequest:
    """Stories ranked by size and recency: ``log1p(article_count) × gauss(last_seen)``.

    ``entities`` are canonical keys as the articles' ``entity_keys`` hold them (``PER:…``),
    matched against each story's ``top_entities``; ``since`` bounds ``last_seen`` (ES date math).
    """

    topics: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    since: str | None = "now-24h"
    min_articles: int = 1
    recency_scale: str = "12h"  # last seen this long ago halves a story's weight
    origin: str = "now"
    size: int = 10
    offset: int = 0


STORY_SOURCE_FIELDS = [
    "story_id",
    "article_count",
    "source_count",
    "first_seen",
    "last_seen",
    "topic",
    "top_entities",
    "first_article",
    "timeline",
]


def build_stories_query(request: StoriesRequest) -> dict[str, Any]:
    """The search body over ``<prefix>-stories`` for ``request``. Pure."""
    conditions: list[dict[str, Any]] = []
    if request.topics:
        conditions.append({"terms": {"topic": list(request.topics)}})
    conditions += [{"term": {"top_entities": key}} for key in request.entities]
    if request.since is not None:
        conditions.append({"range": {"last_seen": {"gte": request.since}}})
    if request.min_articles > 1:
        conditions.append({"range": {"article_count": {"gte": request.min_articles}}})
    return {
        "query": {
            "function_score": {
                "query": {"bool": {"filter": conditions}},
                "functions": [
                    {"field_value_factor": {"field": "article_count", "modifier": "log1p", "missing": 1}},
                    {
                        "gauss": {
                            "last_seen": {
                                "origin": request.origin,
                                "scale": request.recency_scale,
                                "decay": 0.5,
                            }
                        }
                    },
                ],
                "score_mode": "multiply",
                "boost_mode": "replace",
            }
        },
        "sort": [{"_score": "desc"}, {"last_seen": "desc"}, {"story_id": "asc"}],
        "track_scores": True,
        "size": request.size,
        "from": request.offset,
        "track_total_hits": True,
        "_source": STORY_SOURCE_FIELDS,
    }


@dataclass(frozen=True, slots=True)
class StoriesResponse:
    total: int
    stories: list[dict[str, Any]]  # each story document (selected fields) with its "score"
    took_ms: int

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "took_ms": self.took_ms, "stories": self.stories}


def search_stories(es: Elasticsearch, request: StoriesRequest, *, index: str) -> StoriesResponse:
    """Run :func:`build_stories_query` on the stories index (``IndexerSettings.stories_index``)."""
    try:
        raw = es.search(index=index, body=build_stories_query(request)).body
    except ApiError as err:
        if err.meta.status in TRANSIENT_STATUS:
            raise SearchUnavailable(f"search on {index} failed: {err}") from err
        raise SearchRejected(err.meta.status, str(err.error), str(err.info)[:500]) from err
    except (ESConnectionError, TransportError) as err:
        raise SearchUnavailable(f"search on {index} failed: {err}") from err
    stories = [{**h.get("_source", {}), "score": h.get("_score")} for h in raw["hits"]["hits"]]
    return StoriesResponse(int(raw["hits"]["total"]["value"]), stories, int(raw.get("took", 0)))


def format_stories(response: StoriesResponse) -> str:
    """The human-readable answer of ``akhbar stories``."""
    lines = [f"{response.total} stories ({response.took_ms} ms)"]
    for n, story in enumerate(response.stories, start=1):
        first = story.get("first_article", {})
        lines.append(
            f"{n:>3}. {first.get('title', '')}  [{story.get('article_count')} articles, "
            f"{story.get('source_count')} sources]"
        )
        first_seen, last_seen = str(story.get("first_seen", ""))[:16], str(story.get("last_seen", ""))[:16]
        entities = ", ".join(story.get("top_entities", [])[:3])
        lines.append(
            f"     {story.get('story_id')} · {story.get('topic', '-')} · first {first_seen}"
            f" · last {last_seen} · {entities}"
        )
    return "\n".join(lines)
