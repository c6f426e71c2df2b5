"""The story fingerprint of an enriched article: what similarity compares and retrieval looks up.

Content terms of the title and of the lead (the first ``lead_words`` words of the body), folded
with :func:`akhbar.arabic.normalize_arabic` (one folding for the whole project), light-stemmed by
the affix rules in ``data/affixes.json`` and stripped of the words in ``data/stopwords.txt``; the
article's canonical ``entity_keys`` exactly as :func:`indexer.documents.to_document` builds them
(never rebuilt here); and the article's time: when it was first seen, else published, else fetched.
Pure: the same article always gives the same fingerprint, so replays and reindexes agree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from akhbar.arabic import normalize_arabic
from akhbar.messages import RawArticle

_TOKEN = re.compile(r"[^\W_]+")


def data_text(name: str) -> str:
    """A data file shipped in ``indexer/stories/data`` (package-data in pyproject)."""
    return resources.files("indexer.stories").joinpath("data", name).read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Affixes:
    prefixes: tuple[str, ...]
    suffixes: tuple[str, ...]
    min_stem: int
    single_letter_min_rest: int

    @classmethod
    def load(cls, raw: Mapping[str, Any] | None = None) -> Affixes:
        raw = raw if raw is not None else json.loads(data_text("affixes.json"))
        prefixes = sorted(raw["prefixes"], key=len, reverse=True)  # longest first: وال before و
        return cls(
            prefixes=tuple(prefixes),
            suffixes=tuple(raw["suffixes"]),
            min_stem=int(raw["min_stem"]),
            single_letter_min_rest=int(raw["single_letter_min_rest"]),
        )

    def stem(self, token: str) -> str:
        """One prefix at most, then each suffix in order, never below ``min_stem`` letters."""
        if token and token[0] in self._prefix_starts:
            for prefix in self.prefixes:
                need = self.single_letter_min_rest if len(prefix) == 1 else self.min_stem
                if len(token) - len(prefix) >= need and token.startswith(prefix):
                    token = token[len(prefix) :]
                    break
        for suffix in self.suffixes:
            if token.endswith(suffix) and len(token) - len(suffix) >= self.min_stem:
                token = token[: -len(suffix)]
        return token

    @property
    def _prefix_starts(self) -> frozenset[str]:
        return _first_letters(self.prefixes)


@lru_cache(maxsize=8)
def _first_letters(prefixes: tuple[str, ...]) -> frozenset[str]:
    return frozenset(p[0] for p in prefixes)


@dataclass(frozen=True, slots=True)
class FeatureParams:
    lead_words: int = 50
    probe_words: int = 20
    min_term_chars: int = 2
    keep_numbers: bool = True
    entity_types: frozenset[str] = frozenset({"PER", "LOC", "ORG", "MISC"})
    entity_words_in_text: bool = True

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> FeatureParams:
        return cls(
            lead_words=int(raw["lead_words"]),
            probe_words=int(raw.get("probe_words", raw["lead_words"])),
            min_term_chars=int(raw["min_term_chars"]),
            keep_numbers=bool(raw["keep_numbers"]),
            entity_types=frozenset(raw["entity_types"]),
            entity_words_in_text=bool(raw.get("entity_words_in_text", True)),
        )


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Sets of folded, stemmed terms and canonical entity keys, and the time used for decay."""

    title: frozenset[str]
    lead: frozenset[str]
    entities: frozenset[str]
    time: datetime
    names: frozenset[str] = frozenset()  # the terms of the entities' names (see similarity's gate)
    probe: frozenset[str] = field(default=frozenset(), compare=False)
    """The terms retrieval asks for: the title's and those of the lead's first ``probe_words``
    words (fewer clauses per search); empty = all the terms."""
    terms: frozenset[str] = field(init=False, compare=False)
    """Title and lead terms together: the ``story_terms`` keyword field of the article."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "terms", self.title | self.lead)  # read in every comparison
        if not self.probe:
            object.__setattr__(self, "probe", self.terms)

    def stored(self) -> dict[str, list[str]]:
        """What the article document keeps so a later article can be compared with it (sorted
        keyword arrays: Elasticsearch returns them as doc values, without loading ``_source``)."""
        return {
            "story_terms": sorted(self.terms),
            "story_title_terms": sorted(self.title),
            "story_names": sorted(self.names),
        }

    @classmethod
    def from_stored(
        cls, stored: Mapping[str, Sequence[str]], entity_keys: Iterable[str], time: datetime
    ) -> Fingerprint:
        """The fingerprint as compared (``lead`` holds all the terms: only title and terms matter)."""
        return cls(
            title=frozenset(stored.get("story_title_terms", ())),
            lead=frozenset(stored.get("story_terms", ())),
            entities=frozenset(entity_keys),
            time=time,
            names=frozenset(stored.get("story_names", ())),
        )


class FeatureExtractor:
    """Folding, stemming and stop words loaded once; :meth:`fingerprint` is the hot path."""

    def __init__(
        self,
        params: FeatureParams | None = None,
        *,
        affixes: Affixes | None = None,
        stopwords: Iterable[str] | None = None,
    ) -> None:
        self.params = params or FeatureParams()
        self.affixes = affixes or Affixes.load()
        words = stopwords if stopwords is not None else _stopword_lines(data_text("stopwords.txt"))
        folded = {normalize_arabic(w).lower() for w in words}
        self.stopwords = frozenset(folded | {self.affixes.stem(w) for w in folded})
        self._stems: dict[str, str | None] = {}

    def term(self, token: str) -> str | None:
        """A folded token's content term, or None for a stop word, a short token or a number."""
        cached = self._stems.get(token, "")
        if cached != "":
            return cached
        result: str | None
        if token in self.stopwords or (token.isdigit() and not self.params.keep_numbers):
            result = None
        else:
            stem = token if token.isdigit() else self.affixes.stem(token)
            keep = len(stem) >= self.params.min_term_chars and stem not in self.stopwords
            result = stem if keep else None
        if len(self._stems) < 200_000:  # a bounded cache: the vocabulary of news is not
            self._stems[token] = result
        return result

    def terms(self, text: str) -> frozenset[str]:
        folded = normalize_arabic(text).lower()
        out = set()
        for token in _TOKEN.findall(folded):
            term = self.term(token)
            if term is not None:
                out.add(term)
        return frozenset(out)

    def lead(self, body: str, words: int | None = None) -> str:
        n = self.params.lead_words if words is None else words
        return " ".join(body.split(maxsplit=n)[:n])

    def fingerprint(self, article: RawArticle, entity_keys: Iterable[str]) -> Fingerprint:
        """``entity_keys``: the document's own field (``to_document(article)["entity_keys"]``)."""
        types = self.params.entity_types
        keys = [k for k in entity_keys if k.partition(":")[0] in types]
        title, lead = self.terms(article.title), self.terms(self.lead(article.body))
        probe = title | self.terms(self.lead(article.body, self.params.probe_words))
        names = frozenset().union(*(self.terms(k.partition(":")[2]) for k in keys))
        if not self.params.entity_words_in_text:
            # the names already count once, as entity keys: their words do not count again
            title, lead, probe = title - names, lead - names, probe - names
        return Fingerprint(
            title=title,
            lead=lead,
            entities=frozenset(keys),
            time=article_time(article),
            names=names,
            probe=probe & (title | lead),
        )


def article_time(article: RawArticle) -> datetime:
    """First seen, else published, else fetched; naive times are taken as UTC."""
    when = article.first_seen_at or article.published_at or article.fetched_at
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _stopword_lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


@lru_cache(maxsize=1)
def default_extractor() -> FeatureExtractor:
    return FeatureExtractor(FeatureParams.from_mapping(json.loads(data_text("params.json"))))
