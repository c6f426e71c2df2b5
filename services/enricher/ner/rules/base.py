"""What every rule reads and changes: one sentence's tokens, tags and clitic splits (``Sentence``)
and the tagger's read-only resources (``Resources``), plus the rule word lists of
``data/rule_words.json`` (the rules' own copies, never the CRF's feature lists)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from enricher.ner.lexicon import NO_CLASS, Lexicon
from enricher.ner.tokens import feat_norm, norms

RULE_WORDS_FILE = Path(__file__).resolve().parents[1] / "data" / "rule_words.json"


def _load_words(path: Path) -> dict[str, frozenset[str]]:
    return {k: norms(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}


W = _load_words(RULE_WORDS_FILE)
"""Rule word lists in matching form (``feat_norm``)."""
RAW_WORDS: dict[str, list[str]] = json.loads(RULE_WORDS_FILE.read_text(encoding="utf-8"))
"""The same lists as written (for the lists compared in written form: ``function_words``)."""
PER_TITLES = W["per_titles"]
ORG_HEADS = W["org_heads"]
LOC_TRIGGERS = W["loc_triggers"]
WORLD_LOC = W["world_loc"]
NAME_LINKS = W["name_links"]
PHRASE_STOP = W["phrase_stop"]  # words with ال that end a name phrase (الذي, اليوم, السابق)
RULE_TITLES = PER_TITLES | W["extra_titles"]  # the title rules also know feminine forms
ABD = feat_norm("عبد")
BISM = feat_norm("باسم")
ISM = feat_norm("اسم")
BI_UNWAN = feat_norm("بعنوان")
QUOTE_OPEN = frozenset({'"', "«", "'", "“"})
QUOTE_CLOSE = frozenset({'"', "»", "'", "”"})


def is_nisba(base: str) -> bool:
    """A definite relational adjective (السوري, العربية): ال…ي / ال…يه."""
    return base.startswith("ال") and len(base) > 4 and base.endswith(("ي", "يه"))


@dataclass
class Sentence:
    """One sentence as the rules see it; rules change ``tags`` in place."""

    toks: Sequence[str]
    tags: list[str]
    splits: list[tuple[str, str]]  # (proclitics, base) of every token
    bases: list[str]


class Resources:
    """Read-only evidence the rules may consult: the news lexicon, the training gazetteer and the
    person-name evidence derived from them."""

    def __init__(self, lex: Lexicon, gaz: dict[str, str]) -> None:
        self.lex = lex
        self.gaz = gaz
        self._class_share: dict[str, float] | None = None

    def name_like(self, base: str) -> bool:
        """A training-gazetteer person, a word class of names, or a word too rare for a vector."""
        if self.gaz.get(base) == "PER":
            return True
        share = self.per_share(base)
        return share >= 0.34 if share is not None else self.lex.count(base) < 3

    def per_share(self, base: str) -> float | None:
        """Share of person names among the training-gazetteer words of a word's h256 class (None:
        no class, or fewer than 3 gazetteer words in it): name evidence for the title rules."""
        if self._class_share is None:
            per: dict[str, int] = {}
            tot: dict[str, int] = {}
            for w, typ in self.gaz.items():
                r = self.lex.rows.get(w)
                if r is not None and r.h256 != NO_CLASS:
                    tot[r.h256] = tot.get(r.h256, 0) + 1
                    per[r.h256] = per.get(r.h256, 0) + (typ == "PER")
            self._class_share = {c: per[c] / t for c, t in tot.items() if t >= 3}
        r = self.lex.rows.get(base)
        if r is None or r.h256 == NO_CLASS:
            return None
        return self._class_share.get(r.h256)


RuleFn = Callable[[Sentence, Resources], None]

PLACE_VETO_PREV = ORG_HEADS | W["place_veto_prev_extra"]  # صحيفة القدس, منتخب قطر, نادي الرياض
PLACE_VETO_NEXT = W["place_veto_next"]  # مسقط رأس = birthplace
PLACE_CONTEXT = W["place_context"]
CURRENCIES = W["currencies"]
CURRENCY_VETO_NEXT = W["currency_veto_next"]  # ريال مدريد is a club
CLUB_PREFIXES = W["club_prefixes"]
VENUE_HEADS = W["venue_heads"]
RELATIVES = W["relatives"]
ADVERBS = W["adverbs"]
TITLE_NAMES = W["title_names"]  # also given names: a title only before a definite word
NO_TRIM = W["no_trim"]  # أمين الجميل, معالي زايد; ANERcorp keeps البابا in the name
TITLE_PREPS = W["title_preps"]
MASC_BODY_ADJ = W["masc_body_adj"]
BODY_ADJ = W["body_adj"]
GENERIC_BODY = W["generic_body"]  # مجلس الإدارة = board of directors, رئاسة الوفد
RULE_ORG_HEADS = W["rule_org_heads"]
ORDINALS = W["ordinals"]
ROYAL_TITLES = W["royal_titles"]
QUOTED_NAME_HEADS = {
    **dict.fromkeys(W["quoted_misc_heads"], "MISC"),
    **dict.fromkeys(W["quoted_org_heads"], "ORG"),
}
