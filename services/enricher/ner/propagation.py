"""Document-level label propagation ("one sense per discourse").

A confident entity string found in one sentence of a document also labels the same string where
the tagger left it O elsewhere in the document; the last word of a confident multi-word person
name also stands for that person alone (توفيق الحكيم ... الحكيم). Function words never take part,
neither as a source nor as a target: one CRF slip on a preposition (على tagged PER because it
normalises like the name علي) must not spread over the whole document. Function words are
compared in their written form (ى and hamza kept), so the name علي still propagates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from enricher.ner.rules.base import RAW_WORDS
from enricher.ner.tokens import ARABIC, MARKS, iob_chunks

_MARKS_RE = re.compile(f"[{MARKS}]")
FUNCTION_WORDS = frozenset(RAW_WORDS["function_words"])
"""Written forms (diacritics removed) of prepositions, particles, pronouns, demonstratives."""


@lru_cache(maxsize=100_000)
def is_function_word(tok: str) -> bool:
    return _MARKS_RE.sub("", tok) in FUNCTION_WORDS


def propagate(
    sents: Sequence[Sequence[str]],
    bases: Sequence[Sequence[str]],
    out: list[tuple[list[str], list[float]]],
    surname_like: Callable[[str], bool],
    min_conf: float = 0.6,
    max_len: int = 4,
) -> None:
    """Fill O positions of ``out`` (tags, confidences per sentence) in place."""
    memory: dict[tuple[str, ...], dict[str, list[float]]] = {}
    for toks, bs, (tags, confs) in zip(sents, bases, out, strict=True):
        for typ, a, b in iob_chunks(tags):
            c = min(confs[a:b])
            if b - a > max_len or c < min_conf or not ARABIC.match(bs[a]):
                continue
            if any(is_function_word(t) for t in toks[a:b]):
                continue
            memory.setdefault(tuple(bs[a:b]), {}).setdefault(typ, []).append(c)
            if typ == "PER" and b - a >= 2 and surname_like(bs[b - 1]):
                # the surname alone names the same person later on (توفيق الحكيم ... الحكيم)
                memory.setdefault((bs[b - 1],), {}).setdefault("PER", []).append(c)
    if not memory:
        return
    best = {k: max(v.items(), key=lambda kv: (len(kv[1]), sum(kv[1]))) for k, v in memory.items()}
    # longest key per first word: only those positions and lengths can match
    first_len: dict[str, int] = {}
    for phrase in best:
        if len(phrase) > first_len.get(phrase[0], 0):
            first_len[phrase[0]] = len(phrase)
    flen = first_len.get
    for toks, bs, (tags, confs) in zip(sents, bases, out, strict=True):
        n, i = len(bs), 0
        while i < n:
            step = 1
            top = flen(bs[i])
            if not top:
                i += 1
                continue
            for ln in range(min(max_len, n - i, top), 0, -1):
                key = tuple(bs[i : i + ln])
                hit = best.get(key)
                if (
                    hit
                    and all(tags[k] == "O" for k in range(i, i + ln))
                    and (i + ln == n or not tags[i + ln].startswith("I-"))
                    and not any(is_function_word(t) for t in toks[i : i + ln])
                ):
                    typ, cs = hit
                    conf = 0.9 * sum(cs) / len(cs)
                    for k in range(i, i + ln):
                        tags[k] = ("B-" if k == i else "I-") + typ
                        confs[k] = conf
                    step = ln
                    break
            i += step


def group_mentions(
    sents: Sequence[Sequence[str]],
    bases: Sequence[Sequence[str]],
    out: list[tuple[list[str], list[float]]],
    min_conf: float = 0.6,
) -> None:
    """Mentions of one person share one entity and type: two or more consecutive words of a
    confident full person name of the document (سمير الحلبي, حسني مبارك of محمد حسني مبارك) are
    one PER wherever they stand, also where the tagger split them (LOC + PER) or left them O.
    Runs that would cut another chunk, or hold a function word, are left alone."""
    parts: dict[tuple[str, ...], float] = {}
    for toks, bs, (tags, confs) in zip(sents, bases, out, strict=True):
        for typ, a, b in iob_chunks(tags):
            c = min(confs[a:b])
            if typ != "PER" or b - a < 2 or c < min_conf or any(is_function_word(t) for t in toks[a:b]):
                continue
            name = tuple(bs[a:b])
            for x in range(len(name)):
                for y in range(x + 2, len(name) + 1):
                    parts[name[x:y]] = max(parts.get(name[x:y], 0.0), c)
    if not parts:
        return
    longest = max(map(len, parts))
    for bs, (tags, confs) in zip(bases, out, strict=True):
        n, i = len(bs), 0
        while i < n:
            step = 1
            for ln in range(min(longest, n - i), 1, -1):
                hit = parts.get(tuple(bs[i : i + ln]))
                if hit is None:
                    continue
                span = tags[i : i + ln]
                if span[0] == "B-PER" and all(t == "I-PER" for t in span[1:]):
                    step = ln
                    break  # already one PER
                if span[0].startswith("I-") or (i + ln < n and tags[i + ln].startswith("I-")):
                    break  # part of a longer chunk
                for k in range(i, i + ln):
                    tags[k] = ("B-" if k == i else "I-") + "PER"
                    confs[k] = 0.9 * hit
                step = ln
                break
            i += step
