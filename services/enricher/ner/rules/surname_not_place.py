"""Rule ``surname_not_place``.

A one-word LOC right after a person chunk that is no known place (not in the places list, not a
training-gazetteer place) and rare in the news is the person's surname: ينس | ستولتنبرغ -> ينس
ستولتنبرغ (the CRF reads an unseen foreign surname as a place).
"""

from __future__ import annotations

from enricher.ner.phrases import PLACES
from enricher.ner.rules.base import Resources, Sentence
from enricher.ner.tokens import ARABIC_WORD

NAME = "surname_not_place"
MAX_NEWS_COUNT = 50


def apply(s: Sentence, res: Resources) -> None:
    tags, bases, splits, toks = s.tags, s.bases, s.splits, s.toks
    if "B-LOC" not in tags or "B-PER" not in tags:
        return
    n = len(tags)
    for k in range(1, n):
        if tags[k] != "B-LOC" or tags[k - 1] not in ("B-PER", "I-PER"):
            continue
        if k + 1 < n and tags[k + 1] == "I-LOC":
            continue
        b = bases[k]
        if (
            not splits[k][0]
            and ARABIC_WORD.fullmatch(toks[k])
            and not b.startswith("ال")
            and PLACES.key(toks[k], b, "") is None
            and res.gaz.get(b) != "LOC"
            and res.lex.count(b) < MAX_NEWS_COUNT
        ):
            tags[k] = "I-PER"
