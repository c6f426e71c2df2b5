"""Rule ``split_repeated_heads``.

An ORG chunk that repeats its head word is two (حركة فتح | حركة حماس).
"""

from __future__ import annotations

from enricher.ner.rules.base import ORG_HEADS, Resources, Sentence
from enricher.ner.tokens import iob_chunks

NAME = "split_repeated_heads"


def apply(s: Sentence, res: Resources) -> None:
    tags, bases = s.tags, s.bases
    for typ, a, b in iob_chunks(tags) if "I-ORG" in tags else ():
        if typ == "ORG" and bases[a] in ORG_HEADS:
            for x in range(a + 2, b - 1):
                if bases[x] == bases[a]:
                    tags[x] = "B-ORG"
