"""The alias table: a spelling of a name (folded) → its canonical key, display name and ISO code.

Read from ``data/aliases.tsv``, which ``scripts/build_entity_aliases.py`` builds (deterministically)
from the hand seed ``data/seed.tsv``, CLDR's Arabic names (babel) and the NER corpora. The runtime
needs none of those sources: it only reads the built file, and its hash is the ``entities`` model
version of every document.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from akhbar.arabic import fold_name, normalize_arabic, proclitic_readings

DATA_DIR = Path(__file__).parent / "data"
ALIASES_FILE = DATA_DIR / "aliases.tsv"
TITLES_FILE = DATA_DIR / "titles.txt"
ALIAS_COLUMNS = ("type", "alias", "key", "name", "iso", "source")


@dataclass(frozen=True, slots=True)
class Canonical:
    """What a spelling resolves to: ``key`` is ``TYPE:normal form`` of the canonical name."""

    type: str
    key: str
    name: str
    iso: str | None


def entity_key(entity_type: str, name: str) -> str:
    """``TYPE:`` + D10's normal form (hamza folded, ta marbuta kept): the form of every entity key."""
    return f"{entity_type}:{normalize_arabic(name, ta_marbuta=False)}"


def read_lines(path: Path) -> list[str]:
    """The data lines of a word list (``#`` comments and blank lines dropped)."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@cache
def titles() -> tuple[tuple[str, ...], ...]:
    """Folded titles as word tuples, longest first (``آية الله`` before ``الله``-free ones)."""
    words = {tuple(fold_name(t).split()) for t in read_lines(TITLES_FILE)}
    return tuple(sorted(words, key=lambda w: (-len(w), w)))


def strip_titles(words: list[str]) -> list[str]:
    """A folded person's name without the titles before it (``الرئيس ترامب`` → ``ترامب``)."""
    changed = True
    while changed and len(words) > 1:
        changed = False
        for title in titles():
            if len(words) > len(title) and tuple(words[: len(title)]) == title:
                words, changed = words[len(title) :], True
                break
    return words


class AliasTable:
    """Lookups by (type, folded spelling); a first word's proclitics are tried off one by one."""

    def __init__(self, rows: dict[tuple[str, str], Canonical]) -> None:
        self._rows = rows
        self._by_key = {c.key: c for c in rows.values()}

    @classmethod
    def load(cls, path: Path = ALIASES_FILE) -> AliasTable:
        rows: dict[tuple[str, str], Canonical] = {}
        for line in read_lines(path):
            if line == "\t".join(ALIAS_COLUMNS):
                continue
            entity_type, alias, key, name, iso, _source = line.split("\t")
            rows[(entity_type, alias)] = Canonical(entity_type, key, name, iso or None)
        return cls(rows)

    def __len__(self) -> int:
        return len(self._rows)

    def folded_words(self, entity_type: str, name: str) -> list[str]:
        """The name's matching words: folded, and for a person without leading titles."""
        words = fold_name(name).split()
        return strip_titles(words) if entity_type == "PER" else words

    def lookup(self, entity_type: str, name: str) -> Canonical | None:
        """The canonical entity a spelling names, or None (unknown or ambiguous)."""
        words = self.folded_words(entity_type, name)
        if not words:
            return None
        for first in proclitic_readings(words[0]):
            found = self._rows.get((entity_type, " ".join([first, *words[1:]])))
            if found is not None:
                return found
        return None

    def lookup_any(self, name: str) -> list[Canonical]:
        """Every type's reading of a spelling (a search filter without a type), in type order."""
        found = (self.lookup(t, name) for t in ("PER", "LOC", "ORG", "MISC"))
        return [c for c in found if c is not None]

    def by_key(self, key: str) -> Canonical | None:
        return self._by_key.get(key)


@cache
def default_table() -> AliasTable:
    """The shipped table, loaded once per process (the enricher and the search tool share it)."""
    return AliasTable.load()
