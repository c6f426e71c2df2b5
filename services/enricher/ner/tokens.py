"""Tokens, sentences, IOB chunks and the span/entity records of the tagger.

Tokenisation keeps clitics attached (as ANERcorp does); ``feat_norm`` is the matching form of
features, lexicon and word lists. Shared with the training scripts, so training and run time
cut text the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from akhbar.arabic import normalize_arabic

ENTITY_TYPES = ("PER", "LOC", "ORG", "MISC")

MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u0640"
# number with a decimal/thousands separator | word (letters, digits, marks, optional %) | one punct. char
TOKEN_RE = re.compile(rf"\d+(?:[.,\u066b]\d+)+%?|[\w{MARKS}]+%?|[^\w\s{MARKS}]")
SENT_END = frozenset({".", "!", "?", "؟", "…"})
ARABIC = re.compile("[\u0621-\u064a]")
LATIN = re.compile("[A-Za-z]")
ARABIC_WORD = re.compile(f"[\u0621-\u064a{MARKS}]+")
_LINE_RE = re.compile(r"[^\n]+")
MAX_SENTENCE_TOKENS = 200


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Split text into (token, start, end); punctuation is split off, clitics stay attached."""
    return [(m.group(), m.start(), m.end()) for m in TOKEN_RE.finditer(text)]


@lru_cache(maxsize=200_000)
def feat_norm(tok: str) -> str:
    """Matching form used for features and the lexicon (full ``normalize_arabic``)."""
    return normalize_arabic(tok)


def norms(words: Iterable[str]) -> frozenset[str]:
    """Matching forms of a word list (what the word-list data files hold in plain spelling)."""
    return frozenset(feat_norm(w) for w in words)


def sentences(text: str) -> list[list[tuple[str, int, int]]]:
    """Sentences of a text as (token, start, end) lists: cut at line ends, sentence-final
    punctuation and every ``MAX_SENTENCE_TOKENS`` tokens."""
    sents: list[list[tuple[str, int, int]]] = []
    findall = TOKEN_RE.findall
    find = text.find
    # tokens never contain a newline, so matching inside each line's bounds of the whole
    # text gives the same tokens as tokenising the line; every non-space character belongs
    # to a token, so a token starts at its first occurrence after the previous one
    for line_m in _LINE_RE.finditer(text):
        cur: list[tuple[str, int, int]] = []
        pos, end = line_m.span()
        for t in findall(text, pos, end):
            s = find(t, pos)
            pos = s + len(t)
            cur.append((t, s, pos))
            if t in SENT_END or len(cur) >= MAX_SENTENCE_TOKENS:
                sents.append(cur)
                cur = []
        if cur:
            sents.append(cur)
    return sents


def iob_chunks(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """conlleval-style chunks (type, start, end_exclusive); a stray I-X starts a chunk."""
    chunks: list[tuple[str, int, int]] = []
    cur_type: str | None = None
    cur_start = 0
    for i, t in enumerate(tags):
        if t == "O":
            if cur_type is not None:
                chunks.append((cur_type, cur_start, i))
                cur_type = None
        elif t.startswith("B-") or (t.startswith("I-") and t[2:] != cur_type):
            if cur_type is not None:
                chunks.append((cur_type, cur_start, i))
            cur_type, cur_start = t[2:], i
    if cur_type is not None:
        chunks.append((cur_type, cur_start, len(tags)))
    return chunks


@dataclass(frozen=True)
class Span:
    """One mention: char offsets into the tagged text, type, surface, normal form, confidence."""

    start: int
    end: int
    type: str
    surface: str
    normalized: str
    confidence: float
    display: str = ""
    """The surface without the first word's proclitics (وبيروت -> بيروت), for display."""


@dataclass
class Entity:
    """Mentions of one article grouped by (type, normal form)."""

    type: str
    normalized: str
    count: int
    surfaces: list[str] = field(default_factory=list)
    in_title: bool = False
    confidence: float = 0.0
    display: str = ""  # the first mention's clitic-free surface


def merge_mentions(title_spans: Iterable[Span], body_spans: Iterable[Span]) -> list[Entity]:
    """Group title+body mentions by (type, normalized); count mentions; sort by count desc."""
    ents: dict[tuple[str, str], Entity] = {}
    for in_title, spans in ((True, title_spans), (False, body_spans)):
        for sp in spans:
            key = (sp.type, sp.normalized)
            e = ents.get(key)
            if e is None:
                e = ents[key] = Entity(sp.type, sp.normalized, 0, display=sp.display or sp.surface)
            e.count += 1
            e.in_title = e.in_title or in_title
            e.confidence = max(e.confidence, sp.confidence)
            if sp.surface not in e.surfaces:
                e.surfaces.append(sp.surface)
    _group_partial_names(ents)
    return sorted(ents.values(), key=lambda e: (-e.count, not e.in_title, e.type, e.normalized))


def _contains(long: list[str], short: list[str]) -> bool:
    return any(long[i : i + len(short)] == short for i in range(len(long) - len(short) + 1))


def _group_partial_names(ents: dict[tuple[str, str], Entity]) -> None:
    """A person's shorter mention (الحلبي, حسني مبارك) is the same entity as the one full name of
    the article that contains it (سمير الحلبي, محمد حسني مبارك): counts and surfaces go to the full
    name. A short form that fits two full names stays on its own."""
    people = [k for k in ents if k[0] == "PER"]
    for key in sorted(people, key=lambda k: len(k[1].split())):
        words = key[1].split()
        hosts = [k for k in people if k != key and k in ents and len(k[1].split()) > len(words)]
        hosts = [k for k in hosts if _contains(k[1].split(), words)]
        if len(hosts) != 1:
            continue
        short, full = ents.pop(key), ents[hosts[0]]
        full.count += short.count
        full.in_title = full.in_title or short.in_title
        full.confidence = max(full.confidence, short.confidence)
        full.surfaces += [s for s in short.surfaces if s not in full.surfaces]
