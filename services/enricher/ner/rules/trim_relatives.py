"""Rule ``trim_relatives``.

A relative's noun with a possessive is never part of the name (مواطنه تييري هنري -> تييري هنري).
"""

from __future__ import annotations

from enricher.ner.rules.base import RELATIVES, Resources, Sentence, is_nisba

NAME = "trim_relatives"


def apply(s: Sentence, res: Resources) -> None:
    """A relational noun with a possessive (مواطنه, زميله, نجله, نظيره) is never part of the
    name (ANERcorp: O all 85 times, 24 of them right before a name): مواطنه تييري هنري ->
    تييري هنري. With no name after it (نظيره الروسي, زوجها مهندس) the chunk goes."""
    tags, bases = s.tags, s.bases
    n = len(tags)
    if RELATIVES.isdisjoint(bases):
        return
    n = len(tags)
    for i in range(n - 1):
        if tags[i] == "B-PER" and bases[i] in RELATIVES and tags[i + 1] == "I-PER":
            tags[i] = "O"
            alone = i + 2 >= n or tags[i + 2] != "I-PER"
            keep = res.name_like(bases[i + 1]) and not (alone and is_nisba(bases[i + 1]))
            end = i + 1
            while end < n and tags[end] == "I-PER":
                tags[end] = "I-PER" if keep else "O"
                end += 1
            if keep:
                tags[i + 1] = "B-PER"
