"""Pure mapping from an enriched article to a bulk action. Knows nothing about Kafka or ES I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from akhbar.messages import EnrichedArticle, EntitySummary

# Fields of the message that are not stored in the index (body already holds the paragraphs).
_DROPPED = {"paragraphs"}


def entity_key(entity: EntitySummary) -> str:
    """The canonical key (D20); an article enriched before canonical entities has ``TYPE:normalized``."""
    return entity.key or f"{entity.type}:{entity.normalized}"


def to_document(article: EnrichedArticle) -> dict[str, Any]:
    """The one place that builds ``entity_keys`` (stories and facets read them)."""
    doc = article.model_dump(mode="json", exclude_none=True, exclude=_DROPPED)
    for entity, stored in zip(article.entities, doc.get("entities", []), strict=True):
        stored["key"] = entity_key(entity)
    doc["entity_keys"] = sorted({entity_key(e) for e in article.entities})
    iso = sorted({e.iso for e in article.entities if e.iso})
    if iso:
        doc["entity_iso"] = iso
    doc["topic_codes"] = [t.code for t in article.topics]
    return doc


def to_action(
    article: EnrichedArticle,
    *,
    index: str,
    document: dict[str, Any] | None = None,
    story: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An `index` action keyed by article id with external versioning on ``revision``.

    ``external_gte`` lets an identical replay through (idempotent overwrite) and
    rejects an older revision with a version conflict, which the indexer treats
    as already done. ``document``: :func:`to_document` of it when the caller already has it;
    ``story``: the story stage's fields (D17), added to the document.
    """
    source = document if document is not None else to_document(article)
    if story:
        source = {**source, **story}
    return {
        "_op_type": "index",
        "_index": index,
        "_id": article.id,
        "version": article.revision,
        "version_type": "external_gte",
        "_source": source,
    }
