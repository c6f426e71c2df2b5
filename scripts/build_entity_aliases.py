"""Build the canonical-entity alias table ``services/enricher/entities/data/aliases.tsv``.

    python scripts/build_entity_aliases.py [--data-dir ../shared/data] [--out …/aliases.tsv] [--check]

Deterministic: the same seed, babel (CLDR) version and corpora give a byte-identical file, whose
header records all three. ``--check`` builds in memory and exits 1 when the shipped file differs.

Sources, in order of authority:
1. ``data/seed.tsv`` (hand-curated): canonical names, kinds, ISO codes, variants.
2. CLDR through babel (build-time only; the runtime reads the built file): the Arabic name of every
   ISO 3166-1 region (``Locale('ar').territories``) and the Arabic exemplar city of every time zone
   with its country (``zone_territories``).
3. The NER corpora (``ner/train.conll``, ``ner/newsfane_train.conll``; read, never copied): PER spans
   of 2–4 words are *known full names*. One whose first and last words (folded, titles and the
   first word's proclitics off) are those of exactly one seed person is a variant of that person; a
   name seen at least twice that matches no seed person is a person of its own.
4. The family-name rule: a person's surname (the last word; two words after أبو/عبد or before
   الله/الدين) becomes an alias when no other known full name ends with it, it is never a corpus
   name's first word and never a LOC/ORG of the corpora; otherwise it maps to nothing. A person
   found only in the corpora also needs the corpora to use the surname alone (a PER span) twice.

Two canonical entities claiming one (type, folded spelling) make it ambiguous: it is left out
(listed in the header's count), except that a country wins over a city of the same country code
(تونس the country and the city are both TN). Folding is ``akhbar.arabic.fold_name``, the one folding.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "services"))

from akhbar.arabic import fold_name, proclitic_readings  # noqa: E402
from enricher.entities.table import (  # noqa: E402
    ALIAS_COLUMNS,
    ALIASES_FILE,
    DATA_DIR,
    entity_key,
    read_lines,
    strip_titles,
)

SEED_FILE = DATA_DIR / "seed.tsv"
CORPORA = ("ner/train.conll", "ner/newsfane_train.conll")
TYPES = {"person": "PER", "org": "ORG", "country": "LOC", "city": "LOC"}
# CLDR region codes that are not ISO 3166-1 assignments (groupings, exceptional reservations).
NOT_ISO_3166_1 = frozenset(
    {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB", "XK", "AC", "CP", "CQ", "DG", "EA", "IC", "TA"}
)
TZ_AREAS = frozenset({"Africa", "America", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"})
SURNAME_JOINERS_BEFORE = frozenset({"ابو", "عبد", "ام", "بو"})
PATRONYMIC = frozenset({"بن", "ابن", "بنت"})  # X بن Y: Y is the father, not a family name
_ORDINAL_WORDS = "الأول الثاني الثالث الرابع الخامس السادس السابع الثامن التاسع العاشر"
ORDINALS = frozenset(fold_name(w) for w in _ORDINAL_WORDS.split(" "))
SURNAME_JOINERS_AFTER = frozenset({"الله", "الدين"})
CORPUS_PERSON_MIN_COUNT = 2
CORPUS_SURNAME_ALONE_MIN = 2
SURNAME_MIN_LETTERS = 3
# Where an alias came from, most authoritative first (a tie on one spelling keeps the first).
SOURCES = ("seed", "cldr-territory", "cldr-city", "corpus-variant", "corpus-person", "surname")


@dataclass
class Canon:
    kind: str
    name: str
    code: str
    forms: dict[str, str] = field(default_factory=dict)  # folded spelling → source
    surname: str = ""  # "" = derive, "-" = none

    @property
    def type(self) -> str:
        return TYPES[self.kind]

    @property
    def key(self) -> str:
        return entity_key(self.type, self.name)

    def add(self, spelling: str, source: str) -> None:
        folded = " ".join(fold_name(spelling).split())
        if folded and folded not in self.forms:
            self.forms[folded] = source


def read_seed(path: Path = SEED_FILE) -> list[Canon]:
    canons: list[Canon] = []
    lines = read_lines(path)
    assert lines[0].split("\t") == ["kind", "canonical", "code", "surname", "variants"], lines[0]
    for line in lines[1:]:
        kind, name, code, surname, variants = (line.split("\t") + [""] * 5)[:5]
        canon = Canon(kind, name, code, surname=surname)
        for spelling in [name, *filter(None, variants.split("|"))]:
            canon.add(spelling, "seed")
        canons.append(canon)
    return canons


def cldr_countries(canons: list[Canon]) -> list[Canon]:
    """Seed countries gain CLDR's name as a variant; every other ISO region becomes a country."""
    from babel import Locale

    by_code = {c.code: c for c in canons if c.kind == "country"}
    added = []
    for code, name in sorted(Locale("ar").territories.items()):
        if len(code) != 2 or not code.isalpha() or code in NOT_ISO_3166_1:
            continue
        name = name.split(" (")[0].strip()
        canon = by_code.get(code)
        if canon is None:
            canon = Canon("country", name, code)
            added.append(canon)
        canon.add(name, "cldr-territory")
    return added


