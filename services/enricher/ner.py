"""Arabic named-entity recognition for the enricher (pure inference, no faust/Kafka).

Model: a linear-chain CRF (python-crfsuite) over hand-written features plus
semi-supervised word clusters learnt from unlabelled Arabic news (k-means over
word2vec skip-gram and fastText char-n-gram vectors, see
``scripts/train_word_clusters.py``), a phrase gazetteer harvested from the same news
with trigger patterns (``نادي X``, ``شركة X``, ``سيارة X`` ...), document-context
features (trigger contexts of the same word elsewhere in the document),
document-level label propagation, and a small
rule layer for the political-news cases the ANERcorp annotation does not cover
(ministries/councils, ``بن``/``آل`` name chains, unseen transliterated names after a
title). See ``models/ner/MODEL_CARD.md``.

Public API::

    tagger = NerTagger.load()            # default: enricher/models/ner/
    spans = tagger.tag("...")            # list[Span] with char offsets into the text
    ents = tagger.article_entities(title, body)   # merged per-article entities with counts

Normal form (``Span.normalized``): ``normalize_arabic(..., ta_marbuta=False)``
(alef/hamza forms -> ا, ى -> ي, diacritics/tatweel/bidi removed, ة kept), then the
leading proclitics of the *first* token are stripped: conjunction و/ف and
preposition ب/ل/ك; ``لل`` becomes ``ال``; the article ``ال`` itself is kept
(``وبغداد`` -> ``بغداد``, ``للأمم المتحدة`` -> ``الامم المتحدة``, ``بالعراق`` -> ``العراق``).
A prefix is stripped only when the lexicon (word counts from news) says the
shorter form is the usual word (so ``بغداد``, ``لبنان``, ``واشنطن`` stay whole).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from akhbar.arabic import normalize_arabic
from enricher import organisations, places
from enricher.crf_decode import CrfModel

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models" / "ner"
RULES_VERSION = "5"
"""Bump when the rules (``NerTagger._apply_rules``), their word lists or propagation change: it is
part of the NER model version in documents, since the artifact hash does not see code."""
ENTITY_TYPES = ("PER", "LOC", "ORG", "MISC")

_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u0640"
# number with a decimal/thousands separator | word (letters, digits, marks, optional %) | one punct. char
TOKEN_RE = re.compile(rf"\d+(?:[.,\u066b]\d+)+%?|[\w{_MARKS}]+%?|[^\w\s{_MARKS}]")
_SENT_END = frozenset({".", "!", "?", "؟", "…"})
_ARABIC = re.compile("[\u0621-\u064a]")
_LATIN = re.compile("[A-Za-z]")
_ARABIC_WORD = re.compile(f"[\u0621-\u064a{_MARKS}]+")


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Split text into (token, start, end); punctuation is split off, clitics stay attached."""
    return [(m.group(), m.start(), m.end()) for m in TOKEN_RE.finditer(text)]


@lru_cache(maxsize=200_000)
def feat_norm(tok: str) -> str:
    """Matching form used for features and the lexicon (full ``normalize_arabic``)."""
    return normalize_arabic(tok)


def _norms(words: Iterable[str]) -> frozenset[str]:
    return frozenset(feat_norm(w) for w in words)


def _norm_words(words: str) -> frozenset[str]:
    """Whitespace-separated word list -> set of matching forms."""
    return _norms(words.split())


# ---------------------------------------------------------------- trigger lexicons
PER_TITLES = _norm_words(
    """الرئيس رئيس رئيسة الملك ملك الملكة الأمير أمير الأميرة الشيخ شيخ الشيخة الوزير وزير وزيرة نائب
    النائب السيد السيدة السيدتين الدكتور الدكتورة د الفريق اللواء العميد العقيد المقدم الرائد النقيب
    المشير الجنرال الأدميرال المستشار المستشارة السفير سفير السفيرة الأمين أمين المتحدث الناطق المبعوث
    مبعوث المندوب مندوب الإمام البابا الحاخام القاضي القاضية ولي سمو السمو معالي فخامة سعادة جلالة
    الزعيم زعيم المرشد السلطان سلطان المدير مدير المديرة قائد القائد مستشار الممثل الأستاذ المهندس
    المحامي الشاعر الكاتب الروائي الصحفي الصحافي المراسل اللاعب المدرب الفنان الفنانة المطرب المطربة
    الحاج الشهيد الراحل المرحوم الكاردينال الأسقف المطران البطريرك عاهل العاهل حاكم الحاكم المفتي المرجع
    الخليفة رئيسها رئيسه المحافظ محافظ النائبة البروفيسور الباحث الخبير السناتور السيناتور عضو العضو
    المرشح المرشحة الرئيسين"""
)
ORG_HEADS = _norm_words(
    """وزارة الوزارة مجلس المجلس حزب الحزب جامعة الجامعة شركة الشركة وكالة الوكالة منظمة المنظمة الجيش جيش
    هيئة الهيئة رئاسة حركة الحركة جبهة الجبهة اتحاد الاتحاد مؤسسة المؤسسة بنك البنك مصرف المصرف صندوق
    الصندوق لجنة اللجنة جمعية الجمعية نقابة النقابة محكمة المحكمة برلمان البرلمان الكونغرس الكونجرس مكتب
    المكتب دائرة مديرية المديرية قيادة القيادة أركان الحرس الشرطة شرطة جهاز الجهاز مركز المركز معهد
    المعهد أكاديمية الأكاديمية نادي النادي منتدى المنتدى تحالف التحالف ائتلاف الائتلاف كتلة الكتلة تنظيم
    التنظيم صحيفة الصحيفة جريدة قناة القناة إذاعة الإذاعة مجموعة المجموعة الحكومة حكومة الأمم مفوضية
    المفوضية سلطة السلطة بعثة البعثة كلية الكلية مجمع المجمع غرفة الغرفة وحدة الوحدة قوات القوات الحرس
    ديوان الديوان"""
)
LOC_TRIGGERS = _norm_words(
    """مدينة المدينة العاصمة عاصمة محافظة المحافظة ولاية الولاية إقليم الإقليم منطقة المنطقة بلدة البلدة
    قرية القرية دولة جزيرة الجزيرة جزر نهر بحر البحر خليج جبل جبال مقاطعة المقاطعة شمال جنوب شرق غرب
    شمالي جنوبي شرقي غربي وسط حي مخيم ميناء مطار ضواحي ضاحية قضاء ناحية بلاد أراضي حدود سواحل"""
)
# Sovereign states, capitals and a few big cities / regions (hand list, not from the corpus).
WORLD_LOC = _norm_words(
    """مصر السعودية الأردن العراق سوريا سورية لبنان فلسطين الإمارات قطر البحرين الكويت عمان سلطنة اليمن
    ليبيا تونس الجزائر المغرب موريتانيا السودان الصومال جيبوتي جزر القمر إيران تركيا إسرائيل أفغانستان
    باكستان الهند الصين اليابان روسيا أوكرانيا بيلاروسيا فرنسا ألمانيا بريطانيا إنجلترا إنكلترا إسبانيا
    إيطاليا البرتغال اليونان هولندا بلجيكا سويسرا النمسا السويد النرويج الدنمارك فنلندا بولندا المجر
    رومانيا بلغاريا صربيا كرواتيا البوسنة ألبانيا قبرص أمريكا أميركا الولايات كندا المكسيك البرازيل
    الأرجنتين تشيلي كولومبيا فنزويلا بيرو كوبا أستراليا نيوزيلندا إندونيسيا ماليزيا الفلبين تايلاند
    فيتنام كوريا بنغلاديش سريلانكا نيبال أذربيجان أرمينيا جورجيا كازاخستان أوزبكستان تركمانستان
    طاجيكستان قرغيزستان إثيوبيا إريتريا كينيا نيجيريا أوغندا تنزانيا رواندا الكونغو أنغولا جنوب إفريقيا
    أفريقيا السنغال مالي النيجر تشاد الكاميرون غانا ساحل العاج زيمبابوي موزمبيق مدغشقر أيرلندا إيرلندا
    اسكتلندا التشيك سلوفاكيا سلوفينيا ليتوانيا لاتفيا إستونيا مولدوفا آيسلندا لوكسمبورغ مالطا القاهرة
    الرياض عمان بغداد دمشق بيروت القدس رام الله غزة أبوظبي دبي الدوحة المنامة الكويت مسقط صنعاء عدن
    طرابلس تونس الجزائر الرباط الدار البيضاء نواكشوط الخرطوم مقديشو طهران أنقرة إسطنبول اسطنبول كابول
    إسلام آباد نيودلهي بكين طوكيو موسكو كييف كييف باريس برلين لندن مدريد روما لشبونة أثينا أمستردام
    بروكسل جنيف فيينا ستوكهولم أوسلو كوبنهاغن هلسنكي وارسو بودابست بوخارست صوفيا بلغراد واشنطن نيويورك
    أوتاوا مكسيكو برازيليا بوينس آيرس كانبيرا جاكرتا كوالالمبور مانيلا بانكوك هانوي سيول باكو يريفان
    تبليسي أديس أبابا أسمرة نيروبي أبوجا لاغوس داكار الموصل البصرة أربيل كركوك حلب حمص إدلب درعا الرقة
    دير الزور حماة اللاذقية صيدا صور طرابلس نابلس الخليل جنين أريحا بيت لحم تل أبيب حيفا يافا الإسكندرية
    أسوان جدة مكة المدينة المنورة الطائف الدمام بنغازي مصراتة سرت وهران قسنطينة الدار فاس مراكش طنجة
    الضفة الغربية القطاع سيناء الجولان كردستان دارفور القرم الخليج أوروبا آسيا"""
)
# tokens that end an ORG head phrase even though they start with ال
_PHRASE_STOP = _norm_words(
    """الذي التي الذين اللذين اللتين اللواتي اللاتي الآن اليوم أمس الأمس غدا الماضي الماضية المقبل المقبلة
    الجاري الجارية الحالي الحالية الأسبوع الشهر العام السنة الأحد الاثنين الثلاثاء الأربعاء الخميس
    الجمعة السبت الى إلا الا التي الأخير الأخيرة الأول الأولى صباح مساء
    البالغ البالغة التابع التابعة المشارك المشاركة المعني المعنية المختص المختصة المكلف المكلفة
    المنعقد المنعقدة المقرر المقررة الطارئ الطارئة السابق السابقة الجديد الجديدة
    الأسبوعي الأسبوعية اليومي اليومية الشهري الشهرية السنوي السنوية"""
)
RULE_ORG_HEADS = _norms(
    ["وزارة", "مجلس", "هيئة", "رئاسة", "مفوضية", "البنك", "بنك", "المصرف", "مصرف", "منظمة", "جامعة"]
)
# complements that make a generic body, not a named one (مجلس الإدارة = board of directors,
# رئاسة الوفد = heading the delegation)
_GENERIC_BODY = _norms(["الإدارة", "الأمناء", "الأعمال", "الشعب", "الوفد"])
ORDINALS = _norms(
    ["الأول", "الثاني", "الثالث", "الرابع", "الخامس", "السادس", "السابع", "الثامن", "التاسع", "العاشر"]
)
ROYAL_TITLES = _norms(["الملك", "الملكة", "ملك", "ملكة", "البابا", "السلطان", "الإمبراطور", "الامبراطور"])
NAME_LINKS = _norms(["بن", "بنت", "ابن", "آل", "أبو", "أبي", "أبا", "ولد"])
_ABD = feat_norm("عبد")
# the title rules also know feminine forms the CRF's trigger list lacks
_RULE_TITLES = PER_TITLES | _norm_words(
    "المتحدثة الناطقة المبعوثة المندوبة الأمينة الممثلة متحدثة ناطقة المفوض المفوضة العماد"
)
_TITLE_PREPS = _norm_words("إلى الى لدى")
_CURRENCIES = _norm_words(
    """دولار دولارا دولارات الدولار يورو اليورو جنيه جنيها جنيهات الجنيه درهم دراهم الدرهم ريال ريالا
    ريالات الريال دينار دينارا دنانير الدينار ليرة ليرات الليرة شيكل شواكل الشيكل اليوان روبل
    الروبل فرنك فرنكات الفرنك روبية الروبية"""
)
_CURRENCY_VETO_NEXT = _norm_words("مدريد بيتيس سرقسطة مايوركا سوسيداد")  # ريال مدريد is a club
_TITLE_NAMES = _norm_words("شيخ سلطان أمير")  # also given names: a title only before a definite word
_NO_TRIM = _norm_words("أمين معالي البابا")  # أمين الجميل, معالي زايد; ANERcorp keeps البابا in the name
_PHRASE_PROCLITICS = ("وب", "ول", "فب", "فل", "و", "ف", "ب", "ل")
_MISS = ("", "")
_VENUE_HEADS = _norm_words("استاد ستاد ملعب")
_QUOTED_NAME_HEADS = {
    **dict.fromkeys(_norm_words("برنامج برنامجا برنامجها برنامجه البرنامج"), "MISC"),
    **dict.fromkeys(_norm_words("صحيفة جريدة مجلة صحيفتا"), "ORG"),
}
_WORDISH = re.compile(r"\w")
_BI_UNWAN = feat_norm("بعنوان")
# words that name a sports club when a place follows (دينامو كييف, أولمبيك آسفي)
_CLUB_PREFIXES = _norm_words(
    """دينامو سسكا سبارتاك لوكوموتيف شاختار زينيت ستيوا رابيد أيك ايك أسيك اسيك أولمبيك اولمبيك
    أتلتيكو اتلتيكو ديبورتيفو سبورتنغ سبورتينغ بوروسيا أينتراخت اينتراخت هابوعيل مكابي بيتار
    حسنية مولودية شبيبة"""
)
_RELATIVES = _norm_words(
    "مواطنه مواطنها زميله زميلها شقيقه شقيقها نجله نجلها ابنه ابنها زوجته زوجها والده والدها "
    "مدربه مدربها مساعده مساعدها نائبه نائبها نظيره نظيرها خليفته سلفه"
)
_ADVERBS = _norm_words("آنذاك حينذاك حينها أيضا كذلك حاليا سابقا لاحقا")
_QUOTE_OPEN = frozenset({'"', "«", "'", "“"})
_QUOTE_CLOSE = frozenset({'"', "»", "'", "”"})


