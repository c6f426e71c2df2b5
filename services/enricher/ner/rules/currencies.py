"""Rule ``currencies``.

Currencies the CRF left O are MISC, the ANERcorp convention (دولار is MISC 107 of 109 times); not
ريال before مدريد.
"""

from __future__ import annotations

from enricher.ner.rules.base import CURRENCIES, CURRENCY_VETO_NEXT, Resources, Sentence

NAME = "currencies"


def apply(s: Sentence, res: Resources) -> None:
    tags, bases = s.tags, s.bases
    n = len(tags)
    if CURRENCIES.isdisjoint(bases):
        return
    n = len(tags)
    for i, b in enumerate(bases):
        if b in CURRENCIES and tags[i] == "O" and not (i + 1 < n and bases[i + 1] in CURRENCY_VETO_NEXT):
            tags[i] = "B-MISC"