def cldr_cities(canons: list[Canon]) -> list[Canon]:
    """Exemplar cities of time zones (``Area/City`` zones only: not ``America/Indiana/Knox``)."""
    from babel import Locale
    from babel.core import get_global

    zone_territories = get_global("zone_territories")
    # a seed city overrides CLDR's of its name when it has no code (القدس) or the same one; with
    # another code both stay, and the name is ambiguous (طرابلس LB / LY)
    seeded = {form: c.code for c in canons if c.kind == "city" for form in c.forms}
    added: dict[str, Canon] = {}
    for zone, names in sorted(Locale("ar").time_zones.items()):
        area, _, rest = zone.partition("/")
        city, code = names.get("city"), zone_territories.get(zone)
        if area not in TZ_AREAS or "/" in rest or not city or not code or code in NOT_ISO_3166_1:
            continue
        if any(ch in city for ch in "،,()"):
            continue
        folded = fold_name(city)
        if (seeded.get(folded, code) in ("", code) and folded in seeded) or folded in added:
            continue
        canon = Canon("city", city, code)
        canon.add(city, "cldr-city")
        added[folded] = canon
    return list(added.values())


def conll_spans(path: Path) -> Iterator[tuple[str, list[str]]]:
    """(type, tokens) of every IOB chunk of a ``token<TAB>tag`` file."""
    cur_type: str | None = None
    cur: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        token, _, tag = line.partition("\t")
        if not tag or tag == "O" or tag.startswith("B-") or (cur_type and tag[2:] != cur_type):
            if cur_type:
                yield cur_type, cur
            cur_type, cur = None, []
        if tag and tag != "O":
            cur_type = tag[2:]
            cur.append(token)
    if cur_type:
        yield cur_type, cur


def _name_words(tokens: Iterable[str]) -> list[str]:
    words = [fold_name(t) for t in tokens]
    if not all(w and all(ch.isalpha() for ch in w) for w in words):
        return []
    return strip_titles(words)


def surname_of(words: list[str]) -> list[str]:
    """The family name of a folded full name: its last word, or two words with a joiner."""
    if len(words) < 2 or words[-2] in PATRONYMIC or words[-1] in ORDINALS:
        return []
    if len(words) >= 2 and (words[-2] in SURNAME_JOINERS_BEFORE or words[-1] in SURNAME_JOINERS_AFTER):
        return words[-2:]
    return words[-1:]


