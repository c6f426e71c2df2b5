"""Rule ``places``.

Every listed country, capital, big city and region (data/places.tsv) the CRF left O, split or
mistyped becomes one LOC, clitics included (ولاتفيا, أديس أبابا, البوسنة والهرسك). Ambiguous names
(مالي, صوفيا, مسقط) only in a place context; never after an organisation head or منتخب, nor before a
nisba (قطر القطري is a club).
"""

from __future__ import annotations

from enricher.ner.phrases import AMBIGUOUS_PLACES, CITY_PHRASES, PLACES
from enricher.ner.rules.base import (
    PLACE_CONTEXT,
    PLACE_VETO_NEXT,
    PLACE_VETO_PREV,
    Resources,
    Sentence,
    is_nisba,
)
from enricher.ner.tokens import feat_norm

_O_OR_LOC = frozenset({"O", "B-LOC", "I-LOC"})

NAME = "places"


def apply(s: Sentence, res: Resources) -> None:
    toks, tags, splits, bases = s.toks, s.tags, s.splits, s.bases
    n = len(toks)
    n = len(toks)
    free = 0  # first position after the last place tagged
    for i, key, pre in PLACES.starts(toks, bases, splits):
        if (
            i < free
            or tags[i].startswith("I-")
            or (
                i
                and (
                    bases[i - 1] in PLACE_VETO_PREV
                    or (tags[i - 1][2:] in ("ORG", "PER") and tags[i] != "B-LOC")
                )
            )
        ):
            continue
        _, end = PLACES.match(toks, i, key)
        if (
            not end
            or (
                end < n
                and (
                    tags[end].startswith("I-")
                    or bases[end] in PLACE_VETO_NEXT
                    or is_nisba(bases[end])  # قطر القطري (a club), مصر القديمة
                )
            )
            or (  # a nisba used as an adjective: الديون السيادية السعودية
                end == i + 1
                and not pre
                and key.endswith("يه")
                and i
                and bases[i - 1].startswith("ال")
                and bases[i - 1] not in PLACE_CONTEXT
            )
        ):
            continue
        span = tags[i:end]
        # O / LOC tokens, or exactly one chunk of another type (بكوسوفو tagged PER)
        one_chunk = span[0].startswith("B-") and all(t == "I-" + span[0][2:] for t in span[1:])
        ambiguous = end == i + 1 and key in AMBIGUOUS_PLACES
        if not (all(t in _O_OR_LOC for t in span) or (one_chunk and not ambiguous)):
            continue
        if span[0].endswith("ORG") and (key, *(feat_norm(t) for t in toks[i + 1 : end])) in CITY_PHRASES:
            continue
        if ambiguous and not (
            pre.endswith(("ب", "ل"))
            or (i and bases[i - 1] in PLACE_CONTEXT)
            or (pre.startswith("و") and i and tags[i - 1].endswith("LOC"))  # بيروت ومالي
        ):
            continue
        tags[i] = "B-LOC"
        for k in range(i + 1, end):
            tags[k] = "I-LOC"
        free = end
