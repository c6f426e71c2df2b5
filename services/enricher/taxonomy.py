"""Akhbar's fixed topic taxonomy and the Arabic/English section-name table.

Pure module (no faust, no model): the enricher, the indexer's mapping and the
tests all read the same codes from here.

Codes are stable English identifiers; they are what goes into messages and the
search index. The Arabic label is for display. Adding a code is a contract
change (index mapping, dashboards); renaming one is not allowed.

Section names that sources put on their pages (``<meta property=
"article:section">``, breadcrumbs, RSS ``<category>``) are strong evidence of
the topic when they name a topic (سياسة, رياضة, اقتصاد...), weak evidence when
they name a *region* desk (عربي ودولي, الشرق الأوسط: mostly political news, see
the model card), and no evidence when they name a generic desk (أخبار محلية,
منوعات, آخر الأخبار). :func:`section_evidence` does the normalised lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from akhbar.arabic import normalize_arabic


@dataclass(frozen=True, slots=True)
class Topic:
    code: str
    label_ar: str
    label_en: str
    description: str


# Order is the canonical order (used for model outputs and tie-breaking).
TOPICS: tuple[Topic, ...] = (
    Topic(
        "politics",
        "سياسة",
        "Politics",
        "Government, parliament, parties, elections, diplomacy, international relations, "
        "armed conflict, terrorism and security operations, human rights and press freedom.",
    ),
    Topic(
        "economy",
        "اقتصاد",
        "Economy",
        "Macro-economy, finance, markets, companies, trade, energy and oil, prices, budgets, jobs.",
    ),
    Topic("sports", "رياضة", "Sports", "Competitions, clubs, athletes, transfers, federations."),
    Topic(
        "culture",
        "ثقافة",
        "Culture",
        "Literature, cinema, music, theatre, visual arts, heritage, festivals, entertainment, celebrities.",
    ),
    Topic(
        "technology",
        "تكنولوجيا",
        "Technology",
        "Technology and science: internet, telecoms, devices, software, AI, space, scientific research.",
    ),
    Topic(
        "health",
        "صحة",
        "Health",
        "Medicine, diseases and epidemics, public health, health services, nutrition, medical studies.",
    ),
    Topic(
        "religion",
        "دين",
        "Religion",
        "Religious practice and institutions, religious occasions (Ramadan, Hajj, Eid), fatwas, clergy.",
    ),
    Topic(
        "society",
        "مجتمع",
        "Society",
        "Daily life and social issues: crime and courts of ordinary cases, accidents, protests over "
        "living conditions, education, family, women and youth, local services.",
    ),
)

TOPIC_CODES: tuple[str, ...] = tuple(t.code for t in TOPICS)
TOPIC_BY_CODE: dict[str, Topic] = {t.code: t for t in TOPICS}
ARABIC_LABELS: dict[str, str] = {t.code: t.label_ar for t in TOPICS}

# Evidence weights of a section name (probability-like, combined with the model by noisy-OR).
STRONG = 0.9  # a topical desk: سياسة, رياضة ...
MEDIUM = 0.6  # a desk that is usually but not always that topic (علوم, حوادث, رمضان)
WEAK = 0.35  # a region desk: عربي ودولي, الشرق الأوسط → politics (about 4 in 5 such articles)

# Section name → (code, weight). Written naturally; keys are normalised at import time,
# so spelling variants (أ/ا, ة/ه, ى/ي, with or without ال / أخبار) match.
_SECTION_TABLE_RAW: dict[str, tuple[str, float] | None] = {
    # politics
    "سياسة": ("politics", STRONG),
    "سياسي": ("politics", STRONG),
    "أخبار سياسية": ("politics", STRONG),
    "الشأن السياسي": ("politics", STRONG),
    "سياسة محلية": ("politics", STRONG),
    "سياسة دولية": ("politics", STRONG),
    "انتخابات": ("politics", STRONG),
    "برلمان": ("politics", STRONG),
    "دبلوماسية": ("politics", STRONG),
    "حريات": ("politics", MEDIUM),
    "حقوق وحريات": ("politics", MEDIUM),
    "حقوق الإنسان": ("politics", MEDIUM),
    "أمن": ("politics", MEDIUM),
    "عسكري": ("politics", MEDIUM),
    "politics": ("politics", STRONG),
    "political": ("politics", STRONG),
    "elections": ("politics", STRONG),
    # region desks: weak politics evidence (model card: mapping of international/middle_east)
    "عربي ودولي": ("politics", WEAK),
    "عربي": ("politics", WEAK),
    "عرب": ("politics", WEAK),
    "دولي": ("politics", WEAK),
    "دولية": ("politics", WEAK),
    "عالم": ("politics", WEAK),
    "العالم": ("politics", WEAK),
    "عالمي": ("politics", WEAK),
    "شؤون دولية": ("politics", WEAK),
    "أخبار العالم": ("politics", WEAK),
    "أخبار دولية": ("politics", WEAK),
    "أخبار عربية": ("politics", WEAK),
    "الشرق الأوسط": ("politics", WEAK),
    "الوطن العربي": ("politics", WEAK),
    "international": ("politics", WEAK),
    "world": ("politics", WEAK),
    "middle east": ("politics", WEAK),
    # economy
    "اقتصاد": ("economy", STRONG),
    "اقتصادي": ("economy", STRONG),
    "أخبار اقتصادية": ("economy", STRONG),
    "مال وأعمال": ("economy", STRONG),
    "المال والأعمال": ("economy", STRONG),
    "اقتصاد وأعمال": ("economy", STRONG),
    "أعمال": ("economy", STRONG),
    "مال": ("economy", STRONG),
    "أسواق": ("economy", STRONG),
    "بورصة": ("economy", STRONG),
    "بنوك": ("economy", STRONG),
    "طاقة": ("economy", MEDIUM),
    "نفط": ("economy", STRONG),
    "عقارات": ("economy", STRONG),
    "economy": ("economy", STRONG),
    "business": ("economy", STRONG),
    "finance": ("economy", STRONG),
    "markets": ("economy", STRONG),
    # sports
    "رياضة": ("sports", STRONG),
    "رياضي": ("sports", STRONG),
    "أخبار رياضية": ("sports", STRONG),
    "كرة القدم": ("sports", STRONG),
    "كرة قدم": ("sports", STRONG),
    "ملاعب": ("sports", STRONG),
    "كأس العالم": ("sports", STRONG),
    "دوري": ("sports", STRONG),
    "sport": ("sports", STRONG),
    "sports": ("sports", STRONG),
    "football": ("sports", STRONG),
    # culture
    "ثقافة": ("culture", STRONG),
    "ثقافي": ("culture", STRONG),
    "ثقافة وفنون": ("culture", STRONG),
    "فن وثقافة": ("culture", STRONG),
    "فنون": ("culture", STRONG),
    "فن": ("culture", STRONG),
    "فن ومشاهير": ("culture", STRONG),
    "مشاهير": ("culture", STRONG),
    "أدب": ("culture", STRONG),
    "سينما": ("culture", STRONG),
    "مسرح": ("culture", STRONG),
    "موسيقى": ("culture", STRONG),
    "كتب": ("culture", STRONG),
    "ترفيه": ("culture", STRONG),
    "culture": ("culture", STRONG),
    "arts": ("culture", STRONG),
    "entertainment": ("culture", STRONG),
    # technology (science included, as in ASND's science-and-technology)
    "تكنولوجيا": ("technology", STRONG),
    "تقنية": ("technology", STRONG),
    "تقنيات": ("technology", STRONG),
    "تقني": ("technology", STRONG),
    "علوم وتكنولوجيا": ("technology", STRONG),
    "علوم وتقنية": ("technology", STRONG),
    "تكنولوجيا المعلومات": ("technology", STRONG),
    "اتصالات": ("technology", STRONG),
    "إنترنت": ("technology", STRONG),
    "علوم": ("technology", MEDIUM),
    "علم": ("technology", MEDIUM),
    "technology": ("technology", STRONG),
    "tech": ("technology", STRONG),
    "science": ("technology", MEDIUM),
    # health
    "صحة": ("health", STRONG),
    "صحي": ("health", STRONG),
    "صحة وطب": ("health", STRONG),
    "الصحة والطب": ("health", STRONG),
    "طب": ("health", STRONG),
    "طب وصحة": ("health", STRONG),
    "health": ("health", STRONG),
    "medicine": ("health", STRONG),
    # religion
    "دين": ("religion", STRONG),
    "ديني": ("religion", STRONG),
    "دين ودنيا": ("religion", STRONG),
    "إسلاميات": ("religion", STRONG),
    "أديان": ("religion", STRONG),
    "فتاوى": ("religion", STRONG),
    "رمضان": ("religion", MEDIUM),
    "religion": ("religion", STRONG),
    # society
    "مجتمع": ("society", STRONG),
    "اجتماعي": ("society", STRONG),
    "قضايا المجتمع": ("society", STRONG),
    "حوادث": ("society", MEDIUM),
    "حوادث وقضايا": ("society", MEDIUM),
    "جريمة": ("society", MEDIUM),
    "تعليم": ("society", STRONG),
    "تربية وتعليم": ("society", STRONG),
    "أسرة": ("society", STRONG),
    "المرأة": ("society", STRONG),
    "society": ("society", STRONG),
    "education": ("society", STRONG),
    # desks that say nothing about the topic: known, deliberately unmapped
    "أخبار محلية": None,
    "محليات": None,
    "محلي": None,
    "وطني": None,
    "أخبار وطنية": None,
    "جهات": None,
    "منوعات": None,
    "متفرقات": None,
    "آخر الأخبار": None,
    "أخبار": None,
    "عاجل": None,
    "تقارير": None,
    "رأي": None,
    "مقالات": None,
    "local": None,
    "news": None,
    "misc": None,
}

_NON_WORD = re.compile(r"[^\w]+")
# Generic heads that do not change the desk's meaning: "أخبار الرياضة" = "رياضة".
_GENERIC_HEADS = frozenset({"اخبار", "قسم", "news"})


def _key_token(tok: str) -> str:
    # Drop the article (and a conjunction before it): الرياضه / والفنون -> رياضه / فنون.
    for prefix in ("وال", "ال"):
        if tok.startswith(prefix) and len(tok) - len(prefix) >= 2:
            return tok[len(prefix) :]
    if tok.startswith("و") and len(tok) > 3:  # "ثقافة وفنون": the و of a joined word
        return tok[1:]
    return tok


def section_key(name: str) -> str:
    """Normalised lookup key of a section / tag name (akhbar.arabic normalisation, article dropped)."""
    text = normalize_arabic(name).lower()
    toks = [_key_token(t) for t in _NON_WORD.sub(" ", text).replace("_", " ").split()]
    return " ".join(toks)


SECTION_TABLE: dict[str, tuple[str, float] | None] = {
    section_key(k): v for k, v in _SECTION_TABLE_RAW.items()
}


def section_evidence(name: str) -> tuple[str, float] | None:
    """(code, weight) for a source's section/tag name, or None if it names no topic.

    Exact normalised match first; then the name without generic heads ("أخبار", "قسم");
    then the longest table entry contained in it as whole words ("أخبار الرياضة العربية").
    """
    key = section_key(name)
    if not key:
        return None
    if key in SECTION_TABLE:
        return SECTION_TABLE[key]
    toks = key.split()
    stripped = [t for t in toks if t not in _GENERIC_HEADS]
    if stripped and stripped != toks:
        skey = " ".join(stripped)
        if skey in SECTION_TABLE:
            return SECTION_TABLE[skey]
    best: tuple[int, tuple[str, float] | None] | None = None
    padded = f" {key} "
    for entry, value in SECTION_TABLE.items():
        if value is None or f" {entry} " not in padded:
            continue
        n = len(entry.split())
        if best is None or n > best[0] or (n == best[0] and value[1] > (best[1] or ("", 0.0))[1]):
            best = (n, value)
    return best[1] if best else None


def source_tag_evidence(tags: list[str]) -> dict[str, float]:
    """Per-code evidence from all tags of one article (max weight per code)."""
    out: dict[str, float] = {}
    for tag in tags:
        ev = section_evidence(tag)
        if ev is not None:
            code, weight = ev
            if weight > out.get(code, 0.0):
                out[code] = weight
    return out
