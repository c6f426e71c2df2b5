"""Hand-listed multi-word names as data: places (``data/places.tsv``: kind, name) and well-known
organisations (``data/organisations.tsv``: name, descriptor), matched over token sequences."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from enricher.ner.tokens import feat_norm, norms

DATA = Path(__file__).resolve().parent / "data"
_PHRASE_PROCLITICS = ("وب", "ول", "فب", "فل", "و", "ف", "ب", "ل")
_MISS = ("", "")


def read_tsv(path: Path) -> list[dict[str, str]]:
    """Rows of a tab-separated data file with a header line, as dicts by column name."""
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


class PhraseTable:
    """Multi-word names: first token -> its phrases as token tuples, longest first; which token
    starts one is memoised per token string."""

    def __init__(self, names: Iterable[str]) -> None:
        self.phrases: dict[str, list[tuple[str, ...]]] = {}
        # a leading "~": the first word must be there but is not part of the name (~حركة حماس)
        self.context: set[tuple[str, ...]] = set()
        for name in sorted(set(names)):
            ph = tuple(feat_norm(t) for t in name.lstrip("~").split())
            self.phrases.setdefault(ph[0], []).append(ph)
            if name.startswith("~"):
                self.context.add(ph)
        for v in self.phrases.values():
            v.sort(key=len, reverse=True)
        self.max_len = max(len(p) for v in self.phrases.values() for p in v)
        self._memo: dict[str, tuple[str, str] | None] = {}  # token -> key(), bounded

    def key(self, tok: str, base: str, pre: str) -> tuple[str, str] | None:
        """(first token of a phrase, proclitics) for a token, or None. The lexicon-driven clitic
        split keeps unknown words whole (ولاتفيا), so the usual proclitics are also tried."""
        if base in self.phrases:
            return base, pre
        n = feat_norm(tok)
        if n in self.phrases:
            return n, ""
        for p in _PHRASE_PROCLITICS:
            if n.startswith(p) and n[len(p) :] in self.phrases:
                return n[len(p) :], p
        return None

    def starts(
        self, toks: Sequence[str], bases: list[str], splits: list[tuple[str, str]]
    ) -> list[tuple[int, str, str]]:
        """(position, key, proclitics) of every token that starts a listed phrase."""
        memo = self._memo
        get = memo.get
        out = []
        for i in [i for i, t in enumerate(toks) if get(t, _MISS) is not None]:
            hit = get(toks[i], _MISS)
            if hit is _MISS:
                if len(memo) > 100_000:
                    memo.clear()
                hit = memo[toks[i]] = self.key(toks[i], bases[i], splits[i][0])
            if hit is not None:
                out.append((i, hit[0], hit[1]))
        return out

    def match(self, toks: Sequence[str], i: int, key: str) -> tuple[int, int]:
        """(start, end) of the name in the longest listed phrase starting at ``i``; end 0: none."""
        norms_ = tuple(feat_norm(t) for t in toks[i + 1 : i + self.max_len])
        for phrase in self.phrases[key]:
            if norms_[: len(phrase) - 1] == phrase[1:]:
                return (i + 1 if phrase in self.context else i), i + len(phrase)
        return i, 0


_place_rows = read_tsv(DATA / "places.tsv")


def _places(*kinds: str) -> list[str]:
    return [r["name"] for r in _place_rows if r["kind"] in kinds]


PLACES = PhraseTable(_places("countries", "capitals", "cities", "regions"))
"""Countries, capitals, big cities and regions (one LOC each; see rules/places.py)."""
STATES = frozenset(tuple(feat_norm(t) for t in e.split()) for e in _places("countries", "capitals"))
# cities and regions (not states or capitals): an ORG chunk over one is a club named after it
CITY_PHRASES = (
    frozenset(tuple(feat_norm(t) for t in e.split()) for e in _places("cities", "regions")) - STATES
)
AMBIGUOUS_PLACES = norms(_places("ambiguous"))
"""Place names that are also ordinary words or given names (مالي, صوفيا, مسقط)."""
ORGANISATIONS = PhraseTable(
    ("~" + r["descriptor"] + " " + r["name"]) if r["descriptor"] else r["name"]
    for r in read_tsv(DATA / "organisations.tsv")
)
"""Well-known organisations; a descriptor (حركة in حركة حماس) must precede but is not the name."""
