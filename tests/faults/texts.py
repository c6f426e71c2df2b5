"""Short Arabic news texts for the generated stream, far apart for near-duplicate detection.

Every article draws its sentences from templates with slots (people, places, bodies, figures,
days) by a seeded RNG, in its own order, plus two sentences unique to it (its number spelled in
words and a serial). Two articles share few word 3-shingles, so their SimHash fingerprints
(fetcher.dedup, 8-bit threshold) stay far apart; a rare near-duplicate would still be indexed
(``duplicate_of`` set), and the audit counts ids either way.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

PEOPLE = [
    "أحمد الصالح",
    "سلمى الخطيب",
    "خالد العمري",
    "ليلى حداد",
    "يوسف المنصوري",
    "نور الهدى بن علي",
    "عمر الزعبي",
    "هالة السعدي",
    "مازن القاسم",
    "رنا الشامي",
    "طارق بن عيسى",
    "منى العبيدي",
    "سامي الحسيني",
    "دينا فرحات",
    "كريم التميمي",
    "عبير النجار",
    "وليد الجبوري",
    "فاطمة الزهراء بلقاسم",
]
PLACES = [
    "عمّان",
    "بيروت",
    "القاهرة",
    "الرباط",
    "تونس",
    "الجزائر",
    "الدوحة",
    "مسقط",
    "الكويت",
    "بغداد",
    "دمشق",
    "الخرطوم",
    "طرابلس",
    "نواكشوط",
    "المنامة",
    "أبوظبي",
    "الرياض",
    "صنعاء",
    "إربد",
    "وهران",
]
BODIES = [
    "وزارة المالية",
    "وزارة الصحة",
    "البنك المركزي",
    "مجلس النواب",
    "هيئة الطيران المدني",
    "الاتحاد الرياضي",
    "وزارة التربية",
    "غرفة التجارة",
    "هيئة الأرصاد الجوية",
    "جامعة الدول العربية",
    "وزارة الزراعة",
    "الهلال الأحمر",
    "نقابة المهندسين",
    "بلدية العاصمة",
    "وزارة الطاقة",
]
TOPICS = [
    "أسعار القمح",
    "شبكة الكهرباء",
    "مشروع تحلية المياه",
    "موسم الحصاد",
    "قانون الاستثمار",
    "تصفيات كأس آسيا",
    "امتحانات الثانوية العامة",
    "خطوط النقل العام",
    "الموازنة العامة",
    "حملة التطعيم",
    "معرض الكتاب",
    "أسعار الوقود",
    "مهرجان المسرح",
    "ميناء الحاويات",
    "الطاقة الشمسية",
]
DAYS = ["الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت"]
TEMPLATES = [
    "أعلن {person} يوم {day} أن {body} ستبدأ مراجعة شاملة لملف {topic} في {place}.",
    "وقال {person} في مؤتمر صحفي عقده في {place} إن {topic} يحتاج إلى تمويل يقارب {n} مليون دولار.",
    "وأكدت {body} في بيان رسمي أن العمل على {topic} سيستمر رغم الصعوبات التي واجهتها الفرق الفنية.",
    "واجتمع ممثلون عن {body} مع وفد من {place} لبحث سبل التعاون في {topic} خلال العام المقبل.",
    "وأشار تقرير صدر {day} الماضي إلى أن {n} أسرة في {place} تأثرت بالتغييرات الأخيرة في {topic}.",
    "من جهتها، طالبت {person} بنشر الأرقام كاملة أمام الرأي العام قبل أي قرار يخص {topic}.",
    "ونقلت وكالات الأنباء عن مصادر في {body} أن الاتفاق النهائي قد يوقع في {place} خلال أسابيع.",
    "وشهدت شوارع {place} ازدحاماً كبيراً صباح {day} بالتزامن مع انطلاق فعاليات {topic}.",
    "ويرى محللون أن {topic} سيكون اختباراً حقيقياً لقدرة {body} على الوفاء بوعودها.",
    "وفي سياق متصل، زار {person} موقع العمل في {place} واطلع على سير الأعمال ونسب الإنجاز.",
    "وبحسب الأرقام الرسمية فقد ارتفعت الكلفة بنسبة {n} في المئة مقارنة بالعام الماضي.",
    "ودعت {body} المواطنين في {place} إلى متابعة القنوات الرسمية للحصول على المعلومات الدقيقة.",
    "وأضاف {person} أن الحكومة ماضية في خطتها وأن {topic} يأتي في مقدمة أولوياتها هذا العام.",
    "وانتقد نواب في {place} تأخر {body} في الرد على الاستفسارات المتعلقة بملف {topic}.",
    "وتوقع خبراء أن يصل عدد المستفيدين من {topic} إلى {n} ألف شخص بحلول نهاية العام.",
    "وكانت {body} قد أعلنت في وقت سابق عن تشكيل لجنة خاصة لمتابعة {topic} في {place}.",
]
UNITS = ["واحد", "اثنان", "ثلاثة", "أربعة", "خمسة", "ستة", "سبعة", "ثمانية", "تسعة"]
TENS = ["عشرون", "ثلاثون", "أربعون", "خمسون", "ستون", "سبعون", "ثمانون", "تسعون"]
HUNDREDS = ["مئة", "مئتان", "ثلاثمئة", "أربعمئة", "خمسمئة", "ستمئة", "سبعمئة", "ثمانمئة", "تسعمئة"]
# Rare words: each article gets its own pair, so no two articles share every shingle.
RARE = [
    "الزيتون",
    "النخيل",
    "الرمان",
    "اللوز",
    "الصنوبر",
    "الياسمين",
    "الزعتر",
    "الكمون",
    "السماق",
    "العنبر",
    "المرجان",
    "الفيروز",
    "الزمرد",
    "الياقوت",
    "الكهرمان",
    "البلور",
    "الصدف",
    "اللؤلؤ",
    "الغزال",
    "الصقر",
    "الحمام",
    "البلبل",
    "الهدهد",
    "النورس",
    "الفهد",
    "الوعل",
    "القطا",
    "الحجل",
]


def spelled(n: int) -> str:
    """``n`` (0-9999) in Arabic words, good enough to make each article's sentence its own."""
    parts: list[str] = []
    n %= 10_000
    thousands, rest = divmod(n, 1000)
    if thousands:
        parts.append("ألف" if thousands == 1 else f"{UNITS[thousands - 1]} آلاف")
    hundreds, rest = divmod(rest, 100)
    if hundreds:
        parts.append(HUNDREDS[hundreds - 1])
    tens, units = divmod(rest, 10)
    small = []
    if units:
        small.append(UNITS[units - 1])
    if tens >= 2:
        small.append(TENS[tens - 2])
    elif tens == 1:
        small = [f"{UNITS[units - 1]} عشر" if units else "عشرة"]
    if small:
        parts.append(" و".join(small))
    return " و".join(parts) or "صفر"


