"""Rule ``venues``.

A stadium's name after استاد/ستاد/ملعب is MISC, ANERcorp's convention (ملعب « سلتيك بارك »).
"""

from __future__ import annotations

from enricher.ner.phrases import PLACES
from enricher.ner.rules.base import ORG_HEADS, QUOTE_CLOSE, QUOTE_OPEN, VENUE_HEADS, Resources, Sentence

NAME = "venues"


def apply(s: Sentence, res: Resources) -> None:
    """After استاد/ستاد/ملعب (not الملعب: في الملعب = on the pitch): a quoted name, or a chunk
    of two or more words the CRF started there, is MISC (ANERcorp: ملعب « سلتيك بارك »).
    One word unquoted is usually the city or club (ملعب برشلونة is LOC in ANERcorp) and is
    left to the CRF; so are an unquoted listed country or capital and a name with an organisation head
    (ملعب جامعة الملك سعود)."""
    toks, tags, splits, bases = s.toks, s.tags, s.splits, s.bases
    n = len(toks)
    if VENUE_HEADS.isdisjoint(bases):
        return
    n = len(toks)
    for i in range(n - 2):
        if bases[i] not in VENUE_HEADS or tags[i] != "O":
            continue
        j = i + 1
        if toks[j] in QUOTE_OPEN and tags[j] == "O":
            close = next((k for k in range(j + 2, min(n, j + 6)) if toks[k] in QUOTE_CLOSE), 0)
            start, end = j + 1, close
            chunk_end = end
        elif tags[j].startswith("B-"):
            start, end = j, j + 1
            while end < n and tags[end].startswith("I-"):
                end += 1
            chunk_end = end
            while end > start + 1 and splits[end - 1][0]:  # ثاني بن جاسم | بنادي
                end -= 1
            if end - start < 2:
                continue
        else:
            continue
        if end <= start or (chunk_end < n and tags[chunk_end].startswith("I-")):
            continue
        if not ORG_HEADS.isdisjoint(bases[start:end]):
            continue  # ملعب جامعة الملك سعود: the university's ground, an ORG
        hit = None if start > j else PLACES.key(toks[start], bases[start], splits[start][0])
        if hit is not None and PLACES.match(toks, start, hit[0])[1] == end:
            continue  # ملعب الولايات المتحدة: a country, not a stadium (ملعب « الإمارات » is one)
        for k in range(end, chunk_end):
            tags[k] = "O"  # the clitic-prefixed words cut off the CRF's chunk
        tags[start] = "B-MISC"
        for k in range(start + 1, end):
            tags[k] = "I-MISC"
