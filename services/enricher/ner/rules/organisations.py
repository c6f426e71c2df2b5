"""Rule ``organisations``.

Well-known organisations (data/organisations.tsv) left O, split or run on by the CRF are one ORG
(صندوق النقد الدولي); a descriptor (حركة in حركة حماس) is not part of the name; a place the ORG
swallowed becomes LOC.
"""

from __future__ import annotations

from enricher.ner.phrases import ORGANISATIONS, PLACES
from enricher.ner.rules.base import Resources, Sentence, is_nisba

NAME = "organisations"


def apply(s: Sentence, res: Resources) -> None:
    toks, tags, splits, bases = s.toks, s.tags, s.splits, s.bases
    n = len(toks)
    n = len(toks)
    free = 0
    for i0, key, _pre in ORGANISATIONS.starts(toks, bases, splits):
        if i0 < free:
            continue
        i, end = ORGANISATIONS.match(toks, i0, key)
        if not end:
            continue
        span = tags[i:end]
        one_chunk = span[0].startswith("B-") and all(t == "I-" + span[0][2:] for t in span[1:])
        if not (all(t in ("O", "B-ORG", "I-ORG") for t in span) or one_chunk):
            continue
        if i > i0:  # a "~" entry: the name alone, whatever the CRF did with the descriptor
            tags[i0] = "O" if tags[i0].endswith("ORG") else tags[i0]
        else:
            while i > 0 and tags[i] == "I-ORG":
                i -= 1  # inside an ORG that starts earlier (منظمة الأمم المتحدة): keep its start
        k = end  # an ORG the CRF ran on past the name ends with it (… الذرية | إيران), adjectives stay
        while (
            k < n
            and tags[k] == "I-ORG"
            and not is_nisba(bases[k])
            and not splits[k][0].endswith("ل")  # a genitive goes on: الاتحاد الأوروبي لكرة القدم
            and not toks[k].startswith("ل")
        ):
            place = PLACES.key(toks[k], bases[k], splits[k][0])
            tags[k] = "B-LOC" if place and (place[0],) in PLACES.phrases[place[0]] else "O"
            k += 1
        tags[i] = "B-ORG"
        for x in range(i + 1, end):
            tags[x] = "I-ORG"
        free = end