class _PhraseTable:
    """Hand-listed multi-word names (countries and capitals, organisations): first token -> its
    phrases as token tuples, longest first; which token starts one is memoised per token string."""

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
        norms = tuple(feat_norm(t) for t in toks[i + 1 : i + self.max_len])
        for phrase in self.phrases[key]:
            if norms[: len(phrase) - 1] == phrase[1:]:
                return (i + 1 if phrase in self.context else i), i + len(phrase)
        return i, 0


_PLACES = _PhraseTable(
    [
        *places.entries(places.COUNTRIES),
        *places.entries(places.CAPITALS),
        *places.entries(places.CITIES),
        *places.entries(places.REGIONS),
    ]
)
# cities and regions (not states or capitals): an ORG chunk over one is a club named after it, left alone
_STATES = frozenset(
    tuple(feat_norm(t) for t in e.split())
    for e in (*places.entries(places.COUNTRIES), *places.entries(places.CAPITALS))
)
_CITY_PHRASES = (
    frozenset(
        tuple(feat_norm(t) for t in e.split())
        for e in (*places.entries(places.CITIES), *places.entries(places.REGIONS))
    )
    - _STATES
)
_ORGANISATIONS = _PhraseTable(places.entries(organisations.ORGANISATIONS))
_AMBIGUOUS_PLACES = _norms(places.entries(places.AMBIGUOUS))
_PLACE_CONTEXT = _norm_words(
    "في إلى الى من عن على بين نحو حتى عاصمة العاصمة مدينة المدينة مطار جمهورية دولة زار يزور وصل"
)
_O_OR_LOC = frozenset({"O", "B-LOC", "I-LOC"})
_MASC_BODY_ADJ = _norm_words("العام الأعلى الأول")
_BODY_ADJ = _norm_words("العام العامة الأعلى العليا الكبرى المتحدة المستقلة المشتركة الموحدة")
_PLACE_VETO_NEXT = _norm_words("رأس راس رأسه راسه رأسها")  # مسقط رأس = birthplace
# a place after these names something else: صحيفة القدس, منتخب قطر, نادي الرياض
_PLACE_VETO_PREV = ORG_HEADS | _norm_words("منتخب المنتخب فريق الفريق جريدة صحيفة مجلة قائد حارس شباك بطل")


def _is_nisba(base: str) -> bool:
    return base.startswith("ال") and len(base) > 4 and base.endswith(("ي", "يه"))


_BISM = feat_norm("باسم")
_ISM = feat_norm("اسم")

