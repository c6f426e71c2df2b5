"""Rule ``trim_titles``.

A PER chunk does not start with a title (شيخ الأزهر أحمد الطيب -> أحمد الطيب): ANERcorp leaves the
title out of the person.
"""

from __future__ import annotations

from enricher.ner.rules.base import NO_TRIM, RULE_TITLES, TITLE_NAMES, Resources, Sentence

NAME = "trim_titles"


def apply(s: Sentence, res: Resources) -> None:
    """ANERcorp, like most NER conventions, leaves the title out of the person (2,712 of 2,724
    training PER chunks start with a name). A title that is also a given name (أمين، شيخ)
    counts as a title only before a definite word (شيخ الأزهر, not شيخ شريف); some are left
    alone (NO_TRIM)."""
    tags, splits, bases = s.tags, s.splits, s.bases
    n = len(tags)
    n = len(tags)
    for i in range(n):
        if tags[i] != "B-PER" or bases[i] not in RULE_TITLES or bases[i] in NO_TRIM:
            continue
        if bases[i] in TITLE_NAMES and not (i + 1 < n and bases[i + 1].startswith("ال")):
            continue
        end = i + 1
        while end < n and tags[end] == "I-PER":
            end += 1
        if end - i < 2:
            continue  # البابا alone: the CRF's call
        k = i + 1
        while k < end and (bases[k] in RULE_TITLES or (bases[k].startswith("ال") and not splits[k][0])):
            k += 1
        if k < end and not res.name_like(bases[k]):
            k = end  # what is left is no name either (شيخ الأزهر أصدر): drop the chunk
        for x in range(i, k):
            tags[x] = "O"
        if k < end:
            tags[k] = "B-PER"
