"""Rule ``relative_names``.

After a relative's noun (نظيره, زميله, مواطنه) two or three name-like words the CRF missed are one
PER (نظيره إيمانويل ماكرون).
"""

from __future__ import annotations

from enricher.ner.rules.base import (
    ADVERBS,
    LOC_TRIGGERS,
    ORG_HEADS,
    PER_TITLES,
    RELATIVES,
    Resources,
    Sentence,
    is_nisba,
)
from enricher.ner.tokens import ARABIC_WORD

NAME = "relative_names"


def apply(s: Sentence, res: Resources) -> None:
    """After a relative's noun (نظيره, زميله, مواطنه …) the CRF often misses a well-known
    foreign name (نظيره إيمانويل ماكرون): two name-like words (a third only if rare), no clitic,
    article, nisba, trigger word or adverb (نظيره آنذاك) become one PER."""
    toks, tags, splits, bases = s.toks, s.tags, s.splits, s.bases
    n = len(toks)
    if RELATIVES.isdisjoint(bases):
        return
    n = len(toks)
    for i in range(n - 2):
        if bases[i] not in RELATIVES or tags[i] != "O":
            continue
        k = i + 1
        while (
            k < n
            and k - i <= 3
            and tags[k] == "O"
            and not splits[k][0]
            and ARABIC_WORD.fullmatch(toks[k])
            and len(bases[k]) >= 3
            and not bases[k].startswith("ال")
            and not is_nisba(bases[k])
            and bases[k] not in PER_TITLES
            and bases[k] not in ORG_HEADS
            and bases[k] not in LOC_TRIGGERS
            and res.name_like(bases[k])
            and res.lex.count(bases[k]) < (50 if k == i + 3 else 2000)
            and not (k > i + 1 and toks[k][0] in "وف")
            and bases[k] not in ADVERBS
        ):
            k += 1
        if k - i >= 3 and (k == n or not tags[k].startswith("I-")):
            tags[i + 1] = "B-PER"
            for m in range(i + 2, k):
                tags[m] = "I-PER"