_PREFIXES = (
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
_LINE_RE = re.compile(r"[^\n]+")
_BOS: tuple[str, ...] = ("BOS",)
_EOS: tuple[str, ...] = ("EOS",)
_NONE: tuple[str, ...] = ()
_DREP = ["drep"]
_PART_OFFSETS = (-1, -2, 1, 2)  # an entry's shifted lists e[6..9]: f"{offset}:{feature}"
_NOLIST: list[str] = []  # feature slots of a compact entry (NerTagger._compact_entries); never mutated
_NODICT: dict[int, list[str]] = {}

MAX_CACHED_WORDS = 150_000
"""Words whose feature weights the tagger keeps (~1 KB each); then the cache starts again."""

# Cached per-word entry (see ``FeatureExtractor._entry``): (word features, shifted window features
# by offset, clitic-split base, trigger types, usable for document context, ``["bias", *feats]``,
# window features as seen from the next word (-1), the word after it (-2), the previous word (1)
# and the one before it (2), proclitics, trigger types + "2", base starts with the article).
_Entry = tuple[
    list[str],
    dict[int, list[str]],
    str,
    tuple[str, ...],
    bool,
    list[str],
    list[str],
    list[str],
    list[str],
    list[str],
    str,
    tuple[str, ...],
    bool,
]


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    type: str
    surface: str
    normalized: str
    confidence: float


@dataclass
class Entity:
    type: str
    normalized: str
    count: int
    surfaces: list[str] = field(default_factory=list)
    in_title: bool = False
    confidence: float = 0.0


class Lexicon:
    """word (feat_norm form) -> (count, w64, w256, w1024, f256, f1024) from unlabelled news.

    ``w*``: k-means clusters of word2vec skip-gram vectors (``-`` if none), ``f*``: of
    fastText char-n-gram vectors; optional further columns (used when listed in the
    gazetteer's ``lex_feats``): ``h16 h64 h256 h1024 h4096`` (one word2vec class hierarchy,
    ``"h"``) and ``v256 v1024`` (large-window word2vec, ``"v"``).
    """

    def __init__(self, rows: dict[str, tuple] | None = None):
        self.rows = rows or {}

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        rows: dict[str, tuple] = {}
        if path.exists():
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                for line in fh:
                    parts = line.rstrip("\n").split("\t")
                    rows[parts[0]] = (int(parts[1]), *parts[2:])
        return cls(rows)

    def count(self, w: str) -> int:
        r = self.rows.get(w)
        return r[0] if r else 0


def _split_clitics(n: str, lex: Lexicon) -> tuple[str, str]:
    """Return (proclitics, base) of a feat_norm word; ``لل`` -> ``ال``; the article stays on base."""
    if len(n) < 3 or not _ARABIC.match(n):
        return "", n
    own = lex.count(n)
    best, best_pre, best_count = n, "", own
    for p in _PREFIXES:
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


def _freq_bucket(c: int) -> str:
    if c == 0:
        return "0"
    if c < 5:
        return "1"
    if c < 50:
        return "2"
    if c < 500:
        return "3"
    return "4"


class FeatureExtractor:
    """Per-word features (cached) combined over a +-2 window."""

    WINDOW_KEYS: tuple[str, ...] = (
        "w=",
        "b=",
        "st=",
        "c1=",
        "c2=",
        "c3=",
        "f3=",
        "T=",
        "W=",
        "g=",
        "sh=",
        "pre=",
        "nis",
        "link",
        "ag=",
    )

    def __init__(
        self,
        lex: Lexicon,
        gaz: dict[str, str] | None = None,
        auto: dict[str, str] | None = None,
        news: dict[str, str] | None = None,
        emb: dict[str, str] | None = None,
        lex_feats: Sequence[str] = (),
    ):
        self.lex = lex
        self.gaz = gaz or {}
        self.auto = auto or {}
        # embedding gazetteer: news word -> type voted by its word2vec nearest neighbours that are
        # training-gazetteer words ("PER", or "PER~" when the vote is weak); see train_ner.py
        self.emb = emb or {}
        # optional lexicon column families: "h" = hierarchical w2v classes (h16 ... h4096),
        # "v" = large-window (topical) w2v k-means 256/1024
        self.lex_h = "h" in lex_feats
        self.lex_v = "v" in lex_feats
        extra_keys: list[str] = []
        if self.emb:
            extra_keys.append("eg=")
        if self.lex_h:
            extra_keys += ["h2=", "h3=", "h5="]
        if self.lex_v:
            extra_keys.append("v3=")
        self.WINDOW_KEYS = (*FeatureExtractor.WINDOW_KEYS, *extra_keys)
        # phrase gazetteer harvested from unlabelled news with trigger patterns (نادي X, شركة X,
        # سيارة X ...): "base1 base2" -> type; matched longest-first over clitic-split bases
        self.news: dict[tuple[str, ...], str] = {tuple(k.split(" ")): v for k, v in (news or {}).items()}
        self._news_len: dict[str, int] = {}
        for k in self.news:
            self._news_len[k[0]] = max(self._news_len.get(k[0], 0), len(k))
        self._cache: dict[str, _Entry] = {}
        self._split_cache: dict[str, tuple[str, str]] = {}
        # sorted document-context trigger set (+ repeated flag) -> its "dc=" features
        self._dc_cache: dict[tuple[frozenset[str], bool], list[str]] = {}

    def split(self, n: str) -> tuple[str, str]:
        r = self._split_cache.get(n)
        if r is None:
            if len(self._split_cache) > 300_000:
                self._split_cache.clear()
            r = self._split_cache[n] = _split_clitics(n, self.lex)
        return r

    def word_feats(self, tok: str) -> list[str]:
        n = feat_norm(tok) or tok
        if not _ARABIC.search(n):
            if n.isdigit() or re.fullmatch(r"[\d.,%]+", n):
                shape = "D"
            elif _LATIN.search(n):
                shape = "L"
            elif re.search(r"\w", n):
                shape = "X"
            else:
                return ["w=" + n, "sh=P"]
            f = ["w=" + (n if shape != "D" else "<num>"), "sh=" + shape]
            return f
        pre, base = self.split(n)
        stem = base[2:] if base.startswith("ال") and len(base) > 4 else base
        f = [
            "w=" + n,
            "b=" + base,
            "st=" + stem,
            "pre=" + pre,
            "sh=A",
            "p2=" + stem[:2],
            "p3=" + stem[:3],
            "s1=" + stem[-1:],
            "s2=" + stem[-2:],
            "s3=" + stem[-3:],
            "len=" + str(min(len(stem), 9)),
            "art=" + str(base != stem),
        ]
        r = self.lex.rows.get(n) or self.lex.rows.get(base)
        if r is None and stem != base:
            r = self.lex.rows.get(stem)
        if r is not None:
            f += ["fq=" + _freq_bucket(r[0]), "f2=" + r[4], "f3=" + r[5]]
            if r[1] != "-":
                f += ["c1=" + r[1], "c2=" + r[2], "c3=" + r[3]]
            if self.lex_h and len(r) > 10 and r[6] != "-":
                f += ["h1=" + r[6], "h2=" + r[7], "h3=" + r[8], "h4=" + r[9], "h5=" + r[10]]
            if self.lex_v and len(r) > 12 and r[11] != "-":
                f += ["v2=" + r[11], "v3=" + r[12]]
        else:
            f.append("oov")
        if base != n:
            rb = self.lex.rows.get(base)
            if rb is not None and rb[1] != "-":
                f += ["bc2=" + rb[2], "bc3=" + rb[3]]
        for form in (base, stem):
            if form in PER_TITLES:
                f.append("T=PER")
                break
        for form in (base, stem):
            if form in ORG_HEADS:
                f.append("T=ORG")
                break
        if base in LOC_TRIGGERS or stem in LOC_TRIGGERS:
            f.append("T=LOC")
        if base in WORLD_LOC or stem in WORLD_LOC:
            f.append("W=LOC")
        if base in NAME_LINKS:
            f.append("link")
        g = self.gaz.get(base) or self.gaz.get(n)
        if g:
            f.append("g=" + g)
        a = self.auto.get(base)
        if a:
            f.append("ag=" + a)
        if self.emb:
            e = self.emb.get(n) or self.emb.get(base)
            if e:
                f.append("eg=" + e)
        if base.startswith("ال") and (
            base.endswith("ي")
            or base.endswith("يه")
            or base.endswith("يون")
            or base.endswith("يين")
            or base.endswith("يه")
        ):
            f.append("nis")
        return f

    def _word(self, tok: str) -> tuple[list[str], list[str], str, str, tuple[str, ...]]:
        """(word features, those that enter the +-2 window, clitic-split base, proclitics,
        trigger types) of one token."""
        base = self.word_feats(tok)
        keep = [x for x in base if x.startswith(self.WINDOW_KEYS)]
        n = feat_norm(tok) or tok
        if _ARABIC.match(n):
            pre, b = self.split(n)
        else:
            pre, b = "", n
        trig = tuple(x[2:] for x in base if x.startswith("T="))
        return base, keep, b, pre, trig

    def _entry(self, tok: str) -> _Entry:
        e = self._cache.get(tok)
        if e is None:
            base, keep, b, pre, trig = self._word(tok)
            shifted = {o: [f"{o}:{x}" for x in keep] for o in (-2, -1, 1, 2)}
            if len(self._cache) > 300_000:
                self._cache.clear()
            e = (
                base,
                shifted,
                b,
                trig,
                len(b) >= 3 and bool(_ARABIC.match(b)),
                ["bias", *base],
                shifted[-1],
                shifted[-2],
                shifted[1],
                shifted[2],
                pre,
                tuple(x + "2" for x in trig),
                b.startswith("ال"),
            )
            self._cache[tok] = e
        return e

    def compact_entry(self, tok: str) -> tuple[_Entry, list[str], list[str]]:
        """An entry without its feature lists (what document features and rules read), plus
        the word's own features and its window features unshifted: uncached, for callers that
        keep their own per-word results (``NerTagger`` keeps weight sums)."""
        base, keep, b, pre, trig = self._word(tok)
        e = (
            _NOLIST,
            _NODICT,
            b,
            trig,
            len(b) >= 3 and bool(_ARABIC.match(b)),
            _NOLIST,
            _NOLIST,
            _NOLIST,
            _NOLIST,
            _NOLIST,
            pre,
            tuple(x + "2" for x in trig),
            b.startswith("ال"),
        )
        return e, ["bias", *base], keep

    def _entries(self, sents: Sequence[Sequence[str]]) -> list[list[_Entry]]:
        get = self._cache.get
        entry = self._entry
        return [[get(t) or entry(t) for t in toks] for toks in sents]

    def _doc_features(self, ents: list[list[_Entry]], doc_ctx: bool) -> list[list[list[str]]]:
        """Full CRF features of every sentence of a document from its cached entries: the same
        features as ``sent_feats`` (+ ``doc_context`` when ``doc_ctx``), computed in one pass."""
        ngs, by_base = self._doc_aux(ents, doc_ctx)
        bb = by_base.get
        out: list[list[list[str]]] = []
        for es, ng in zip(ents, ngs, strict=True):
            n = len(es)
            if not n:
                out.append([])
                continue
            prev1 = [_BOS, *[e[6] for e in es[:-1]]]
            prev2 = [_NONE, _NONE, *[e[7] for e in es[:-2]]]  # two longer than es when n == 1
            next1 = [*[e[8] for e in es[1:]], _EOS]
            next2 = [*[e[9] for e in es[2:]], _NONE, _NONE]
            ms = ng if ng else [_NONE] * n
            out.append(
                [
                    [*e[5], *m, *a, *b2, *c1, *d, *((bb(e[2]) or _NONE) if e[4] else _NONE)]
                    for e, m, a, b2, c1, d in zip(es, ms, prev1, prev2, next1, next2, strict=False)
                ]
            )
        return out

    def _doc_aux(
        self, ents: list[list[_Entry]], doc_ctx: bool
    ) -> tuple[list[list[list[str]] | None], dict[str, list[str]]]:
        """The per-document parts of the features: news-gazetteer matches per sentence and the
        document-context features of each base form (the rest is cached per word)."""
        news = self.news
        news_matches = self.news_matches
        ngs = [news_matches([e[2] for e in es]) if news else None for es in ents]
        by_base: dict[str, list[str]] = {}
        if doc_ctx:
            ctx: dict[str, set[str]] = {}
            cnt: dict[str, int] = {}
            cget = cnt.get
            xget = ctx.get
            for es, ng in zip(ents, ngs, strict=True):
                for i, e in enumerate(es):
                    if not e[4]:
                        continue
                    b = e[2]
                    cnt[b] = cget(b, 0) + 1
                    c = xget(b)
                    if i:
                        p = es[i - 1]
                        if p[3]:
                            if c is None:
                                c = ctx[b] = set()
                            c.update(p[3])
                        if i > 1 and p[12]:
                            t2 = es[i - 2][11]
                            if t2:
                                if c is None:
                                    c = ctx[b] = set()
                                c.update(t2)
                    if ng:
                        m = ng[i]
                        if m:
                            for x in m:
                                if x.startswith("ng=B"):
                                    if c is None:
                                        c = ctx[b] = set()
                                    c.add("n" + x[4:])
            dc_cache = self._dc_cache
            for b, k in cnt.items():
                c = xget(b)
                rep = k > 1
                if not c:
                    by_base[b] = _DREP if rep else []
                    continue
                key = (frozenset(c), rep)
                f = dc_cache.get(key)
                if f is None:
                    f = ["dc=" + x for x in sorted(c)]
                    if rep:
                        f.append("drep")
                    if len(dc_cache) > 100_000:
                        dc_cache.clear()
                    dc_cache[key] = f
                by_base[b] = f
        return ngs, by_base

    def news_matches(self, bases: Sequence[str]) -> list[list[str]]:
        """Per-token features of longest matches of the news phrase gazetteer."""
        n = len(bases)
        out: list[list[str]] = [[] for _ in range(n)]
        if not self.news:
            return out
        news_len = self._news_len
        news = self.news
        nxt = 0  # first position not inside an earlier match
        for i, b in enumerate(bases):
            if i < nxt or b not in news_len:
                continue
            for ln in range(min(news_len[b], n - i), 0, -1):
                typ = news.get(tuple(bases[i : i + ln]))
                if typ:
                    out[i].append("ng=B" + typ)
                    for k in range(i + 1, i + ln):
                        out[k].append("ng=I" + typ)
                    if i > 0:
                        out[i - 1].append("ng+1=" + typ)
                    if i + ln < n:
                        out[i + ln].append("ng-1=" + typ)
                    nxt = i + ln
                    break
        return out

    def doc_context(self, sents: Sequence[Sequence[str]], ngs: list | None = None) -> list[list[list[str]]]:
        """Document-level features: for every word, the trigger contexts seen at *any* of its
        occurrences in the document (``الرئيس X`` in one sentence helps a bare ``X`` in another).
        ``ngs`` (optional, filled): per-sentence news-gazetteer matches, reused by ``sent_feats``."""
        ctx: dict[str, set[str]] = {}
        cnt: dict[str, int] = {}
        ents = [[self._entry(t) for t in toks] for toks in sents]
        for es in ents:
            ng = self.news_matches([e[2] for e in es]) if self.news else None
            if ngs is not None:
                ngs.append(ng)
            for i, e in enumerate(es):
                if not e[4]:
                    continue
                b = e[2]
                cnt[b] = cnt.get(b, 0) + 1
                c = ctx.get(b)
                if c is None:
                    c = ctx[b] = set()
                if i:
                    p = es[i - 1]
                    c.update(p[3])
                    if i > 1 and p[2].startswith("ال"):
                        c.update(x + "2" for x in es[i - 2][3])
                if ng and ng[i]:
                    for x in ng[i]:
                        if x.startswith("ng=B"):
                            c.add("n" + x[4:])
        by_base: dict[str, list[str]] = {}
        for b, c in ctx.items():
            f = ["dc=" + x for x in sorted(c)]
            if cnt[b] > 1:
                f.append("drep")
            by_base[b] = f
        return [[by_base.get(e[2], []) if e[4] else [] for e in es] for es in ents]

    def stack_feats(
        self, sents: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]
    ) -> list[list[list[str]]]:
        """Second-pass (stacking) features from first-pass labels: own and neighbouring labels,
        and how the same word (clitic-split base) was labelled elsewhere in the document."""
        ents = [[self._entry(t)[2] for t in toks] for toks in sents]
        doc: dict[str, dict[str, int]] = {}
        for bs, ts in zip(ents, tags, strict=True):
            for b, t in zip(bs, ts, strict=True):
                if len(b) >= 2 and _ARABIC.match(b):
                    d = doc.setdefault(b, {})
                    y = t[2:] if t != "O" else "O"
                    d[y] = d.get(y, 0) + 1
        out = []
        for bs, ts in zip(ents, tags, strict=True):
            n = len(ts)
            cur = []
            for i, (b, t) in enumerate(zip(bs, ts, strict=True)):
                f = [
                    "p=" + t,
                    "p-1=" + (ts[i - 1] if i else "BOS"),
                    "p+1=" + (ts[i + 1] if i + 1 < n else "EOS"),
                ]
                seen = doc.get(b)
                if seen:
                    own = t[2:] if t != "O" else "O"
                    others = {y: c - (y == own) for y, c in seen.items() if c - (y == own) > 0}
                    if others:
                        ent = {y: c for y, c in others.items() if y != "O"}
                        tot = sum(others.values())
                        if ent:
                            y = max(sorted(ent.items()), key=lambda kv: kv[1])[0]
                            f.append("dl=" + y)
                            f.append("dl=" + y + ("+" if 2 * sum(ent.values()) >= tot else "-"))
                        else:
                            f.append("dl=O")
                cur.append(f)
            out.append(cur)
        return out

    def sent_feats(self, toks: Sequence[str], ng: list[list[str]] | bool | None = False) -> list[list[str]]:
        entries = [self._entry(t) for t in toks]
        n = len(toks)
        if ng is False:
            ng = self.news_matches([e[2] for e in entries]) if self.news else None
        matches = ng if isinstance(ng, list) else None
        out = []
        for i in range(n):
            f = ["bias", *entries[i][0]]
            if matches and matches[i]:
                f += matches[i]
            if i == 0:
                f.append("BOS")
            else:
                f += entries[i - 1][1][-1]
                if i > 1:
                    f += entries[i - 2][1][-2]
            if i == n - 1:
                f.append("EOS")
            else:
                f += entries[i + 1][1][1]
                if i < n - 2:
                    f += entries[i + 2][1][2]
            out.append(f)
        return out


