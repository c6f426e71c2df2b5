"""Arabic text normalisation shared by enrichment, dedup and search tests.

Why one module: the enricher's entity normal forms, the fetcher's near-duplicate
fingerprints and the search tests must agree on what "the same word" means.

Each step is a separate function so callers pick what fits (dedup wants all of
them; entity display forms keep hamza). ``normalize_arabic`` applies them all.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Harakat, tanwin, shadda, sukun, superscript alef, Quranic marks.
_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed]")
_TATWEEL = "\u0640"
_ALEF_FORMS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا"})
_HAMZA_CARRIERS = str.maketrans({"ؤ": "و", "ئ": "ي"})
_ALEF_MAQSURA = str.maketrans({"ى": "ي"})
_TA_MARBUTA = str.maketrans({"ة": "ه"})
_PERSIAN_LETTERS = str.maketrans(
    {"ی": "ي", "ې": "ي", "ۍ": "ي", "ک": "ك", "ڪ": "ك", "ە": "ه", "ھ": "ه", "ۀ": "ه"}
)
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_BIDI_CONTROLS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\ufeff]")
_ZERO_WIDTH = re.compile("[\u200b-\u200d]")
_SPACES = re.compile(r"\s+")


# The letter folds every matcher shares, one-to-one (so offsets found on folded text are valid on
# the original): alef forms, hamza on waw/ya, alef maqsura, ta marbuta, Persian letters.
_LETTER_FOLDS: dict[str, str] = {
    **{chr(k): str(v) for k, v in _ALEF_FORMS.items()},
    **{chr(k): str(v) for k, v in _HAMZA_CARRIERS.items()},
    **{chr(k): str(v) for k, v in _ALEF_MAQSURA.items()},
    **{chr(k): str(v) for k, v in _TA_MARBUTA.items()},
    **{chr(k): str(v) for k, v in _PERSIAN_LETTERS.items()},
}
_LETTER_TABLE = str.maketrans(_LETTER_FOLDS)
_LETTER_PAIRS = tuple(_LETTER_FOLDS.items())
_MARKS = re.compile(_DIACRITICS.pattern[:-1] + _TATWEEL + "]")


def fold_letters(text: str) -> str:
    """Fold the letters news sites spell either way (أ/ا, ى/ي, ة/ه, ئ/ي, ی/ي …); length-preserving.

    For matching fixed vocabularies (month names, boilerplate, tags) where offsets into the
    original matter; :func:`normalize_arabic` applies the same folds plus the rest.
    """
    return text.translate(_LETTER_TABLE)


def match_key(text: str) -> str:
    """The comparison key of a short line or label: marks and tatweel out, letters folded,
    whitespace squashed, casefolded (so «الأخبار», «الاخبار» and «الأخبـار» are one key).

    Runs once per element of a page, so it uses ``str.replace`` on the letters present, which
    is several times faster than ``translate`` on short strings.
    """
    text = _MARKS.sub("", text)
    for letter, folded in _LETTER_PAIRS:
        if letter in text:
            text = text.replace(letter, folded)
    return " ".join(text.split()).casefold()


_PRESENTATION = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]")


def fold_presentation_forms(text: str) -> str:
    """Map Arabic presentation forms (U+FB50–FEFF ligatures, contextual glyphs) to base letters.

    Old PDFs and some CMSs store glyphs, not letters; NFKC undoes that but also
    folds other compatibility characters, so it is applied only to those blocks.
    """
    if not _PRESENTATION.search(text):
        return text
    return "".join(
        unicodedata.normalize("NFKC", ch)
        if ("\ufb50" <= ch <= "\ufdff" or "\ufe70" <= ch <= "\ufefc")
        else ch
        for ch in text
    )


def strip_diacritics(text: str) -> str:
    return _DIACRITICS.sub("", text)


def strip_tatweel(text: str) -> str:
    return text.replace(_TATWEEL, "")


def normalize_alef(text: str) -> str:
    return text.translate(_ALEF_FORMS)


def normalize_hamza_carriers(text: str) -> str:
    return text.translate(_HAMZA_CARRIERS)


def normalize_alef_maqsura(text: str) -> str:
    return text.translate(_ALEF_MAQSURA)


def normalize_ta_marbuta(text: str) -> str:
    return text.translate(_TA_MARBUTA)


def normalize_persian_letters(text: str) -> str:
    return text.translate(_PERSIAN_LETTERS)


def to_western_digits(text: str) -> str:
    """Arabic-Indic (٠-٩) and Persian (۰-۹) digits to ASCII."""
    return text.translate(_DIGITS)


def strip_invisible(text: str) -> str:
    """Drop bidi controls and zero-width characters that break token matching."""
    return _ZERO_WIDTH.sub("", _BIDI_CONTROLS.sub("", text))


def _deletions() -> dict[int, None]:
    """Code points removed by normalisation: diacritics, tatweel, bidi controls, zero-width."""
    removed = (_DIACRITICS, _BIDI_CONTROLS, _ZERO_WIDTH)
    candidates = [*range(0x0600, 0x0700), *range(0x200B, 0x2070), 0xFEFF]
    return {cp: None for cp in candidates if chr(cp) == _TATWEEL or any(r.match(chr(cp)) for r in removed)}


def _combined_table(*, ta_marbuta: bool, hamza: bool) -> dict[int, str | int | None]:
    """One ``str.translate`` table equal to applying the steps below in order.

    Valid because no step maps a character into one that a later step changes.
    """
    table: dict[int, str | int | None] = dict(_deletions())
    for step in (
        _PERSIAN_LETTERS,
        _ALEF_MAQSURA,
        *((_HAMZA_CARRIERS, _ALEF_FORMS) if hamza else ()),
        *((_TA_MARBUTA,) if ta_marbuta else ()),
        _DIGITS,
    ):
        table.update(step)
    return table


_TABLES = {(t, h): _combined_table(ta_marbuta=t, hamza=h) for t in (True, False) for h in (True, False)}


def normalize_arabic(text: str, *, ta_marbuta: bool = True, hamza: bool = True) -> str:
    """Full normalisation for matching: forms, marks, letters, digits, whitespace.

    In order: presentation forms folded; invisible characters, tatweel and
    diacritics removed; Persian letters, alef maqsura, (hamza carriers and alef
    forms), (ta marbuta) and digits mapped; whitespace collapsed. One translate
    pass does all the per-character steps (hot path of enrichment and dedup).
    ``ta_marbuta``/``hamza`` can be switched off where the distinction matters
    (e.g. a display form of a name).
    """
    text = fold_presentation_forms(text).translate(_TABLES[(ta_marbuta, hamza)])
    return _SPACES.sub(" ", text).strip()


_ARABIC_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff]")


def arabic_ratio(text: str) -> float:
    """Share of letters that are Arabic-script letters (0.0 for text without letters)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if _ARABIC_LETTER.match(ch)) / len(letters)


