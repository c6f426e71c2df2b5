"""Rule ``body_heads``.

Government-body heads + definite words are one ORG (وزارة الخارجية الأردنية, مجلس الأمن الدولي, هيئة
الأركان العامة); ANERcorp leaves ministries untagged, so the CRF alone does not produce them. Not
generic bodies (مجلس الإدارة); after an adjective only adjectives; a definite head takes only
agreeing adjectives (البنك التجاري, not يعطي البنك | المرونة).
"""

from __future__ import annotations

from enricher.ner.rules.base import (
    BODY_ADJ,
    GENERIC_BODY,
    MASC_BODY_ADJ,
    ORG_HEADS,
    PER_TITLES,
    PHRASE_STOP,
    RULE_ORG_HEADS,
    Resources,
    Sentence,
    is_nisba,
)

NAME = "body_heads"


def apply(s: Sentence, res: Resources) -> None:
    tags, splits, bases = s.tags, s.splits, s.bases
    n = len(tags)
    # 1. government-body head phrases: وزارة الخارجية الأردنية, مجلس الأمن الدولي,
    #    هيئة الأركان العامة, الجيش السوري. ANERcorp leaves ministries untagged, so the CRF
    #    alone does not produce them; the rule only fires on RULE_ORG_HEADS + definite words.
    i = 0 if not RULE_ORG_HEADS.isdisjoint(bases) else n  # no head: nothing to do
    while i < n:
        b = bases[i]
        if (
            b in RULE_ORG_HEADS
            and tags[i] in ("O", "B-ORG")
            and not (i > 0 and tags[i - 1].startswith(("B-PER", "I-PER")))
        ):
            j = i + 1
            while j < n and j - i <= 4:
                bj = bases[j]
                if j > i + 1 and is_nisba(bases[j - 1]) and not (is_nisba(bj) or bj in BODY_ADJ):
                    break  # after an adjective only adjectives: مجلس التعاون الخليجي | الهجوم
                if b.startswith("ال") and not (
                    (is_nisba(bj) and not bj.endswith("يه")) or bj in MASC_BODY_ADJ
                ):
                    break  # a definite head takes no complement, only agreeing adjectives:
                    # البنك التجاري, not يعطي البنك | المرونة or متطلبات البنك | الرأسمالية
                if (
                    bj.startswith("ال")
                    and len(bj) > 3
                    and not splits[j][0]
                    and bj not in PHRASE_STOP
                    and bj not in PER_TITLES
                    and bj not in ORG_HEADS
                    and tags[j] in ("O", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
                ):
                    j += 1
                else:
                    break
            ok = j > i + 1 and bases[i + 1] not in GENERIC_BODY
            if ok and j < n and tags[j].startswith("I-"):
                ok = False
            if ok:
                tags[i] = "B-ORG"
                for k in range(i + 1, j):
                    tags[k] = "I-ORG"
                i = j
                continue
        i += 1