def _rule_conf(m: Any, t: str, i: int) -> float:
    """A rule overrode the CRF: its marginal for the rule's label, floored at 0.5."""
    try:
        return max(0.5, m(t, i))
    except Exception:  # label unknown to the model
        return 0.5


def iob_chunks(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """conlleval-style chunks (type, start, end_exclusive); a stray I-X starts a chunk."""
    chunks: list[tuple[str, int, int]] = []
    cur_type: str | None = None
    cur_start = 0
    for i, t in enumerate(tags):
        if t == "O":
            if cur_type is not None:
                chunks.append((cur_type, cur_start, i))
                cur_type = None
        elif t.startswith("B-") or (t.startswith("I-") and t[2:] != cur_type):
            if cur_type is not None:
                chunks.append((cur_type, cur_start, i))
            cur_type, cur_start = t[2:], i
    if cur_type is not None:
        chunks.append((cur_type, cur_start, len(tags)))
    return chunks


class NerTagger:
    def __init__(
        self,
        model_path: Path,
        lex: Lexicon,
        gaz: dict[str, str],
        rules: bool = True,
        auto: dict[str, str] | None = None,
        news: dict[str, str] | None = None,
        doc_ctx: bool = False,
        stack_path: Path | None = None,
        emb: dict[str, str] | None = None,
        lex_feats: Sequence[str] = (),
    ):
        import pycrfsuite

        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(model_path))
        # the same model's exact weights for the batched numpy decoder (see crf_decode.py)
        self._crf = CrfModel.load(model_path)
        # word -> (row of _parts_table, compact entry), see _compact_entries
        self._words: dict[str, tuple[int, _Entry]] = {}
        self._parts_table = np.zeros((4096, 5, len(self._crf.labels)))
        self.max_words = MAX_CACHED_WORDS
        self.crfsuite_decoding = False  # True: python-crfsuite tags (reference path, slower)
        self._vec_cache: dict[int, tuple[list[str], np.ndarray]] = {}
        k = len(self._crf.labels)
        self._bos = self._crf.score(_BOS)
        self._eos = self._crf.score(_EOS)
        self._zero = np.zeros(k)
        self.lex = lex
        self.fx = FeatureExtractor(lex, gaz, auto, news, emb, lex_feats)
        self.doc_ctx = doc_ctx
        self._stack = None
        if stack_path is not None and Path(stack_path).exists():
            self._stack = pycrfsuite.Tagger()
            self._stack.open(str(stack_path))
        self.rules = rules
        self._class_share: dict[str, float] | None = None  # see _per_share

    def _name_like(self, base: str) -> bool:
        """A training-gazetteer person, a word class of names, or a word too rare for a vector."""
        if self.fx.gaz.get(base) == "PER":
            return True
        share = self._per_share(base)
        return share >= 0.34 if share is not None else self.lex.count(base) < 3

    def _per_share(self, base: str) -> float | None:
        """Share of person names among the training-gazetteer words of a word's h256 class (None:
        no class, or fewer than 3 gazetteer words in it): name evidence for the title rules."""
        if self._class_share is None:
            per: dict[str, int] = {}
            tot: dict[str, int] = {}
            for w, typ in self.fx.gaz.items():
                r = self.lex.rows.get(w)
                if r is not None and len(r) > 10 and r[8] != "-":
                    tot[r[8]] = tot.get(r[8], 0) + 1
                    per[r[8]] = per.get(r[8], 0) + (typ == "PER")
            self._class_share = {c: per[c] / t for c, t in tot.items() if t >= 3}
        r = self.lex.rows.get(base)
        if r is None or len(r) <= 10 or r[8] == "-":
            return None
        return self._class_share.get(r[8])

    @classmethod
    def load(cls, path: str | Path = DEFAULT_MODEL_DIR, rules: bool = True) -> NerTagger:
        path = Path(path)
        lex = Lexicon.load(path / "lexicon.tsv.gz")
        gaz_path = path / "gazetteer.json"
        gaz = json.loads(gaz_path.read_text(encoding="utf-8")) if gaz_path.exists() else {}
        return cls(
            path / "model.crfsuite",
            lex,
            gaz.get("train", {}),
            rules=rules,
            auto=gaz.get("auto", {}),
            news=gaz.get("news", {}),
            doc_ctx=bool(gaz.get("doc_context", False)),
            stack_path=path / "stack.crfsuite",
            emb=gaz.get("emb", {}),
            lex_feats=gaz.get("lex_feats", ()),
        )

    # -------------------------------------------------------------- token level
    def tag_tokens(self, toks: Sequence[str], rules: bool | None = None) -> list[str]:
        """IOB tags of one pre-tokenised sentence (no document-level propagation)."""
        return self._tag_sentence(toks, rules, want_conf=False)[0]

    def tag_sentences(
        self, sents: Sequence[Sequence[str]], rules: bool | None = None, propagate: bool = True
    ) -> list[tuple[list[str], list[float]]]:
        """Tag the sentences of one document: (tags, per-token confidence) per sentence.

        With ``propagate``, a confident entity string found in one sentence is also
        labelled where the CRF left the same string O elsewhere in the document
        ("one sense per discourse").
        """
        if self._stack is None and not self.crfsuite_decoding:
            ents, rows = self._compact_entries(sents)
            out = self._decode_document(sents, ents, rows, rules)
        else:
            ents = self.fx._entries(sents)
            out = self._tag_stacked(sents, ents, rules)
        if propagate:
            self._propagate(sents, out, bases=[[e[2] for e in es] for es in ents])
        return out

    def _tag_stacked(
        self, sents: Sequence[Sequence[str]], ents: list[list[_Entry]], rules: bool | None
    ) -> list[tuple[list[str], list[float]]]:
        """Two CRFsuite passes (experimental stacked model, ``train_ner.py --stack``)."""
        feats = self.fx._doc_features(ents, self.doc_ctx)
        tagger = self._tagger
        if self._stack is not None:  # second pass: + first-pass labels of the word across the document
            first = [list(self._tagger.tag(f)) if f else [] for f in feats]
            sf = self.fx.stack_feats(sents, first)
            feats = [[a + b for a, b in zip(f, x, strict=True)] for f, x in zip(feats, sf, strict=True)]
            tagger = self._stack
        return [
            self._tag_sentence(t, rules, want_conf=True, feats=f, tagger=tagger, ents=es)
            for t, f, es in zip(sents, feats, ents, strict=True)
        ]

    # ------------------------------------------------------------ numpy decoding
    def _compact_entries(self, sents: Sequence[Sequence[str]]) -> tuple[list[list[_Entry]], list[list[int]]]:
        """Entries and ``_parts_table`` rows of every word of a document.

        A row holds a word's feature weight sums: its own, and those it lends to the words one
        and two after it and one and two before it (the +-2 window), as (5, n_labels). Once a
        word has its row, its feature strings are no longer needed: the cache keeps a compact
        entry without them (~1 KB a word instead of ~6 KB), and at most ``max_words`` words
        (then it starts again), so a long-running worker's memory stays bounded."""
        words = self._words
        if len(words) >= self.max_words:  # only between documents: rows in use stay valid
            words.clear()
        fx = self.fx
        ents: list[list[_Entry]] = []
        rows: list[list[int]] = []
        for toks in sents:
            es: list[_Entry] = []
            rs: list[int] = []
            for t in toks:
                hit = words.get(t)
                if hit is None:
                    compact, own, keep = fx.compact_entry(t)
                    n = len(words)
                    table = self._parts_table
                    if n >= len(table):
                        grown = np.zeros((2 * len(table), *table.shape[1:]))
                        grown[: len(table)] = table
                        self._parts_table = table = grown
                    # rows in the order of an entry's e[5], e[6] (-1), e[7] (-2), e[8] (+1), e[9] (+2)
                    table[n] = self._crf.score_window(own, keep, _PART_OFFSETS)
                    hit = words[t] = (n, compact)
                rs.append(hit[0])
                es.append(hit[1])
            ents.append(es)
            rows.append(rs)
        return ents, rows

    def _vec(self, feats: list[str]) -> np.ndarray:
        """Weight sum of a per-document feature list; lists from the extractor's caches are
        long-lived, so they are keyed by identity (the entry keeps the list alive)."""
        hit = self._vec_cache.get(id(feats))
        if hit is not None and hit[0] is feats:
            return hit[1]
        v = self._crf.score(feats)
        if len(self._vec_cache) > 100_000:
            self._vec_cache.clear()
        self._vec_cache[id(feats)] = (feats, v)
        return v

    def _emissions(self, ents: list[list[_Entry]], rows: list[list[int]]) -> list[np.ndarray]:
        """Per-sentence state scores, identical to what CRFsuite computes from ``_doc_features``."""
        ngs, by_base = self.fx._doc_aux(ents, self.doc_ctx)
        bb = by_base.get
        vec = self._vec
        table = self._parts_table
        out: list[np.ndarray] = []
        for es, idx, ng in zip(ents, rows, ngs, strict=True):
            n = len(es)
            if not n:
                out.append(np.zeros((0, len(self._zero))))
                continue
            p = table[idx]
            em = p[:, 0].copy()
            if n > 1:
                em[1:] += p[:-1, 1]
                em[:-1] += p[1:, 3]
            if n > 2:
                em[2:] += p[:-2, 2]
                em[:-2] += p[2:, 4]
            em[0] += self._bos
            em[-1] += self._eos
            for i, e in enumerate(es):
                if ng and ng[i]:
                    em[i] += self._crf.score(ng[i])
                if e[4]:
                    f = bb(e[2])
                    if f:
                        em[i] += vec(f)
            out.append(em)
        return out

    def _decode_document(
        self,
        sents: Sequence[Sequence[str]],
        ents: list[list[_Entry]],
        rows: list[list[int]],
        rules: bool | None,
    ) -> list[tuple[list[str], list[float]]]:
        labels = self._crf.labels
        index = self._crf.label_index
        use_rules = self.rules if rules is None else rules
        out: list[tuple[list[str], list[float]]] = []
        decoded = self._crf.decode(self._emissions(ents, rows))
        for toks, es, (best, marg) in zip(sents, ents, decoded, strict=True):
            crf_tags = [labels[x] for x in best]
            tags = self._apply_rules(toks, crf_tags, [(e[10], e[2]) for e in es]) if use_rules else crf_tags

            def m(t: str, i: int, marg: np.ndarray = marg) -> float:
                return float(marg[i, index[t]])

            confs = [
                1.0 if t == "O" else (m(t, i) if t == c else _rule_conf(m, t, i))
                for i, (t, c) in enumerate(zip(tags, crf_tags, strict=True))
            ]
            out.append((tags, confs))
        return out

    def _feats(self, toks: Sequence[str], extra: list[list[str]] | None, ng=False) -> list[list[str]]:
        feats = self.fx.sent_feats(toks, ng) if toks else []
        if extra:
            feats = [f + x if x else f for f, x in zip(feats, extra, strict=True)]
        return feats

    def _tag_sentence(
        self,
        toks: Sequence[str],
        rules: bool | None,
        want_conf: bool,
        feats: list[list[str]] | None = None,
        tagger=None,
        ents: list[_Entry] | None = None,
    ) -> tuple[list[str], list[float]]:
        if not toks:
            return [], []
        if feats is None:  # single sentence: no document features, first pass only
            feats = self._feats(toks, self.fx.doc_context([toks])[0] if self.doc_ctx else None)
            tagger = self._tagger
            if self._stack is not None:
                sf = self.fx.stack_feats([toks], [list(tagger.tag(feats))])[0]
                feats = [a + b for a, b in zip(feats, sf, strict=True)]
                tagger = self._stack
        tagger = tagger or self._tagger
        crf_tags = tagger.tag(feats)
        use_rules = self.rules if rules is None else rules
        if not use_rules:
            tags = list(crf_tags)
        elif ents is not None:
            tags = self._apply_rules(toks, crf_tags, [(e[10], e[2]) for e in ents])
        else:
            tags = self.apply_rules(toks, crf_tags)
        confs: list[float] = []
        if want_conf:
            m = tagger.marginal
            confs = [
                1.0 if t == "O" else (m(t, i) if t == c else _rule_conf(m, t, i))
                for i, (t, c) in enumerate(zip(tags, crf_tags, strict=True))
            ]
        return tags, confs

    def _propagate(
        self,
        sents: Sequence[Sequence[str]],
        out: list[tuple[list[str], list[float]]],
        min_conf: float = 0.6,
        max_len: int = 4,
        bases: list[list[str]] | None = None,
    ) -> None:
        if bases is None:
            bases = [[self._base(t) for t in toks] for toks in sents]
        memory: dict[tuple[str, ...], dict[str, list[float]]] = {}
        for bs, (tags, confs) in zip(bases, out, strict=True):
            for typ, a, b in iob_chunks(tags):
                c = min(confs[a:b])
                if b - a <= max_len and c >= min_conf and _ARABIC.match(bs[a]):
                    memory.setdefault(tuple(bs[a:b]), {}).setdefault(typ, []).append(c)
                    if typ == "PER" and b - a >= 2 and self._surname_like(bs[b - 1]):
                        # the surname alone names the same person later on (توفيق الحكيم ... الحكيم)
                        memory.setdefault((bs[b - 1],), {}).setdefault("PER", []).append(c)
        if not memory:
            return
        best = {k: max(v.items(), key=lambda kv: (len(kv[1]), sum(kv[1]))) for k, v in memory.items()}
        # longest key per first word: only those positions and lengths can match
        first_len: dict[str, int] = {}
        for phrase in best:
            if len(phrase) > first_len.get(phrase[0], 0):
                first_len[phrase[0]] = len(phrase)
        flen = first_len.get
        for bs, (tags, confs) in zip(bases, out, strict=True):
            n, i = len(bs), 0
            while i < n:
                step = 1
                top = flen(bs[i])
                if not top:
                    i += 1
                    continue
                for ln in range(min(max_len, n - i, top), 0, -1):
                    key = tuple(bs[i : i + ln])
                    hit = best.get(key)
                    if (
                        hit
                        and all(tags[k] == "O" for k in range(i, i + ln))
                        and (i + ln == n or not tags[i + ln].startswith("I-"))
                    ):
                        typ, cs = hit
                        conf = 0.9 * sum(cs) / len(cs)
                        for k in range(i, i + ln):
                            tags[k] = ("B-" if k == i else "I-") + typ
                            confs[k] = conf
                        step = ln
                        break
                i += step

    def _surname_like(self, w: str) -> bool:
        """A full name's last word that may stand for the person alone: no link word or title, and
        name-like or rare (not العليا, التكريم from a chunk the CRF ran on)."""
        return (
            len(w) > 2
            and bool(_ARABIC.match(w))
            and w not in NAME_LINKS
            and w not in _RULE_TITLES
            and (self._name_like(w) or self.lex.count(w) < 50)
        )

    def _base(self, tok: str) -> str:
        return self.fx.split(feat_norm(tok) or tok)[1]

    def apply_rules(self, toks: Sequence[str], tags: list[str]) -> list[str]:
        """Deterministic fixes for political news (see module doc / MODEL_CARD)."""
        return self._apply_rules(toks, tags, [self.fx.split(feat_norm(t) or t) for t in toks])

    def _apply_rules(self, toks: Sequence[str], tags: list[str], splits: list[tuple[str, str]]) -> list[str]:
        tags = list(tags)
        n = len(toks)
        bases = [b for _, b in splits]
        # 1. government-body head phrases: وزارة الخارجية الأردنية, مجلس الأمن الدولي,
        #    هيئة الأركان العامة, الجيش السوري. ANERcorp leaves ministries untagged, so the CRF
        #    alone does not produce them; the rule only fires on RULE_ORG_HEADS + definite words.
        i = 0 if not RULE_ORG_HEADS.isdisjoint(bases) else n  # no head: nothing to do
        while i < n:
            b = bases[i]
            if (
                b in RULE_ORG_HEADS
                and tags[i] in ("O", "B-ORG")
                and not (i > 0 and tags[i - 1].startswith(("B-PER", "I-PER")))
            ):
                j = i + 1
                while j < n and j - i <= 4:
                    bj = bases[j]
                    if j > i + 1 and _is_nisba(bases[j - 1]) and not (_is_nisba(bj) or bj in _BODY_ADJ):
                        break  # after an adjective only adjectives: مجلس التعاون الخليجي | الهجوم
                    if b.startswith("ال") and not (
                        (_is_nisba(bj) and not bj.endswith("يه")) or bj in _MASC_BODY_ADJ
                    ):
                        break  # a definite head takes no complement, only agreeing adjectives:
                        # البنك التجاري, not يعطي البنك | المرونة or متطلبات البنك | الرأسمالية
                    if (
                        bj.startswith("ال")
                        and len(bj) > 3
                        and not splits[j][0]
                        and bj not in _PHRASE_STOP
                        and bj not in PER_TITLES
                        and bj not in ORG_HEADS
                        and tags[j] in ("O", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
                    ):
                        j += 1
                    else:
                        break
                ok = j > i + 1 and bases[i + 1] not in _GENERIC_BODY
                if ok and j < n and tags[j].startswith("I-"):
                    ok = False
                if ok:
                    tags[i] = "B-ORG"
                    for k in range(i + 1, j):
                        tags[k] = "I-ORG"
                    i = j
                    continue
            i += 1
        # 1a. countries and capitals (hand list, enricher/places.py) left O or split by the CRF
        #     -> one LOC (أديس أبابا, البوسنة والهرسك, نواكشوط)
        self._places(toks, tags, splits, bases)
        # 1a'. a club named after its city: دينامو كييف, ستيوا بوخارست, أولمبيك آسفي -> one ORG
        self._city_clubs(toks, tags, splits, bases)
        # 1a''. a relative's noun + two or three name-like words -> PER (نظيره إيمانويل ماكرون)
        if not _RELATIVES.isdisjoint(bases):
            self._relative_names(toks, tags, splits, bases)
        # 1b. title + (up to 3 definite modifiers) + two or three words unknown to the news lexicon
        #     -> a transliterated person name never seen (رئيس الوزراء البريطاني ريشي سوناك)
        for i in range(0 if PER_TITLES.isdisjoint(bases) else n):
            if bases[i] not in PER_TITLES and (i + 1 >= n or bases[i + 1] not in PER_TITLES):
                continue
            j = i + 1
            while j < n and j - i <= 3 and bases[j].startswith("ال") and tags[j] == "O":
                j += 1

            def plain(k: int) -> bool:
                return (
                    tags[k] == "O"
                    and bool(_ARABIC.match(toks[k]))
                    and not splits[k][0]
                    and not bases[k].startswith("ال")
                    and len(bases[k]) >= 3
                )

            # a rare first name (< 200 news occurrences) may precede the unseen surname (أنتوني بلينكن)
            j0 = (
                j + 1
                if (
                    j < n
                    and plain(j)
                    and 0 < self.lex.count(bases[j]) < 200
                    and bases[j] not in PER_TITLES
                    and bases[j] not in ORG_HEADS
                    and bases[j] not in LOC_TRIGGERS
                )
                else j
            )
            k = j0
            while (
                k < n
                and k - j < 3
                and plain(k)
                and self.lex.count(bases[k]) == 0
                and (j0 == j or _ARABIC_WORD.fullmatch(toks[k]))
            ):
                k += 1
            if j0 > j and k == j0:
                continue
            if k - j >= 2 and (k == n or not tags[k].startswith("I-")):
                tags[j] = "B-PER"
                for m in range(j + 1, k):
                    tags[m] = "I-PER"
        # 1c. title (+ definite modifiers) + its body (ل/لل-prefixed, or after باسم) + a name:
        #     الأمين العام للأمم المتحدة أنطونيو غوتيريش, المتحدث باسم الجيش الإسرائيلي أفيخاي أدرعي
        self._title_body_name(toks, tags, splits, bases)
        # 1e. a person chunk does not start with a title (شيخ الأزهر أحمد الطيب -> أحمد الطيب)
        self._trim_titles(tags, splits, bases)
        # 1h. well-known organisations (hand list, enricher/organisations.py) as one ORG
        self._organisations(toks, tags, splits, bases)
        # 1e'. a relative's noun is not part of the name (مواطنه تييري هنري -> تييري هنري)
        if not _RELATIVES.isdisjoint(bases):
            self._trim_relatives(tags, bases)
        # 1f. an ORG chunk that repeats its head word is two (حركة فتح | حركة حماس)
        self._split_repeated_heads(tags, bases)
        # 1g. currencies are MISC (the ANERcorp convention: دولار 107 of 109 times)
        self._currencies(tags, bases)
        # 1i. a stadium's name is MISC (ANERcorp: ملعب « سلتيك بارك », استاد الحارثي)
        self._venues(toks, tags, splits, bases)
        # 1j. a quoted programme title is MISC, a quoted newspaper name ORG (صحيفة « واشنطن بوست »)
        self._quoted_names(toks, tags, bases)
        # 2. name chains: PER + بن/آل/ابن + name -> one PER; عبد + PER -> one PER
        has_per = "B-PER" in tags or "I-PER" in tags  # rules 2 and 3 only extend PER chunks
        for i in range(n if has_per else 0):
            if tags[i] == "B-PER" and i > 0 and bases[i - 1] == _ABD and tags[i - 1] == "O":
                tags[i - 1], tags[i] = "B-PER", "I-PER"
        i = 0 if has_per else n
        while i < n:
            if (
                tags[i] in ("B-PER", "I-PER")
                and i + 2 < n
                and bases[i + 1] in NAME_LINKS
                and tags[i + 1] == "O"
                and _ARABIC.match(toks[i + 2])
            ):
                tags[i + 1] = "I-PER"
                tags[i + 2] = "I-PER"
                k = i + 3
                while k < n and tags[k] in ("B-PER",):
                    tags[k] = "I-PER"
                    k += 1
                i += 2
                continue
            if tags[i] in ("I-PER",) and i > 0 and tags[i - 1] == "O":
                tags[i] = "B-PER"
            i += 1
        # 3. whole person names: a rare word (not in the news lexicon, no clitic, no article) right
        #    after a person chunk is its surname (أنتوني بلينكن); regnal ordinals after a royal
        #    title (الملك عبد الله الثاني).
        for typ, ca, cb in iob_chunks(tags) if has_per else ():
            if typ != "PER":
                continue
            k = cb
            while (
                k < n
                and k - cb < 2
                and tags[k] == "O"
                and not splits[k][0]
                and _ARABIC.match(toks[k])
                and len(bases[k]) >= 3
                and not bases[k].startswith("ال")
                and self.lex.count(bases[k]) == 0
                and not (k + 1 < n and tags[k + 1].startswith("I-"))
            ):
                k += 1
            if (
                k == cb
                and k < n
                and tags[k] == "O"
                and bases[k] in ORDINALS
                and ca > 0
                and bases[ca - 1] in ROYAL_TITLES
            ):
                k += 1
            for j in range(cb, k):
                tags[j] = "I-PER"
        # 4. an I-X that does not continue an X chunk starts one
        for i in range(n):
            if tags[i].startswith("I-") and (i == 0 or tags[i - 1][2:] != tags[i][2:]):
                tags[i] = "B-" + tags[i][2:]
        return tags

    def _places(
        self, toks: Sequence[str], tags: list[str], splits: list[tuple[str, str]], bases: list[str]
    ) -> None:
        n = len(toks)
        free = 0  # first position after the last place tagged
        for i, key, pre in _PLACES.starts(toks, bases, splits):
            if (
                i < free
                or tags[i].startswith("I-")
                or (
                    i
                    and (
                        bases[i - 1] in _PLACE_VETO_PREV
                        or (tags[i - 1][2:] in ("ORG", "PER") and tags[i] != "B-LOC")
                    )
                )
            ):
                continue
            _, end = _PLACES.match(toks, i, key)
            if (
                not end
                or (
                    end < n
                    and (
                        tags[end].startswith("I-")
                        or bases[end] in _PLACE_VETO_NEXT
                        or _is_nisba(bases[end])  # قطر القطري (a club), مصر القديمة
                    )
                )
                or (  # a nisba used as an adjective: الديون السيادية السعودية
                    end == i + 1
                    and not pre
                    and key.endswith("يه")
                    and i
                    and bases[i - 1].startswith("ال")
                    and bases[i - 1] not in _PLACE_CONTEXT
                )
            ):
                continue
            span = tags[i:end]
            # O / LOC tokens, or exactly one chunk of another type (بكوسوفو tagged PER)
            one_chunk = span[0].startswith("B-") and all(t == "I-" + span[0][2:] for t in span[1:])
            ambiguous = end == i + 1 and key in _AMBIGUOUS_PLACES
            if not (all(t in _O_OR_LOC for t in span) or (one_chunk and not ambiguous)):
                continue
            if span[0].endswith("ORG") and (key, *(feat_norm(t) for t in toks[i + 1 : end])) in _CITY_PHRASES:
                continue
            if ambiguous and not (
                pre.endswith(("ب", "ل"))
                or (i and bases[i - 1] in _PLACE_CONTEXT)
                or (pre.startswith("و") and i and tags[i - 1].endswith("LOC"))  # بيروت ومالي
            ):
                continue
            tags[i] = "B-LOC"
            for k in range(i + 1, end):
                tags[k] = "I-LOC"
            free = end

    def _organisations(
        self, toks: Sequence[str], tags: list[str], splits: list[tuple[str, str]], bases: list[str]
    ) -> None:
        n = len(toks)
        free = 0
        for i0, key, _pre in _ORGANISATIONS.starts(toks, bases, splits):
            if i0 < free:
                continue
            i, end = _ORGANISATIONS.match(toks, i0, key)
            if not end:
                continue
            span = tags[i:end]
            one_chunk = span[0].startswith("B-") and all(t == "I-" + span[0][2:] for t in span[1:])
            if not (all(t in ("O", "B-ORG", "I-ORG") for t in span) or one_chunk):
                continue
            if i > i0:  # a "~" entry: the name alone, whatever the CRF did with the descriptor
                tags[i0] = "O" if tags[i0].endswith("ORG") else tags[i0]
            else:
                while i > 0 and tags[i] == "I-ORG":
                    i -= 1  # inside an ORG that starts earlier (منظمة الأمم المتحدة): keep its start
            k = end  # an ORG the CRF ran on past the name ends with it (… الذرية | إيران), adjectives stay
            while (
                k < n
                and tags[k] == "I-ORG"
                and not _is_nisba(bases[k])
                and not splits[k][0].endswith("ل")  # a genitive goes on: الاتحاد الأوروبي لكرة القدم
                and not toks[k].startswith("ل")
            ):
                place = _PLACES.key(toks[k], bases[k], splits[k][0])
                tags[k] = "B-LOC" if place and (place[0],) in _PLACES.phrases[place[0]] else "O"
                k += 1
            tags[i] = "B-ORG"
            for x in range(i + 1, end):
                tags[x] = "I-ORG"
            free = end

    def _currencies(self, tags: list[str], bases: list[str]) -> None:
        if _CURRENCIES.isdisjoint(bases):
            return
        n = len(tags)
        for i, b in enumerate(bases):
            if (
                b in _CURRENCIES
                and tags[i] == "O"
                and not (i + 1 < n and bases[i + 1] in _CURRENCY_VETO_NEXT)
            ):
                tags[i] = "B-MISC"

    def _city_clubs(
        self, toks: Sequence[str], tags: list[str], splits: list[tuple[str, str]], bases: list[str]
    ) -> None:
        """A club-name word (دينامو, سسكا, أولمبيك …) right before a place is one ORG with it; the
        CRF alone calls ستيوا a person and بوخارست a LOC."""
        if _CLUB_PREFIXES.isdisjoint(bases):
            return
        n = len(toks)
        for i in range(n - 1):
            if bases[i] not in _CLUB_PREFIXES or tags[i].startswith("I-"):
                continue
            j = i + 1
            if tags[j] == "B-LOC":
                end = j + 1
                while end < n and tags[end] == "I-LOC":
                    end += 1
            else:
                hit = _PLACES.key(toks[j], bases[j], splits[j][0])
                end = _PLACES.match(toks, j, hit[0])[1] if hit is not None and not hit[1] else 0
                whole = (  # the CRF's one chunk over both words, of another type: دينامو كييف as PER
                    end and tags[i].startswith("B-") and all(t == "I-" + tags[i][2:] for t in tags[j:end])
                )
                if not end or (not whole and any(t != "O" for t in tags[j:end])):
                    continue
            if end < n and tags[end].startswith("I-"):
                continue
            tags[i] = "B-ORG"
            for k in range(i + 1, end):
                tags[k] = "I-ORG"

    def _quoted_names(self, toks: Sequence[str], tags: list[str], bases: list[str]) -> None:
        """A head (+ بعنوان) + a quoted title of 1-5 words: a programme's title is MISC (برنامج « حوار
        من القلب »), a newspaper's or magazine's name is ORG (صحيفة « واشنطن بوست », 22 of 23 in the
        training part). Series, film and book titles stay the CRF's call (ANERcorp leaves them
        mostly O)."""
        if _QUOTED_NAME_HEADS.keys().isdisjoint(bases):
            return
        n = len(toks)
        for i in range(n - 2):
            typ = _QUOTED_NAME_HEADS.get(bases[i])
            if typ is None:
                continue
            j = i + 2 if bases[i + 1] == _BI_UNWAN else i + 1
            if j >= n or toks[j] not in _QUOTE_OPEN or tags[j] != "O":
                continue  # (a CRF chunk running through the quote mark is left alone)
            if j + 1 < n and toks[j + 1] == toks[j] == "'":
                j += 1  # '' written as two ' tokens
            close = next((k for k in range(j + 2, min(n, j + 7)) if toks[k] in _QUOTE_CLOSE), 0)
            other = ("PER", "ORG") if typ == "MISC" else ("PER", "MISC")
            if (
                not close
                or any(t[2:] in other for t in tags[j + 1 : close])
                or not all(_WORDISH.search(t) for t in toks[j + 1 : close])
            ):
                continue
            tags[j + 1] = "B-" + typ
            for k in range(j + 2, close):
                tags[k] = "I-" + typ

    def _venues(
        self, toks: Sequence[str], tags: list[str], splits: list[tuple[str, str]], bases: list[str]
    ) -> None:
        """After استاد/ستاد/ملعب (not الملعب: في الملعب = on the pitch): a quoted name, or a chunk
        of two or more words the CRF started there, is MISC (ANERcorp: ملعب « سلتيك بارك »).
        One word unquoted is usually the city or club (ملعب برشلونة is LOC in ANERcorp) and is
        left to the CRF; so are an unquoted listed country or capital and a name with an organisation head
        (ملعب جامعة الملك سعود)."""
        if _VENUE_HEADS.isdisjoint(bases):
            return
        n = len(toks)
        for i in range(n - 2):
            if bases[i] not in _VENUE_HEADS or tags[i] != "O":
                continue
            j = i + 1
            if toks[j] in _QUOTE_OPEN and tags[j] == "O":
                close = next((k for k in range(j + 2, min(n, j + 6)) if toks[k] in _QUOTE_CLOSE), 0)
                start, end = j + 1, close
                chunk_end = end
            elif tags[j].startswith("B-"):
                start, end = j, j + 1
                while end < n and tags[end].startswith("I-"):
                    end += 1
                chunk_end = end
                while end > start + 1 and splits[end - 1][0]:  # ثاني بن جاسم | بنادي
                    end -= 1
                if end - start < 2:
                    continue
            else:
                continue
            if end <= start or (chunk_end < n and tags[chunk_end].startswith("I-")):
                continue
            if not ORG_HEADS.isdisjoint(bases[start:end]):
                continue  # ملعب جامعة الملك سعود: the university's ground, an ORG
            hit = None if start > j else _PLACES.key(toks[start], bases[start], splits[start][0])
            if hit is not None and _PLACES.match(toks, start, hit[0])[1] == end:
                continue  # ملعب الولايات المتحدة: a country, not a stadium (ملعب « الإمارات » is one)
            for k in range(end, chunk_end):
                tags[k] = "O"  # the clitic-prefixed words cut off the CRF's chunk
            tags[start] = "B-MISC"
            for k in range(start + 1, end):
                tags[k] = "I-MISC"

    def _trim_relatives(self, tags: list[str], bases: list[str]) -> None:
        """A relational noun with a possessive (مواطنه, زميله, نجله, نظيره) is never part of the
        name (ANERcorp: O all 85 times, 24 of them right before a name): مواطنه تييري هنري ->
        تييري هنري. With no name after it (نظيره الروسي, زوجها مهندس) the chunk goes."""
        n = len(tags)
        for i in range(n - 1):
            if tags[i] == "B-PER" and bases[i] in _RELATIVES and tags[i + 1] == "I-PER":
                tags[i] = "O"
                alone = i + 2 >= n or tags[i + 2] != "I-PER"
                keep = self._name_like(bases[i + 1]) and not (alone and _is_nisba(bases[i + 1]))
                end = i + 1
                while end < n and tags[end] == "I-PER":
                    tags[end] = "I-PER" if keep else "O"
                    end += 1
                if keep:
                    tags[i + 1] = "B-PER"

    def _relative_names(
        self, toks: Sequence[str], tags: list[str], splits: list[tuple[str, str]], bases: list[str]
    ) -> None:
        """After a relative's noun (نظيره, زميله, مواطنه …) the CRF often misses a well-known
        foreign name (نظيره إيمانويل ماكرون): two name-like words (a third only if rare), no clitic,
        article, nisba, trigger word or adverb (نظيره آنذاك) become one PER."""
        n = len(toks)
        for i in range(n - 2):
            if bases[i] not in _RELATIVES or tags[i] != "O":
                continue
            k = i + 1
            while (
                k < n
                and k - i <= 3
                and tags[k] == "O"
                and not splits[k][0]
                and _ARABIC_WORD.fullmatch(toks[k])
                and len(bases[k]) >= 3
                and not bases[k].startswith("ال")
                and not _is_nisba(bases[k])
                and bases[k] not in PER_TITLES
                and bases[k] not in ORG_HEADS
                and bases[k] not in LOC_TRIGGERS
                and self._name_like(bases[k])
                and self.lex.count(bases[k]) < (50 if k == i + 3 else 2000)
                and not (k > i + 1 and toks[k][0] in "وف")
                and bases[k] not in _ADVERBS
            ):
                k += 1
            if k - i >= 3 and (k == n or not tags[k].startswith("I-")):
                tags[i + 1] = "B-PER"
                for m in range(i + 2, k):
                    tags[m] = "I-PER"

    def _split_repeated_heads(self, tags: list[str], bases: list[str]) -> None:
        for typ, a, b in iob_chunks(tags) if "I-ORG" in tags else ():
            if typ == "ORG" and bases[a] in ORG_HEADS:
                for x in range(a + 2, b - 1):
                    if bases[x] == bases[a]:
                        tags[x] = "B-ORG"

    def _trim_titles(self, tags: list[str], splits: list[tuple[str, str]], bases: list[str]) -> None:
        """ANERcorp, like most NER conventions, leaves the title out of the person (2,712 of 2,724
        training PER chunks start with a name). A title that is also a given name (أمين، شيخ)
        counts as a title only before a definite word (شيخ الأزهر, not شيخ شريف); some are left
        alone (_NO_TRIM)."""
        n = len(tags)
        for i in range(n):
            if tags[i] != "B-PER" or bases[i] not in _RULE_TITLES or bases[i] in _NO_TRIM:
                continue
            if bases[i] in _TITLE_NAMES and not (i + 1 < n and bases[i + 1].startswith("ال")):
                continue
            end = i + 1
            while end < n and tags[end] == "I-PER":
                end += 1
            if end - i < 2:
                continue  # البابا alone: the CRF's call
            k = i + 1
            while k < end and (bases[k] in _RULE_TITLES or (bases[k].startswith("ال") and not splits[k][0])):
                k += 1
            if k < end and not self._name_like(bases[k]):
                k = end  # what is left is no name either (شيخ الأزهر أصدر): drop the chunk
            for x in range(i, k):
                tags[x] = "O"
            if k < end:
                tags[k] = "B-PER"

    def _title_body_name(
        self, toks: Sequence[str], tags: list[str], splits: list[tuple[str, str]], bases: list[str]
    ) -> None:
        """The name after ``title + body`` is one PER; the CRF tends to run the body's ORG chunk on
        over the first name (``للأمم المتحدة أنطونيو``) or to leave an unseen name out. Where the
        CRF starts a PER right after the body, its span is kept."""
        n = len(toks)
        gaz = self.fx.gaz
        count = self.lex.count

        per_share = self._per_share

        def name_word(m: int, first: bool) -> bool:
            b = bases[m]
            if not (
                not splits[m][0]
                and bool(_ARABIC_WORD.fullmatch(toks[m]))
                and not b.startswith("ال")
                and len(b) >= 2
                and b not in PER_TITLES
                and b not in ORG_HEADS
                and b not in LOC_TRIGGERS
                and b not in WORLD_LOC
                and tags[m] != "B-LOC"
                and not b.startswith("لل")
                and not (b[0] in "وفبلك" and count(b[1:]) >= 200)  # an unsplit clitic: لكرة
            ):
                return False
            if tags[m].endswith("PER") or gaz.get(b) == "PER":
                return True
            share = per_share(b)
            if first and strict:  # no linking word before the name: the CRF or the gazetteer must see it
                return tags[m] != "O"
            if first:  # name evidence (see _per_share); the body's chunk ran on over a rare word;
                # or the CRF starts a PER right after it (حازم قاسم)
                rare = (
                    count(b) < 3 and m + 1 < n and (count(bases[m + 1]) < 3 or self._name_like(bases[m + 1]))
                )
                return (
                    (share >= 0.34 if share is not None else rare)  # rare: two unseen words (هانس غروندبرغ)
                    or (tags[m] in ("I-ORG", "I-LOC") and count(b) < 100)
                    or (m + 1 < n and tags[m + 1] == "B-PER" and count(b) < 1000)  # not هو توم
                )
            return count(b) < 200 and (share >= 0.2 if share is not None else count(b) < 50)

        def surname(m: int) -> bool:  # a definite family name after the first name: عادل العسومي
            b = bases[m]
            return (
                b.startswith("ال")
                and not splits[m][0]
                and bool(_ARABIC_WORD.fullmatch(toks[m]))
                and b not in _PHRASE_STOP
                and b not in PER_TITLES
                and b not in ORG_HEADS
                and (tags[m].endswith("PER") or count(b) < 200)
            )

        def lam(j: int) -> bool:  # ل/لل + noun (also when the lexicon keeps it whole: لكرة)
            b = bases[j]
            return (
                splits[j][0].endswith("ل")
                or b.startswith("لل")
                or (b.startswith("ل") and count(b[1:]) >= 200)
            )

        def body_end(j: int) -> int:
            """After the body's first word: definite words without clitics, and a name the CRF
            starts there (حركة حماس)."""
            k = j + 1
            while k < n and k - j <= 4 and not splits[k][0]:
                if bases[k].startswith("ال") and bases[k] not in _PHRASE_STOP:
                    k += 1
                elif tags[k] in ("B-ORG", "B-LOC") and not tags[j].endswith(tags[k][2:]):
                    k += 1
                    while (
                        k < n
                        and k - j <= 4
                        and tags[k] == "I-" + tags[k - 1][2:]
                        and bases[k].startswith("ال")
                    ):
                        k += 1
                else:
                    break
            return k

        for i in range(0 if _RULE_TITLES.isdisjoint(bases) else n):
            if bases[i] not in _RULE_TITLES or splits[i][0]:
                continue
            j = i + 1
            while (
                j < n
                and j - i <= 3
                and bases[j].startswith("ال")
                and not splits[j][0]
                and not tags[j].endswith("PER")
                and bases[j] not in _TITLE_PREPS
            ):
                j += 1
            if j >= n:
                continue
            head = next((x for x in range(i + 1, j) if bases[x] in ORG_HEADS), -1)
            strict = head >= 0
            if head >= 0:
                k = j  # the body is among the modifiers: رئيس البرلمان العربي عادل العسومي
                if k < n and lam(k) and _ARABIC_WORD.fullmatch(toks[k]):
                    k = body_end(k)  # رئيس الاتحاد الدولي لكرة القدم X
                    strict = False
            else:
                if bases[j] == _BISM or (splits[j][0] == "ب" and bases[j] == _ISM):
                    j += 1  # المتحدث باسم X
                elif bases[j] in _TITLE_PREPS:
                    j += 1  # المبعوث الأممي إلى اليمن X, السفير لدى واشنطن X
                elif not lam(j):
                    continue  # the body is a genitive: ل/لل + noun
                if (
                    j >= n
                    or not _ARABIC_WORD.fullmatch(toks[j])
                    or len(bases[j]) < 3
                    or tags[j].endswith("PER")
                ):
                    continue
                k = body_end(j)
            if k >= n or tags[k] == "B-PER":
                continue  # the CRF found the name (or there is none)
            m = k
            run_on = tags[k] in ("I-ORG", "I-LOC")  # the body's chunk ran on into the name
            while m < n and m - k < 5:
                if bases[m] in NAME_LINKS and m > k and m + 1 < n and _ARABIC_WORD.fullmatch(toks[m + 1]):
                    m += 2  # أحمد أبو الغيط
                elif (
                    name_word(m, m == k)
                    or (m > k and surname(m))
                    or (m > k and run_on and tags[m] == tags[k] and _ARABIC_WORD.fullmatch(toks[m]))
                ):
                    m += 1
                else:
                    break
            if m == k or (m - k == 1 and gaz.get(bases[k]) != "PER" and not tags[k].endswith("PER")):
                continue
            tags[k] = "B-PER"
            for x in range(k + 1, m):
                tags[x] = "I-PER"
            for x in range(i + 1, k):  # the title's modifiers and body are not the person
                if tags[x].endswith("PER"):
                    tags[x] = "O"
            if (
                head >= 0
                and tags[head] in ("O", "B-ORG")
                and all(tags[x] in ("O", "B-ORG", "I-ORG") for x in range(head + 1, k))
                and any(tags[x].endswith("ORG") for x in range(head, k))
            ):  # the body the CRF cut short is one ORG: البرلمان العربي
                tags[head] = "B-ORG"
                for x in range(head + 1, k):
                    tags[x] = "I-ORG"
            if tags[k - 1] == "B-ORG" and bases[k - 1] in ORG_HEADS:
                tags[k - 1] = "O"  # what is left of the cut chunk is a bare head: للمجلس, المؤسسة

    # -------------------------------------------------------------- text level
    def _sentences(self, text: str) -> list[list[tuple[str, int, int]]]:
        sents: list[list[tuple[str, int, int]]] = []
        findall = TOKEN_RE.findall
        find = text.find
        # tokens never contain a newline, so matching inside each line's bounds of the whole
        # text gives the same tokens as tokenising the line; every non-space character belongs
        # to a token, so a token starts at its first occurrence after the previous one
        for line_m in _LINE_RE.finditer(text):
            cur: list[tuple[str, int, int]] = []
            pos, end = line_m.span()
            for t in findall(text, pos, end):
                s = find(t, pos)
                pos = s + len(t)
                cur.append((t, s, pos))
                if t in _SENT_END or len(cur) >= 200:
                    sents.append(cur)
                    cur = []
            if cur:
                sents.append(cur)
        return sents

    def tag(self, text: str) -> list[Span]:
        """Entity spans of one text (one document for propagation)."""
        return self.tag_document([text])[0]

    def tag_document(self, texts: Sequence[str]) -> list[list[Span]]:
        """Spans for each text of one document (e.g. title and body), tagged together."""
        sents_per_text = [self._sentences(t) for t in texts]
        flat = [sent for sents in sents_per_text for sent in sents]
        tok_lists = [[t for t, _, _ in sent] for sent in flat]
        tagged = self.tag_sentences(tok_lists)
        result: list[list[Span]] = []
        it = iter(zip(flat, tok_lists, tagged, strict=True))
        for text, sents in zip(texts, sents_per_text, strict=True):
            spans: list[Span] = []
            for _ in sents:
                sent, toks, (tags, confs) = next(it)
                for typ, a, b in iob_chunks(tags):
                    start, end = sent[a][1], sent[b - 1][2]
                    spans.append(
                        Span(
                            start,
                            end,
                            typ,
                            text[start:end],
                            self.normalize(toks[a:b]),
                            round(min(confs[a:b]), 4),
                        )
                    )
            result.append(spans)
        return result

    def normalize(self, toks: Sequence[str]) -> str:
        """Normal form of an entity (see module docstring)."""
        words = [normalize_arabic(t, ta_marbuta=False) for t in toks]
        words = [w for w in words if w]
        if words and _ARABIC.match(words[0]):
            first = feat_norm(toks[0])
            split_pre, base = self.fx.split(first)
            place = _PLACES.key(toks[0], base, split_pre)
            if place is not None:  # a place: only its own proclitics go (لليبيا -> ليبيا, كوالا stays)
                w, pre = words[0], place[1]
                contracted = place[0].startswith("ال") and pre.endswith("ل")
                if pre and contracted and w[len(pre) - 1 :].startswith("لل"):
                    words[0] = "ا" + w[len(pre) :]  # للحديدة = ل + الحديدة
                elif pre:
                    words[0] = w[len(pre) :]
                return " ".join(words)
            pre = split_pre
            if pre:
                w = words[0]
                if w.startswith("لل") and pre in ("ل", "ول", "فل"):
                    w = w[len(pre) - 1 :]
                    w = "ا" + w[1:] if w.startswith("ل") else w
                else:
                    w = w[len(pre) :]
                words[0] = w
        return " ".join(words)

    # -------------------------------------------------------------- article level
    def article_entities(self, title: str, body: str) -> list[Entity]:
        title_spans, body_spans = self.tag_document([title or "", body or ""])
        return merge_mentions(title_spans, body_spans)


def merge_mentions(title_spans: Iterable[Span], body_spans: Iterable[Span]) -> list[Entity]:
    """Group title+body mentions by (type, normalized); count mentions; sort by count desc."""
    ents: dict[tuple[str, str], Entity] = {}
    for in_title, spans in ((True, title_spans), (False, body_spans)):
        for sp in spans:
            key = (sp.type, sp.normalized)
            e = ents.get(key)
            if e is None:
                e = ents[key] = Entity(sp.type, sp.normalized, 0)
            e.count += 1
            e.in_title = e.in_title or in_title
            e.confidence = max(e.confidence, sp.confidence)
            if sp.surface not in e.surfaces:
                e.surfaces.append(sp.surface)
    return sorted(ents.values(), key=lambda e: (-e.count, not e.in_title, e.type, e.normalized))
