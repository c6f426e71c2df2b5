"""The news lexicon (word counts and cluster ids from unlabelled news) with named columns, and the
lexicon-driven clitic split. ``LEXICON_COLUMNS`` is the file layout ``train_word_clusters.py``
writes; rows are read by field name, never by position."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import NamedTuple

from enricher.ner.tokens import ARABIC

NO_CLASS = "-"


class LexRow(NamedTuple):
    """One word of the lexicon: its news count and cluster ids (``-``: no vector).

    ``w*``: k-means classes of word2vec skip-gram vectors; ``f*``: of fastText char-n-gram
    vectors; ``h*``: one word2vec class hierarchy (Ward over 4096 k-means leaves; optional);
    ``v*``: large-window word2vec k-means (optional, experiments)."""

    freq: int
    w64: str = NO_CLASS
    w256: str = NO_CLASS
    w1024: str = NO_CLASS
    f256: str = NO_CLASS
    f1024: str = NO_CLASS
    h16: str = NO_CLASS
    h64: str = NO_CLASS
    h256: str = NO_CLASS
    h1024: str = NO_CLASS
    h4096: str = NO_CLASS
    v256: str = NO_CLASS
    v1024: str = NO_CLASS


LEXICON_COLUMNS = ("word", *LexRow._fields)
"""Column order of ``lexicon.tsv.gz`` (tab-separated, no header; trailing optional columns may be
absent)."""


class Lexicon:
    """word (feat_norm form) -> ``LexRow``."""

    def __init__(self, rows: dict[str, LexRow] | None = None):
        self.rows = rows or {}

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        rows: dict[str, LexRow] = {}
        if path.exists():
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                for line in fh:
                    parts = line.rstrip("\n").split("\t")
                    rows[parts[0]] = LexRow(int(parts[1]), *parts[2 : len(LEXICON_COLUMNS)])
        return cls(rows)

    def count(self, w: str) -> int:
        r = self.rows.get(w)
        return r.freq if r else 0


PREFIXES = (
    "وبال",
    "وكال",
    "فبال",
    "وال",
    "فال",
    "بال",
    "كال",
    "ولل",
    "فلل",
    "لل",
    "وب",
    "ول",
    "وك",
    "فب",
    "فل",
    "و",
    "ف",
    "ب",
    "ل",
    "ك",
)
_ALWAYS_STRIP = ("وبال", "وكال", "فبال", "وال", "فال", "بال", "كال", "ولل", "فلل", "لل")


def split_clitics(n: str, lex: Lexicon) -> tuple[str, str]:
    """Return (proclitics, base) of a feat_norm word; ``لل`` -> ``ال``; the article stays on base."""
    if len(n) < 3 or not ARABIC.match(n):
        return "", n
    own = lex.count(n)
    best, best_pre, best_count = n, "", own
    for p in PREFIXES:
        if not n.startswith(p) or len(n) - len(p) < 2:
            continue
        rest = n[len(p) :]
        if p.endswith("لل"):
            pre, base = p[:-1], "ا" + n[len(p) - 1 :]  # لل -> ل + ال
        elif p.endswith("ال"):
            pre, base = p[:-2], n[len(p) - 2 :]
        else:
            pre, base = p, rest
        if not pre:
            continue
        c = lex.count(base)
        if p in _ALWAYS_STRIP and len(base) >= 4 and own < 50:
            c = max(c, own + 1)
        # strip only when the shorter form is clearly the usual word
        if c > 2 * own + 2 and c > best_count:
            best, best_pre, best_count = base, pre, c
    return best_pre, best


def freq_bucket(c: int) -> str:
    """Coarse news frequency class of a word (a CRF feature)."""
    if c == 0:
        return "0"
    if c < 5:
        return "1"
    if c < 50:
        return "2"
    if c < 500:
        return "3"
    return "4"