@dataclass
class Corpus:
    full_names: Counter[tuple[str, ...]] = field(default_factory=Counter)
    surfaces: dict[tuple[str, ...], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    first_words: set[str] = field(default_factory=set)
    other_types: set[str] = field(default_factory=set)  # folded LOC/ORG spans
    alone: Counter[str] = field(default_factory=Counter)  # PER spans that are a surname alone (الدويك)


def read_corpora(data_dir: Path) -> tuple[Corpus, list[tuple[str, str]]]:
    corpus = Corpus()
    digests = []
    for rel in CORPORA:
        path = data_dir / rel
        digests.append((rel, hashlib.sha256(path.read_bytes()).hexdigest()))
        for span_type, tokens in conll_spans(path):
            if span_type in ("LOC", "ORG"):
                corpus.other_types.add(" ".join(fold_name(t) for t in tokens))
                continue
            if span_type != "PER":
                continue
            words = _name_words(tokens)
            if words and (len(words) == 1 or surname_of(words) == words):
                corpus.alone[" ".join(words)] += 1
            if 2 <= len(words) <= 4 and surname_of(words) != words:  # أبو الغيط alone is no full name
                corpus.full_names[tuple(words)] += 1
                corpus.surfaces[tuple(words)][" ".join(tokens[len(tokens) - len(words) :])] += 1
                corpus.first_words.add(words[0])
    return corpus, digests


_SAME_WORD = {"ابن": "بن"}  # اسامة ابن لادن = أسامة بن لادن


def _is_subsequence(short: list[str], long: list[str]) -> bool:
    it = iter(long)
    return all(word in it for word in short)


def _variant_of(form: list[str], singles: set[str], first: str, words: tuple[str, ...]) -> bool:
    """A corpus name is a spelling of a seed form: same first word, same (or a listed) last word,
    and the form's middle words in order, with any added ones not a patronymic (جورج دبليو بوش is
    جورج بوش; محمد بن مبارك is not محمد حسني مبارك)."""
    if form[0] != first or (form[-1] != words[-1] and words[-1] not in singles):
        return False
    middle = [_SAME_WORD.get(w, w) for w in words[1:-1]]
    form_middle = [_SAME_WORD.get(w, w) for w in form[1:-1]]
    added = [w for w in middle if w not in form_middle]
    return _is_subsequence(form_middle, middle) and not any(w in PATRONYMIC for w in added)


def corpus_people(canons: list[Canon], corpus: Corpus) -> tuple[list[Canon], dict[tuple[str, ...], Canon]]:
    """Corpus full names as variants of seed people (one seed person matches) or new people."""
    people = [c for c in canons if c.kind == "person"]
    forms = []
    for i, person in enumerate(people):
        singles = {f for f in person.forms if " " not in f}
        for form in person.forms:
            words = strip_titles(form.split())
            if len(words) >= 2:
                forms.append((words, singles, i))
    owner: dict[tuple[str, ...], Canon] = {}
    added = []
    for words, count in sorted(corpus.full_names.items()):
        hits: set[int] = set()
        reading = words[0]
        for first in proclitic_readings(words[0]):
            found = {i for form, singles, i in forms if _variant_of(form, singles, first, words)}
            if found:
                hits, reading = found, first
                break
        if len(hits) == 1:
            person = people[hits.pop()]
            person.add(" ".join([reading, *words[1:]]), "corpus-variant")
            owner[words] = person
        elif not hits and count >= CORPUS_PERSON_MIN_COUNT:
            surface = sorted(corpus.surfaces[words].items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
            person = Canon("person", surface, "")
            person.add(surface, "corpus-person")
            added.append(person)
            owner[words] = person
    return added, owner


def add_surnames(canons: list[Canon], corpus: Corpus, owner: dict[tuple[str, ...], Canon]) -> None:
    """The family-name rule: a surname (or a single-word variant) kept only when unambiguous."""
    people = [c for c in canons if c.kind == "person"]
    claimed: dict[str, set[str]] = defaultdict(set)  # folded surname → keys of full names ending so
    for person in people:
        for form in person.forms:
            words = strip_titles(form.split())
            for n in (1, 2):
                if len(words) > n:
                    claimed[" ".join(words[-n:])].add(person.key)
    for words in corpus.full_names:
        person = owner.get(words)
        key = person.key if person else "corpus:" + " ".join(words)
        for n in (1, 2):
            if len(words) > n:
                claimed[" ".join(words[-n:])].add(key)

    def only_theirs(name: str, person: Canon) -> bool:
        return claimed.get(name, {person.key}) == {person.key}

    def unambiguous(surname: str, person: Canon) -> bool:
        return (
            len(surname.replace(" ", "")) >= SURNAME_MIN_LETTERS
            and only_theirs(surname, person)
            and surname not in corpus.first_words
            and surname not in corpus.other_types
        )

    for person in people:
        # a hand-listed one-word variant (ترمب, صدام) is trusted unless another full name ends with it
        for single in [f for f, src in person.forms.items() if " " not in f and src == "seed"]:
            if not only_theirs(single, person):
                del person.forms[single]
        if person.surname == "-":
            continue
        words = strip_titles(fold_name(person.surname or person.name).split())
        surname = " ".join(words if person.surname else surname_of(words))
        # a corpus person (no one chose them) needs the corpora to use the surname alone, twice
        from_corpus = person.forms.get(fold_name(person.name)) == "corpus-person"
        if from_corpus and corpus.alone[surname] < CORPUS_SURNAME_ALONE_MIN:
            continue
        if surname and unambiguous(surname, person):
            person.add(surname, "surname")


def alias_rows(canons: list[Canon]) -> tuple[list[tuple[str, ...]], list[str]]:
    """One row per unambiguous (type, folded spelling); the ambiguous spellings."""
    claims: dict[tuple[str, str], list[Canon]] = defaultdict(list)
    for canon in canons:
        for form in canon.forms:
            claims[(canon.type, form)].append(canon)
    rows = []
    ambiguous = []
    for (entity_type, form), owners in sorted(claims.items()):
        keys = {f"{c.key}/{c.code or '-'}" for c in owners}  # عمّان JO and عمان OM share a key, not an iso
        if len(keys) > 1:
            countries = [c for c in owners if c.kind == "country"]
            if len(countries) == 1 and all(c.code == countries[0].code for c in owners):
                owners = countries
            else:
                ambiguous.append(f"{entity_type}:{form} ({', '.join(sorted(keys))})")
                continue
        canon = min(owners, key=lambda c: SOURCES.index(c.forms[form]))
        rows.append((entity_type, form, canon.key, canon.name, canon.code, canon.forms[form]))
    return rows, ambiguous


def build(data_dir: Path) -> str:
    import babel

    canons = read_seed()
    canons += cldr_countries(canons)
    canons += cldr_cities(canons)
    corpus, digests = read_corpora(data_dir)
    added, owner = corpus_people(canons, corpus)
    canons += added
    add_surnames(canons, corpus, owner)
    rows, ambiguous = alias_rows(canons)
    seed_digest = hashlib.sha256(SEED_FILE.read_bytes()).hexdigest()
    titles_digest = hashlib.sha256((DATA_DIR / "titles.txt").read_bytes()).hexdigest()
    header = [
        "# Built by scripts/build_entity_aliases.py: do not edit (edit seed.tsv and rebuild).",
        f"# seed.tsv sha256 {seed_digest}",
        f"# titles.txt sha256 {titles_digest}; babel {babel.__version__} (CLDR)",
        *(f"# {rel} sha256 {digest}" for rel, digest in digests),
        f"# {len(rows)} aliases of {len({r[2] for r in rows})} entities;"
        f" {len(ambiguous)} ambiguous spellings left out:",
        *(f"#   {a}" for a in ambiguous),
        "\t".join(ALIAS_COLUMNS),
    ]
    return "\n".join([*header, *("\t".join(r) for r in rows)]) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=ALIASES_FILE)
    ap.add_argument("--check", action="store_true", help="exit 1 when --out differs from a fresh build")
    args = ap.parse_args(argv)
    text = build(args.data_dir)
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'DIFFERS from a fresh build'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(next(line for line in text.splitlines() if " aliases of " in line).lstrip("# "))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