@dataclass(frozen=True)
class Story:
    title: str
    paragraphs: list[str]
    section: str


def story(index: int, *, seed: int = 0, sentences: int = 8) -> Story:
    """The article numbered ``index``: the same input always gives the same text."""
    rng = random.Random(seed * 1_000_003 + index)

    def fill(template: str) -> str:
        return template.format(
            person=rng.choice(PEOPLE),
            place=rng.choice(PLACES),
            body=rng.choice(BODIES),
            topic=rng.choice(TOPICS),
            day=rng.choice(DAYS),
            n=rng.randint(3, 990),
        )

    chosen = rng.sample(TEMPLATES, k=min(sentences, len(TEMPLATES)))
    lines = [fill(t) for t in chosen]
    rare = rng.sample(RARE, k=3)
    lines.insert(
        rng.randint(0, len(lines)),
        f"وحمل الملف رقم {spelled(index)} في سجلات المراسلين اسم {rare[0]} و{rare[1]} و{rare[2]}.",
    )
    vocab = [w for pool in (PEOPLE, PLACES, BODIES, TOPICS, RARE) for item in pool for w in item.split()]
    for _ in range(2):
        lines.insert(rng.randint(0, len(lines)), "وذكر الشهود " + " ".join(rng.choices(vocab, k=14)) + ".")
    lines.append(f"ويأتي هذا الخبر ضمن التغطية رقم {index} لشبكة مراسلينا في {rng.choice(PLACES)}.")
    paragraphs = [" ".join(lines[i : i + 2]) for i in range(0, len(lines), 2)]
    title = f"{rng.choice(BODIES)} تبحث {rng.choice(TOPICS)} في {rng.choice(PLACES)} ({spelled(index)})"
    return Story(
        title=title, paragraphs=paragraphs, section=rng.choice(["سياسة", "اقتصاد", "رياضة", "مجتمع"])
    )


def long_arabic(chars: int, *, seed: int = 7) -> list[str]:
    """Paragraphs of real-looking Arabic news prose totalling at least ``chars`` characters."""
    rng = random.Random(seed)
    paragraphs: list[str] = []
    total = 0
    i = 0
    while total < chars:
        s = story(100_000 + i, seed=seed, sentences=len(TEMPLATES))
        for p in s.paragraphs:
            text = (
                p
                + " "
                + rng.choice(TEMPLATES).format(
                    person=rng.choice(PEOPLE),
                    place=rng.choice(PLACES),
                    body=rng.choice(BODIES),
                    topic=rng.choice(TOPICS),
                    day=rng.choice(DAYS),
                    n=rng.randint(3, 990),
                )
            )
            paragraphs.append(text)
            total += len(text) + 1
        i += 1
    return paragraphs
