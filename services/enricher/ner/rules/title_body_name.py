"""Rule ``title_body_name``.

Title + its body + a name: the body stays ORG (or O) and the name is one PER (الأمين العام للأمم
المتحدة أنطونيو غوتيريش, المتحدث باسم الجيش الإسرائيلي أفيخاي أدرعي).
"""

from __future__ import annotations

from enricher.ner.rules.base import (
    BISM,
    ISM,
    LOC_TRIGGERS,
    NAME_LINKS,
    ORG_HEADS,
    PER_TITLES,
    PHRASE_STOP,
    RULE_TITLES,
    TITLE_PREPS,
    WORLD_LOC,
    Resources,
    Sentence,
)
from enricher.ner.tokens import ARABIC_WORD

NAME = "title_body_name"


def apply(s: Sentence, res: Resources) -> None:
    """The name after ``title + body`` is one PER; the CRF tends to run the body's ORG chunk on
    over the first name (``للأمم المتحدة أنطونيو``) or to leave an unseen name out. Where the
    CRF starts a PER right after the body, its span is kept."""
    toks, tags, splits, bases = s.toks, s.tags, s.splits, s.bases
    n = len(toks)
    n = len(toks)
    gaz = res.gaz
    count = res.lex.count

    per_share = res.per_share

    def name_word(m: int, first: bool) -> bool:
        b = bases[m]
        if not (
            not splits[m][0]
            and bool(ARABIC_WORD.fullmatch(toks[m]))
            and not b.startswith("ال")
            and len(b) >= 2
            and b not in PER_TITLES
            and b not in ORG_HEADS
            and b not in LOC_TRIGGERS
            and b not in WORLD_LOC
            and tags[m] != "B-LOC"
            and not b.startswith("لل")
            and not (b[0] in "وفبلك" and count(b[1:]) >= 200)  # an unsplit clitic: لكرة
        ):
            return False
        if tags[m].endswith("PER") or gaz.get(b) == "PER":
            return True
        share = per_share(b)
        if first and strict:  # no linking word before the name: the CRF or the gazetteer must see it
            return tags[m] != "O"
        if first:  # name evidence (see _per_share); the body's chunk ran on over a rare word;
            # or the CRF starts a PER right after it (حازم قاسم)
            rare = count(b) < 3 and m + 1 < n and (count(bases[m + 1]) < 3 or res.name_like(bases[m + 1]))
            return (
                (share >= 0.34 if share is not None else rare)  # rare: two unseen words (هانس غروندبرغ)
                or (tags[m] in ("I-ORG", "I-LOC") and count(b) < 100)
                or (m + 1 < n and tags[m + 1] == "B-PER" and count(b) < 1000)  # not هو توم
            )
        return count(b) < 200 and (share >= 0.2 if share is not None else count(b) < 50)

    def surname(m: int) -> bool:  # a definite family name after the first name: عادل العسومي
        b = bases[m]
        return (
            b.startswith("ال")
            and not splits[m][0]
            and bool(ARABIC_WORD.fullmatch(toks[m]))
            and b not in PHRASE_STOP
            and b not in PER_TITLES
            and b not in ORG_HEADS
            and (tags[m].endswith("PER") or count(b) < 200)
        )

    def lam(j: int) -> bool:  # ل/لل + noun (also when the lexicon keeps it whole: لكرة)
        b = bases[j]
        return splits[j][0].endswith("ل") or b.startswith("لل") or (b.startswith("ل") and count(b[1:]) >= 200)

    def body_end(j: int) -> int:
        """After the body's first word: definite words without clitics, and a name the CRF
        starts there (حركة حماس)."""
        k = j + 1
        while k < n and k - j <= 4 and not splits[k][0]:
            if bases[k].startswith("ال") and bases[k] not in PHRASE_STOP:
                k += 1
            elif tags[k] in ("B-ORG", "B-LOC") and not tags[j].endswith(tags[k][2:]):
                k += 1
                while (
                    k < n and k - j <= 4 and tags[k] == "I-" + tags[k - 1][2:] and bases[k].startswith("ال")
                ):
                    k += 1
            else:
                break
        return k

    for i in range(0 if RULE_TITLES.isdisjoint(bases) else n):
        if bases[i] not in RULE_TITLES or splits[i][0]:
            continue
        j = i + 1
        while (
            j < n
            and j - i <= 3
            and bases[j].startswith("ال")
            and not splits[j][0]
            and not tags[j].endswith("PER")
            and bases[j] not in TITLE_PREPS
        ):
            j += 1
        if j >= n:
            continue
        head = next((x for x in range(i + 1, j) if bases[x] in ORG_HEADS), -1)
        strict = head >= 0
        if head >= 0:
            k = j  # the body is among the modifiers: رئيس البرلمان العربي عادل العسومي
            if k < n and lam(k) and ARABIC_WORD.fullmatch(toks[k]):
                k = body_end(k)  # رئيس الاتحاد الدولي لكرة القدم X
                strict = False
        else:
            if bases[j] == BISM or (splits[j][0] == "ب" and bases[j] == ISM):
                j += 1  # المتحدث باسم X
            elif bases[j] in TITLE_PREPS:
                j += 1  # المبعوث الأممي إلى اليمن X, السفير لدى واشنطن X
            elif not lam(j):
                continue  # the body is a genitive: ل/لل + noun
            if j >= n or not ARABIC_WORD.fullmatch(toks[j]) or len(bases[j]) < 3 or tags[j].endswith("PER"):
                continue
            k = body_end(j)
        if k >= n or tags[k] == "B-PER":
            continue  # the CRF found the name (or there is none)
        m = k
        run_on = tags[k] in ("I-ORG", "I-LOC")  # the body's chunk ran on into the name
        while m < n and m - k < 5:
            if bases[m] in NAME_LINKS and m > k and m + 1 < n and ARABIC_WORD.fullmatch(toks[m + 1]):
                m += 2  # أحمد أبو الغيط
            elif (
                name_word(m, m == k)
                or (m > k and surname(m))
                or (m > k and run_on and tags[m] == tags[k] and ARABIC_WORD.fullmatch(toks[m]))
            ):
                m += 1
            else:
                break
        if m == k or (m - k == 1 and gaz.get(bases[k]) != "PER" and not tags[k].endswith("PER")):
            continue
        tags[k] = "B-PER"
        for x in range(k + 1, m):
            tags[x] = "I-PER"
        for x in range(i + 1, k):  # the title's modifiers and body are not the person
            if tags[x].endswith("PER"):
                tags[x] = "O"
        if (
            head >= 0
            and tags[head] in ("O", "B-ORG")
            and all(tags[x] in ("O", "B-ORG", "I-ORG") for x in range(head + 1, k))
            and any(tags[x].endswith("ORG") for x in range(head, k))
        ):  # the body the CRF cut short is one ORG: البرلمان العربي
            tags[head] = "B-ORG"
            for x in range(head + 1, k):
                tags[x] = "I-ORG"
        if tags[k - 1] == "B-ORG" and bases[k - 1] in ORG_HEADS:
            tags[k - 1] = "O"  # what is left of the cut chunk is a bare head: للمجلس, المؤسسة