# Proclitics of a name's first word: a conjunction (و ف), then a preposition (ب ك ل); ل before the
# article drops its alef (للعراق = ل + العراق).
_CONJUNCTIONS = ("و", "ف")
_PREPOSITIONS = ("ب", "ك", "ل")
_ARTICLE = "ال"
MIN_STEM_LETTERS = 3
"""A reading never leaves fewer letters than this (ES's clitic sub-field uses the same bound)."""


def fold_name(text: str) -> str:
    """The matching form of a name: ``normalize_arabic`` in full (hamza, alef maqsura, ta marbuta,
    tatweel, diacritics, digits, spaces) and casefolded (as ``match_key``), so ``ترامب``/``تْرامب`` and
    ``حماة``/``حماه`` are one string. Clitics are not stripped here: see :func:`proclitic_readings`."""
    return normalize_arabic(text).casefold()


def proclitic_readings(word: str) -> list[str]:
    """The ways to read a folded word with its proclitics removed, fewest removals first.

    ``وبالعراق`` → ``وبالعراق, بالعراق, العراق, عراق``; ``للحديدة`` → ``للحديدة, الحديدة, حديدة``.
    Which reading is right is not decided here: a caller looks each up in order and takes the
    first one it knows (a name table), so ``بيروت`` stays ``بيروت`` and ``لبنان`` stays ``لبنان``.
    """
    readings = [word]

    def add(reading: str) -> None:
        if len(reading) >= MIN_STEM_LETTERS and reading not in readings:
            readings.append(reading)

    stems = [word]
    if word[:1] in _CONJUNCTIONS and len(word) - 1 >= MIN_STEM_LETTERS:
        stems.append(word[1:])
    for stem in list(stems):
        if stem.startswith("لل") and len(stem) - 1 >= MIN_STEM_LETTERS:
            stems.append(_ARTICLE + stem[2:])
        elif stem[:1] in _PREPOSITIONS and len(stem) - 1 >= MIN_STEM_LETTERS:
            stems.append(stem[1:])
    for stem in stems[1:]:
        add(stem)
    for stem in stems:
        if stem.startswith(_ARTICLE):
            add(stem[len(_ARTICLE) :])
    return readings


# Light stemming: one leading article/conjunction cluster and one plural or pronoun suffix, each only
# when three letters stay. Input is already normalised (ة → ه, ى → ي).
_STEM_PREFIXES = ("وبال", "وال", "فال", "بال", "كال", "لل", "ال")
_STEM_SUFFIXES = ("يات", "ات", "ون", "ين", "ان", "ها", "هم", "هن", "كم", "نا", "يه", "ه", "ي")


@functools.lru_cache(maxsize=1 << 18)
def light_stem(token: str) -> str:
    """A normalised token without its article/conjunction and its plural or pronoun suffix.

    Crude on purpose: cheap, deterministic and the same in every stage (topic features, story
    fingerprints), so الحكومه and والحكومات meet at حكوم. Not a morphological analyser.
    """
    tok = token
    for p in _STEM_PREFIXES:
        if tok.startswith(p) and len(tok) - len(p) >= 3:
            tok = tok[len(p) :]
            break
    else:
        if tok[0] in "وفب" and len(tok) >= 5:
            tok = tok[1:]
    for s in _STEM_SUFFIXES:
        if tok.endswith(s) and len(tok) - len(s) >= 3:
            return tok[: -len(s)]
    return tok
