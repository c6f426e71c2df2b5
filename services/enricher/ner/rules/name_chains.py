"""Rule ``name_chains``.

PER + بن/آل/ابن/أبو + name is one PER (محمد بن راشد آل مكتوم); عبد + PER is one PER.
"""

from __future__ import annotations

from enricher.ner.rules.base import ABD, NAME_LINKS, Resources, Sentence
from enricher.ner.tokens import ARABIC

NAME = "name_chains"


def apply(s: Sentence, res: Resources) -> None:
    toks, tags, bases = s.toks, s.tags, s.bases
    n = len(toks)
    # 2. name chains: PER + بن/آل/ابن + name -> one PER; عبد + PER -> one PER
    has_per = "B-PER" in tags or "I-PER" in tags  # rules 2 and 3 only extend PER chunks
    for i in range(n if has_per else 0):
        if tags[i] == "B-PER" and i > 0 and bases[i - 1] == ABD and tags[i - 1] == "O":
            tags[i - 1], tags[i] = "B-PER", "I-PER"
    i = 0 if has_per else n
    while i < n:
        if (
            tags[i] in ("B-PER", "I-PER")
            and i + 2 < n
            and bases[i + 1] in NAME_LINKS
            and tags[i + 1] == "O"
            and ARABIC.match(toks[i + 2])
        ):
            tags[i + 1] = "I-PER"
            tags[i + 2] = "I-PER"
            k = i + 3
            while k < n and tags[k] in ("B-PER",):
                tags[k] = "I-PER"
                k += 1
            i += 2
            continue
        if tags[i] in ("I-PER",) and i > 0 and tags[i - 1] == "O":
            tags[i] = "B-PER"
        i += 1
