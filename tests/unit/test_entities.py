"""Canonical entities (D20): folding, the alias table, ISO codes and one article's grouping.

Spans are built by hand (not tagged), so these tests pin the grouping and the table, whatever
model the tagger ships.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from akhbar.arabic import fold_name, proclitic_readings
from akhbar.messages import EnrichedArticle, EntitySummary
from enricher.enrich import artifact_version, installed_model_versions
from enricher.entities import DATA_DIR, canonical_entities, default_table
from enricher.entities.table import ALIASES_FILE
from enricher.ner import Span, merge_mentions
from indexer.documents import to_document
from indexer.search import EntityFilter, SearchRequest, filters

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"


def span(surface: str, entity_type: str = "PER", normalized: str | None = None, at: int = 0) -> Span:
    return Span(at, at + len(surface), entity_type, surface, normalized or fold_name(surface), 0.9, surface)


def grouped(*spans: Span, title: tuple[Span, ...] = ()) -> list[tuple[str, str, str | None, int]]:
    ents = canonical_entities(merge_mentions(list(title), list(spans)), default_table())
    return [(e.type, e.key, e.iso, e.count) for e in ents]


def test_fold_name_folds_hamza_ya_ta_marbuta_tatweel_diacritics() -> None:
    assert fold_name("أَرْدُوغـــان") == fold_name("اردوغان") == "اردوغان"
    assert fold_name("حماة") == fold_name("حماه") == "حماه"
    assert fold_name("مصطفى") == fold_name("مصطفي") == "مصطفي"
    assert fold_name("المسؤول  عن الجائزة") == "المسوول عن الجايزه"
    assert fold_name("Albert Einstein") == "albert einstein"


def test_proclitic_readings_fewest_removals_first() -> None:
    assert proclitic_readings("وبالعراق") == ["وبالعراق", "بالعراق", "العراق", "عراق"]
    assert proclitic_readings("للحديده") == ["للحديده", "الحديده", "حديده"]
    assert proclitic_readings("فلبنان") == ["فلبنان", "لبنان", "بنان"]
    assert proclitic_readings("وكيف") == ["وكيف", "كيف"]  # never fewer than three letters left
    assert proclitic_readings("بري") == ["بري"]


@pytest.mark.parametrize(
    ("entity_type", "spelling", "key"),
    [
        ("PER", "ترمب", "PER:دونالد ترامب"),
        ("PER", "ترامب", "PER:دونالد ترامب"),
        ("PER", "دونالد ترمب", "PER:دونالد ترامب"),
        ("PER", "الرئيس ترامب", "PER:دونالد ترامب"),
        ("PER", "وترمب", "PER:دونالد ترامب"),
        ("PER", "إردوغان", "PER:رجب طيب اردوغان"),
        ("PER", "رجب طيب أردوغان", "PER:رجب طيب اردوغان"),
        ("PER", "نتانياهو", "PER:بنيامين نتنياهو"),
        ("PER", "غوتيريس", "PER:انطونيو غوتيريش"),
        ("PER", "أبو مازن", "PER:محمود عباس"),
        ("PER", "يحيى السنوار", "PER:يحيي السنوار"),
        ("PER", "يحيي السنوار", "PER:يحيي السنوار"),
        ("PER", "اسامه ابن لادن", "PER:اسامة بن لادن"),  # a corpus variant (ANERcorp)
        ("ORG", "الامم المتحده", "ORG:الامم المتحدة"),
        ("ORG", "حلف الناتو", "ORG:حلف شمال الاطلسي"),
        ("ORG", "تنظيم الدولة الإسلامية", "ORG:داعش"),
        ("LOC", "سورية", "LOC:سوريا"),
        ("LOC", "بسوريا", "LOC:سوريا"),
        ("LOC", "جمهورية مصر العربية", "LOC:مصر"),
        ("LOC", "الامارات العربية المتحدة", "LOC:الامارات"),
        ("LOC", "أميركا", "LOC:الولايات المتحدة"),
        ("LOC", "للحديدة", "LOC:الحديدة"),
    ],
)
def test_variants_resolve_to_one_canonical_key(entity_type: str, spelling: str, key: str) -> None:
    found = default_table().lookup(entity_type, spelling)
    assert found is not None and found.key == key


@pytest.mark.parametrize(
    ("entity_type", "spelling"),
    [
        ("PER", "الأسد"),  # بشار / حافظ
        ("PER", "كلينتون"),  # بيل / هيلاري
        ("PER", "الحريري"),  # سعد / رفيق
        ("PER", "عباس"),  # a first name too (عباس عراقجي)
        ("PER", "مبارك"),  # a first name in the corpora
        ("PER", "بن سلمان"),  # a patronymic is no family name
        ("LOC", "عمان"),  # عمّان JO / عُمان OM
        ("LOC", "طرابلس"),  # LB / LY
        ("PER", "سوريا"),  # types are kept apart
        ("PER", "جون سميث"),  # unknown
    ],
)
def test_ambiguous_and_unknown_spellings_resolve_to_nothing(entity_type: str, spelling: str) -> None:
    assert default_table().lookup(entity_type, spelling) is None


@pytest.mark.parametrize(
    ("spelling", "key", "iso"),
    [
        ("سوريا", "LOC:سوريا", "SY"),
        ("مصر", "LOC:مصر", "EG"),
        ("السعودية", "LOC:السعودية", "SA"),
        ("المملكة العربية السعودية", "LOC:السعودية", "SA"),
        ("الإمارات", "LOC:الامارات", "AE"),
        ("العراق", "LOC:العراق", "IQ"),
        ("الولايات المتحدة الأمريكية", "LOC:الولايات المتحدة", "US"),
        ("فلسطين", "LOC:فلسطين", "PS"),
        ("ألمانيا", "LOC:المانيا", "DE"),
        ("اليابان", "LOC:اليابان", "JP"),
        ("تونس", "LOC:تونس", "TN"),  # country and capital: both TN
        ("دمشق", "LOC:دمشق", "SY"),
        ("حلب", "LOC:حلب", "SY"),
        ("القاهرة", "LOC:القاهرة", "EG"),
        ("بغداد", "LOC:بغداد", "IQ"),
        ("الموصل", "LOC:الموصل", "IQ"),
        ("بيروت", "LOC:بيروت", "LB"),
        ("غزة", "LOC:غزة", "PS"),
        ("الرياض", "LOC:الرياض", "SA"),
        ("دبي", "LOC:دبي", "AE"),
        ("واشنطن", "LOC:واشنطن", "US"),  # a capital is a city, not its country
        ("باريس", "LOC:باريس", "FR"),
        ("طوكيو", "LOC:طوكيو", "JP"),
        ("القدس", "LOC:القدس", None),  # disputed status: no code on purpose
    ],
)
def test_countries_and_cities_carry_iso_codes(spelling: str, key: str, iso: str | None) -> None:
    found = default_table().lookup("LOC", spelling)
    assert found is not None and (found.key, found.iso) == (key, iso)


def test_full_name_and_later_partial_mentions_are_one_person() -> None:
    body = (span("دونالد ترامب"), span("ترامب", at=40), span("ترامب", normalized="ترامب", at=80))
    assert grouped(*body, title=(span("الرئيس ترامب"),)) == [("PER", "PER:دونالد ترامب", None, 4)]


def test_spelling_variants_in_one_article_are_one_person() -> None:
    assert grouped(span("دونالد ترامب"), span("ترمب", at=30), span("ترامب", at=60)) == [
        ("PER", "PER:دونالد ترامب", None, 3)
    ]


def test_unknown_full_name_takes_its_family_name() -> None:
    # not in the table: the article itself joins them, and the key is D10's normal form
    assert grouped(
        span("خالد أبو زيد", normalized="خالد ابو زيد"), span("أبو زيد", normalized="ابو زيد", at=40)
    ) == [("PER", "PER:خالد ابو زيد", None, 2)]


def test_family_name_typed_as_a_place_joins_the_person() -> None:
    ents = grouped(span("سمير القنطاري"), span("القنطاري", "LOC", at=30), span("لبنان", "LOC", at=50))
    assert ents == [("PER", "PER:سمير القنطاري", None, 2), ("LOC", "LOC:لبنان", "LB", 1)]


def test_a_real_place_is_never_taken_for_a_family_name() -> None:
    # حلب is in the table as a city, so it stays a place even after a name ending with it
    assert grouped(span("محمد حلب"), span("حلب", "LOC", at=30)) == [
        ("LOC", "LOC:حلب", "SY", 1),
        ("PER", "PER:محمد حلب", None, 1),
    ]


def test_a_family_name_of_two_full_names_stays_apart() -> None:
    ents = grouped(span("بشار الأسد"), span("حافظ الأسد", at=20), span("الأسد", at=40))
    assert sorted(ents) == [
        ("PER", "PER:الاسد", None, 1),
        ("PER", "PER:بشار الاسد", None, 1),
        ("PER", "PER:حافظ الاسد", None, 1),
    ]


def test_variants_of_a_ta_marbuta_and_hamza_join_within_an_article() -> None:
    assert grouped(span("علي حمزة", normalized="علي حمزة"), span("حمزه", normalized="حمزه", at=20)) == [
        ("PER", "PER:علي حمزة", None, 2)
    ]


def test_index_document_keys_and_iso_are_canonical() -> None:
    summaries = [
        EntitySummary(
            type="PER",
            name="دونالد ترامب",
            normalized="دونالد ترامب",
            count=3,
            confidence=0.9,
            key="PER:دونالد ترامب",
        ),
        EntitySummary(
            type="LOC", name="سوريا", normalized="سورية", count=1, confidence=0.9, key="LOC:سوريا", iso="SY"
        ),
        EntitySummary(
            type="ORG", name="البنك", normalized="البنك", count=1, confidence=0.9
        ),  # enriched before D20
    ]
    article = EnrichedArticle.model_validate(
        {
            "id": "a" * 32,
            "url": "https://x.example/a",
            "source": "s",
            "title": "t",
            "body": "b",
            "fetched_at": "2026-12-02T00:00:00Z",
            "revision": 1,
            "language": {"code": "ar", "script": "Arab", "confidence": 1.0},
            "entities": [s.model_dump() for s in summaries],
        }
    )
    doc = to_document(article)
    assert doc["entity_keys"] == ["LOC:سوريا", "ORG:البنك", "PER:دونالد ترامب"]
    assert doc["entity_iso"] == ["SY"]
    assert [e["key"] for e in doc["entities"]] == ["PER:دونالد ترامب", "LOC:سوريا", "ORG:البنك"]


def test_search_entity_filter_resolves_a_variant_through_the_table() -> None:
    assert EntityFilter.parse("PER:ترمب").keys == ["PER:دونالد ترامب"]
    assert EntityFilter.parse("سورية").keys == ["LOC:سوريا"]
    assert EntityFilter.parse("PER:جون سميث").keys == []
    (nested,) = filters(SearchRequest(entities=(EntityFilter.parse("PER:ترمب"),)))
    should = nested["nested"]["query"]["bool"]["filter"][1]["bool"]["should"]
    assert should[0] == {"terms": {"entities.key": ["PER:دونالد ترامب"]}}


def test_entities_version_is_the_hash_of_the_data_folder() -> None:
    assert installed_model_versions()["entities"] == artifact_version(DATA_DIR)


def test_shipped_alias_table_was_built_from_the_shipped_seed() -> None:
    """Holds on every machine, with or without the corpora: an edited seed or title list needs a rebuild."""
    header = [line for line in ALIASES_FILE.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    for name in ("seed.tsv", "titles.txt"):
        digest = hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest()
        assert any(line.startswith(f"# {name} sha256 {digest}") for line in header), (
            f"{name} changed since aliases.tsv was built: run `make entity-aliases`"
        )


@pytest.mark.skipif(
    not (SHARED_DATA / "ner" / "train.conll").exists(),
    reason=f"a full rebuild reads the NER corpora, not on this machine ({SHARED_DATA}); "
    "test_shipped_alias_table_was_built_from_the_shipped_seed still checks the seed",
)
def test_shipped_alias_table_equals_a_fresh_build() -> None:
    """The table is generated: edit seed.tsv and rerun the script, never the table."""
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_entity_aliases.py"),
            "--check",
            "--data-dir",
            str(SHARED_DATA),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = ALIASES_FILE.read_text(encoding="utf-8").splitlines()
    rows = [line for line in lines if not line.startswith("#")][1:]
    (summary,) = [line for line in lines if " aliases of " in line]
    assert summary.startswith(f"# {len(rows)} aliases of ")
    assert len(rows) == len(default_table())


def test_corpus_names_join_a_seed_person_only_as_a_spelling_of_one_of_its_forms() -> None:
    table = default_table()
    # found in the corpora: ابن for بن, the rest as written in the seed
    found = table.lookup("PER", "اسامه ابن لادن")
    assert found is not None and found.key == "PER:اسامة بن لادن"
    # same first and last words as محمد حسني مبارك, but a patronymic: another person
    other = table.lookup("PER", "محمد بن مبارك")
    assert other is None or other.key != "PER:حسني مبارك"
