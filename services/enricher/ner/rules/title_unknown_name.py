"""Rule ``title_unknown_name``.

A person title (+ up to 3 definite modifiers) followed by 2-3 words unknown to the news lexicon, or
by a rare first name + 1-2 unknown words, is a transliterated name never seen: one PER (رئيس الوزراء
البريطاني ريشي سوناك, وزير الخارجية الأمريكي أنتوني بلينكن).
"""

from __future__ import annotations

from enricher.ner.rules.base import LOC_TRIGGERS, ORG_HEADS, PER_TITLES, Resources, Sentence
from enricher.ner.tokens import ARABIC, ARABIC_WORD

NAME = "title_unknown_name"


def apply(s: Sentence, res: Resources) -> None:
    toks, tags, splits, bases = s.toks, s.tags, s.splits, s.bases
    n = len(toks)
    # 1b. title + (up to 3 definite modifiers) + two or three words unknown to the news lexicon
    #     -> a transliterated person name never seen (رئيس الوزراء البريطاني ريشي سوناك)
    for i in range(0 if PER_TITLES.isdisjoint(bases) else n):
        if bases[i] not in PER_TITLES and (i + 1 >= n or bases[i + 1] not in PER_TITLES):
            continue
        j = i + 1
        while j < n and j - i <= 3 and bases[j].startswith("ال") and tags[j] == "O":
            j += 1

        def plain(k: int) -> bool:
            return (
                tags[k] == "O"
                and bool(ARABIC.match(toks[k]))
                and not splits[k][0]
                and not bases[k].startswith("ال")
                and len(bases[k]) >= 3
            )

        # a rare first name (< 200 news occurrences) may precede the unseen surname (أنتوني بلينكن)
        j0 = (
            j + 1
            if (
                j < n
                and plain(j)
                and 0 < res.lex.count(bases[j]) < 200
                and bases[j] not in PER_TITLES
                and bases[j] not in ORG_HEADS
                and bases[j] not in LOC_TRIGGERS
            )
            else j
        )
        k = j0
        while (
            k < n
            and k - j < 3
            and plain(k)
            and res.lex.count(bases[k]) == 0
            and (j0 == j or ARABIC_WORD.fullmatch(toks[k]))
        ):
            k += 1
        if j0 > j and k == j0:
            continue
        if k - j >= 2 and (k == n or not tags[k].startswith("I-")):
            tags[j] = "B-PER"
            for m in range(j + 1, k):
                tags[m] = "I-PER"
