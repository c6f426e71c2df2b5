"""Pure enrichment: raw article in, enriched article out. No faust, no Kafka.

Deterministic for a given input and model versions (recorded in the document as
content hashes of the shipped artifacts), so replays produce identical documents.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from akhbar.messages import EnrichedArticle, Entity, EntitySummary, RawArticle, TopicTag
from enricher import language
from enricher.entities import DATA_DIR as ENTITIES_DIR
from enricher.entities import AliasTable, canonical_entities, default_table
from enricher.ner import DEFAULT_MODEL_DIR as NER_DIR
from enricher.ner import RULES_VERSION as NER_RULES_VERSION
from enricher.ner import NerTagger, Span, merge_mentions
from enricher.topics import DEFAULT_MODEL_DIR as TOPICS_DIR
from enricher.topics import TopicClassifier


@cache
def artifact_version(folder: Path) -> str:
    """First 12 hex digits of SHA-256 over the artifact files (names and bytes), sorted."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".md"):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def installed_model_versions() -> dict[str, str]:
    """What ``EnrichedArticle.model_versions`` of this installation holds, without loading a model.

    ``akhbar status`` compares it with the versions the index holds (a reindex is due when they differ).
    """
    return {
        "language": language.MODEL_VERSION,
        "ner": f"{artifact_version(NER_DIR)}+rules-{NER_RULES_VERSION}",
        "topics": artifact_version(TOPICS_DIR),
        "entities": artifact_version(ENTITIES_DIR),
    }


def _mention(span: Span, field: str) -> Entity:
    # model_validate: the tagger's str labels are checked against the contract's literals here.
    return Entity.model_validate(
        {
            "type": span.type,
            "text": span.surface,
            "normalized": span.normalized,
            "field": field,
            "start": span.start,
            "end": span.end,
            "confidence": round(span.confidence, 4),
        }
    )


class ArticleEnricher:
    def __init__(
        self,
        tagger: NerTagger,
        topics: TopicClassifier,
        *,
        ner_version: str,
        topics_version: str,
        body_language_prefix_chars: int = 1000,
        aliases: AliasTable | None = None,
    ) -> None:
        self._tagger = tagger
        self._topics = topics
        self._prefix = body_language_prefix_chars
        self._aliases = aliases if aliases is not None else default_table()
        self.model_versions = {
            "language": language.MODEL_VERSION,
            "ner": ner_version,
            "topics": topics_version,
            "entities": artifact_version(ENTITIES_DIR),
        }

    @classmethod
    def load(cls, *, body_language_prefix_chars: int = 1000) -> ArticleEnricher:
        versions = installed_model_versions()
        return cls(
            NerTagger.load(NER_DIR),
            TopicClassifier(TOPICS_DIR).load(),
            ner_version=versions["ner"],
            topics_version=versions["topics"],
            body_language_prefix_chars=body_language_prefix_chars,
        )

    def enrich(self, raw: RawArticle) -> EnrichedArticle:
        body_lang = language.detect_language(raw.body[: self._prefix] if raw.body else raw.title)
        title_lang = language.detect_language(raw.title) if raw.title else None
        # One document: a name seen with a title in the headline helps its bare mention in the body.
        title_spans, body_spans = self._tagger.tag_document([raw.title or "", raw.body or ""])
        mentions = [_mention(s, "title") for s in title_spans] + [_mention(s, "body") for s in body_spans]
        entities = [
            EntitySummary.model_validate(
                {
                    "type": e.type,
                    "name": e.name,  # canonical, or clitic-free: بيروت, not وبيروت
                    "normalized": e.normalized,
                    "count": e.count,
                    "confidence": round(e.confidence, 4),
                    "key": e.key,
                    "iso": e.iso,
                }
            )
            for e in canonical_entities(merge_mentions(title_spans, body_spans), self._aliases)
        ]
        topics = [
            TopicTag.model_validate(
                {"code": t.code, "label": t.label_ar, "score": t.score, "evidence": t.evidence}
            )
            for t in self._topics.classify(raw.title, raw.body, list(raw.tags))
        ]
        return EnrichedArticle(
            **raw.model_dump(),
            language=body_lang,
            title_language=title_lang,
            mentions=mentions,
            entities=entities,
            topics=topics,
            model_versions=self.model_versions,
        )
