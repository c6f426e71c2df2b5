"""Rule ``title_name``.

A person title or military rank (data ``name_titles``: اللواء, العميد, الرئيس, الشيخ …), with up to
two definite modifiers, followed by two to four name words is one PER: اللواء سمير الحلبي,
الرئيس المصري حسني مبارك. Name words: a plain name-like first word (training-gazetteer person,
a word class of names, or rare), then name-like words, a kunya/nasab link with its word
(أبو زيد, بن علي) or a definite surname rarer than 200 in the news (الحلبي). Only tokens the CRF
left O (or a PER it started at the first word) are changed; a bare one-word name stays the CRF's.
"""

from __future__ import annotations

from enricher.ner.propagation import is_function_word
from enricher.ner.rules.base import (
    LOC_TRIGGERS,
    ORG_HEADS,
    PER_TITLES,
    PHRASE_STOP,
    RULE_TITLES,
    WORLD_LOC,
    Resources,
    Sentence,
    W,
    is_nisba,
)
from enricher.ner.tokens import ARABIC_WORD

NAME = "title_name"
NAME_TITLES = W["name_titles"]
KUNYA_LINKS = W["kunya_links"]
MAX_NAME = 4


def _plain(s: Sentence, k: int) -> bool:
    b = s.bases[k]
    return (
        not s.splits[k][0]
        and bool(ARABIC_WORD.fullmatch(s.toks[k]))
        and len(b) >= 2
        and b not in RULE_TITLES
        and b not in ORG_HEADS
        and b not in LOC_TRIGGERS
        and b not in WORLD_LOC
        and not is_function_word(s.toks[k])
    )


def apply(s: Sentence, res: Resources) -> None:
    tags, bases = s.tags, s.bases
    n = len(tags)
    if NAME_TITLES.isdisjoint(bases):
        return
    count = res.lex.count
    for i in range(n - 2):
        if bases[i] not in NAME_TITLES or tags[i] != "O":
            continue
        j = i + 1
        while j < n and j - i <= 2 and bases[j].startswith("ال") and tags[j] == "O" and is_nisba(bases[j]):
            j += 1  # الرئيس المصري, اللواء الركن
        if j >= n or tags[j] not in ("O", "B-PER") or bases[j].startswith("ال") or not _plain(s, j):
            continue
        if not res.name_like(bases[j]):
            continue
        k = j + 1
        while k < n and k - j < MAX_NAME and tags[k] in ("O", "I-PER"):
            b = bases[k]
            if b in KUNYA_LINKS and k + 1 < n and _plain(s, k + 1) and tags[k + 1] in ("O", "I-PER"):
                k += 2
            elif _plain(s, k) and not b.startswith("ال") and res.name_like(b) and b not in PER_TITLES:
                k += 1
            elif (
                _plain(s, k)
                and b.startswith("ال")
                and b not in PHRASE_STOP
                and count(b) < 200
                and res.name_like(b)
            ):
                k += 1
                break  # a definite surname ends the name
            else:
                break
        if k - j < 2 or (k < n and tags[k].startswith("I-")):
            continue
        tags[j] = "B-PER"
        for x in range(j + 1, k):
            tags[x] = "I-PER"
