"""Rule ``long_bodies``.

An official body's ORG chunk goes on over its genitive complement (``لل`` + noun), that noun's
adjectives and coordinated definite nouns: الهيئة العامة | للطيران المدني والنقل الجوي ->
one ORG (the CRF tends to stop at the third word). Only after an organisation head, at most 8
words in all, never over a title, a place of the list or a phrase-stop word (اليوم, السابق).
"""

from __future__ import annotations

from enricher.ner.phrases import PLACES
from enricher.ner.rules.base import ORG_HEADS, PER_TITLES, PHRASE_STOP, Resources, Sentence, is_nisba
from enricher.ner.tokens import ARABIC_WORD, iob_chunks

NAME = "long_bodies"
MAX_BODY = 8


def apply(s: Sentence, res: Resources) -> None:
    tags, bases, splits, toks = s.tags, s.bases, s.splits, s.toks
    if "B-ORG" not in tags:
        return
    n = len(tags)
    for typ, a, b in iob_chunks(tags):
        if typ != "ORG" or bases[a] not in ORG_HEADS or b >= n or tags[b] != "O":
            continue
        # a genitive complement: ل + definite noun (للطيران), not a listed place (لليبيا)
        if not (splits[b][0] == "ل" and bases[b].startswith("ال") and ARABIC_WORD.fullmatch(toks[b])):
            continue
        if bases[b] in PHRASE_STOP or bases[b] in PER_TITLES or PLACES.key(toks[b], bases[b], splits[b][0]):
            continue
        k = b + 1
        while k < n and k - a < MAX_BODY and tags[k] == "O" and ARABIC_WORD.fullmatch(toks[k]):
            pre, base = splits[k]
            if not base.startswith("ال") or base in PHRASE_STOP or base in PER_TITLES:
                break
            if not ((pre == "" and is_nisba(base)) or pre == "و"):
                break  # only adjectives (المدني) and coordinated nouns (والنقل): not المشرف
            if PLACES.key(toks[k], base, pre):
                break
            k += 1
        for x in range(b, k):
            tags[x] = "I-ORG"
