"""Rule ``kunya_first_name``.

A person chunk that starts with a kunya or nasab link (أبو, ابن, بن, آل) takes the name-like
word right before it as its first name: the CRF often tags only the family part (خالد | أبو زيد
-> خالد أبو زيد). The word must be a plain, non-definite name-like word (training-gazetteer
person, a word class of names, or rare), not a title, trigger or function word.
"""

from __future__ import annotations

from enricher.ner.propagation import is_function_word
from enricher.ner.rules.base import (
    LOC_TRIGGERS,
    ORG_HEADS,
    RULE_TITLES,
    WORLD_LOC,
    Resources,
    Sentence,
    W,
)
from enricher.ner.tokens import ARABIC_WORD

NAME = "kunya_first_name"
KUNYA_LINKS = W["kunya_links"]


def apply(s: Sentence, res: Resources) -> None:
    tags, bases, toks = s.tags, s.bases, s.toks
    if KUNYA_LINKS.isdisjoint(bases):
        return
    for i in range(1, len(tags)):
        if tags[i] != "B-PER" or bases[i] not in KUNYA_LINKS or tags[i - 1] != "O":
            continue
        b = bases[i - 1]
        if (
            ARABIC_WORD.fullmatch(toks[i - 1])
            and not b.startswith("ال")
            and len(b) >= 3
            and b not in RULE_TITLES
            and b not in ORG_HEADS
            and b not in LOC_TRIGGERS
            and b not in WORLD_LOC
            and b not in KUNYA_LINKS
            and not is_function_word(toks[i - 1])
            and res.name_like(b)
        ):
            tags[i - 1], tags[i] = "B-PER", "I-PER"
