"""Rule ``surnames``.

A rare word (not in the news lexicon) right after a person chunk is its surname (أنتوني بلينكن); a
regnal ordinal after a royal title joins the name (الملك عبد الله الثاني).
"""

from __future__ import annotations

from enricher.ner.rules.base import ORDINALS, ROYAL_TITLES, Resources, Sentence
from enricher.ner.tokens import ARABIC, iob_chunks

NAME = "surnames"


def apply(s: Sentence, res: Resources) -> None:
    toks, tags, splits, bases = s.toks, s.tags, s.splits, s.bases
    n = len(toks)
    has_per = "B-PER" in tags or "I-PER" in tags
    # 3. whole person names: a rare word (not in the news lexicon, no clitic, no article) right
    #    after a person chunk is its surname (أنتوني بلينكن); regnal ordinals after a royal
    #    title (الملك عبد الله الثاني).
    for typ, ca, cb in iob_chunks(tags) if has_per else ():
        if typ != "PER":
            continue
        k = cb
        while (
            k < n
            and k - cb < 2
            and tags[k] == "O"
            and not splits[k][0]
            and ARABIC.match(toks[k])
            and len(bases[k]) >= 3
            and not bases[k].startswith("ال")
            and res.lex.count(bases[k]) == 0
            and not (k + 1 < n and tags[k + 1].startswith("I-"))
        ):
            k += 1
        if (
            k == cb
            and k < n
            and tags[k] == "O"
            and bases[k] in ORDINALS
            and ca > 0
            and bases[ca - 1] in ROYAL_TITLES
        ):
            k += 1
        for j in range(cb, k):
            tags[j] = "I-PER"
