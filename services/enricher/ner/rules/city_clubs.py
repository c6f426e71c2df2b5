"""Rule ``city_clubs``.

A club-name word before a place is one ORG with it (دينامو كييف, ستيوا بوخارست); the CRF alone gave
a PER and a LOC.
"""

from __future__ import annotations

from enricher.ner.phrases import PLACES
from enricher.ner.rules.base import CLUB_PREFIXES, Resources, Sentence

NAME = "city_clubs"


def apply(s: Sentence, res: Resources) -> None:
    """A club-name word (دينامو, سسكا, أولمبيك …) right before a place is one ORG with it; the
    CRF alone calls ستيوا a person and بوخارست a LOC."""
    toks, tags, splits, bases = s.toks, s.tags, s.splits, s.bases
    n = len(toks)
    if CLUB_PREFIXES.isdisjoint(bases):
        return
    n = len(toks)
    for i in range(n - 1):
        if bases[i] not in CLUB_PREFIXES or tags[i].startswith("I-"):
            continue
        j = i + 1
        if tags[j] == "B-LOC":
            end = j + 1
            while end < n and tags[end] == "I-LOC":
                end += 1
        else:
            hit = PLACES.key(toks[j], bases[j], splits[j][0])
            end = PLACES.match(toks, j, hit[0])[1] if hit is not None and not hit[1] else 0
            whole = (  # the CRF's one chunk over both words, of another type: دينامو كييف as PER
                end and tags[i].startswith("B-") and all(t == "I-" + tags[i][2:] for t in tags[j:end])
            )
            if not end or (not whole and any(t != "O" for t in tags[j:end])):
                continue
        if end < n and tags[end].startswith("I-"):
            continue
        tags[i] = "B-ORG"
        for k in range(i + 1, end):
            tags[k] = "I-ORG"
