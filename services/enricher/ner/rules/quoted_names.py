"""Rule ``quoted_names``.

A quoted programme title is MISC (برنامج « حوار من القلب »), a quoted newspaper name ORG (صحيفة «
الإمارات اليوم »).
"""

from __future__ import annotations

import re

from enricher.ner.rules.base import BI_UNWAN, QUOTE_CLOSE, QUOTE_OPEN, QUOTED_NAME_HEADS, Resources, Sentence

_WORDISH = re.compile(r"\w")

NAME = "quoted_names"


def apply(s: Sentence, res: Resources) -> None:
    """A head (+ بعنوان) + a quoted title of 1-5 words: a programme's title is MISC (برنامج « حوار
    من القلب »), a newspaper's or magazine's name is ORG (صحيفة « واشنطن بوست », 22 of 23 in the
    training part). Series, film and book titles stay the CRF's call (ANERcorp leaves them
    mostly O)."""
    toks, tags, bases = s.toks, s.tags, s.bases
    n = len(toks)
    if QUOTED_NAME_HEADS.keys().isdisjoint(bases):
        return
    n = len(toks)
    for i in range(n - 2):
        typ = QUOTED_NAME_HEADS.get(bases[i])
        if typ is None:
            continue
        j = i + 2 if bases[i + 1] == BI_UNWAN else i + 1
        if j >= n or toks[j] not in QUOTE_OPEN or tags[j] != "O":
            continue  # (a CRF chunk running through the quote mark is left alone)
        if j + 1 < n and toks[j + 1] == toks[j] == "'":
            j += 1  # '' written as two ' tokens
        close = next((k for k in range(j + 2, min(n, j + 7)) if toks[k] in QUOTE_CLOSE), 0)
        other = ("PER", "ORG") if typ == "MISC" else ("PER", "MISC")
        if (
            not close
            or any(t[2:] in other for t in tags[j + 1 : close])
            or not all(_WORDISH.search(t) for t in toks[j + 1 : close])
        ):
            continue
        tags[j + 1] = "B-" + typ
        for k in range(j + 2, close):
            tags[k] = "I-" + typ
