"""Build the offline demo site (deploy/demo/site) from the short articles below.

The articles are written for Akhbar's demo; they describe invented events.
Run: python deploy/demo/make_site.py   (the generated site is committed too).
"""

from __future__ import annotations

import html
from pathlib import Path

SITE = Path(__file__).resolve().parent / "site"

ARTICLES = [
    {
        "slug": "parliament-budget",
        "date": "2026-02-04T10:15:00+02:00",
        "rss_date": "Wed, 04 Feb 2026 10:15:00 +0200",
        "section": "سياسة",
        "author": "ليلى حداد",
        "title": "مجلس النواب يقر الموازنة العامة بعد جلسة نقاش طويلة",
        "paragraphs": [
            "أقر مجلس النواب مساء الأربعاء مشروع قانون الموازنة العامة للسنة المالية ٢٠٢٦ بأغلبية ٨٢ صوتاً، بعد جلسة نقاش استمرت أكثر من عشر ساعات.",
            "وقال رئيس المجلس إن النواب أدخلوا تعديلات على بنود الإنفاق الرأسمالي لصالح مشاريع البنية التحتية في المحافظات الأقل حظاً.",
            "وانتقد نواب من المعارضة ارتفاع عجز الموازنة، مطالبين الحكومة بخطة واضحة لخفض الدين العام خلال السنوات الثلاث المقبلة.",
        ],
    },
    {
        "slug": "central-bank-rates",
        "date": "2026-02-05T09:00:00+02:00",
        "rss_date": "Thu, 05 Feb 2026 09:00:00 +0200",
        "section": "اقتصاد",
        "author": "كريم منصور",
        "title": "البنك المركزي يثبت أسعار الفائدة ويتوقع تراجع التضخم",
        "paragraphs": [
            "قرر البنك المركزي الإبقاء على أسعار الفائدة الرئيسية دون تغيير للمرة الثالثة على التوالي، مشيراً إلى تباطؤ معدلات التضخم خلال الربع الأخير.",
            "وأوضح محافظ البنك في بيان أن الاحتياطيات الأجنبية ارتفعت إلى مستوى قياسي، ما يعزز استقرار سعر صرف العملة المحلية.",
            "ويتوقع خبراء اقتصاديون أن يبدأ البنك خفض الفائدة في النصف الثاني من العام إذا استمر تراجع الأسعار في الأسواق.",
        ],
    },
    {
        "slug": "league-derby",
        "date": "2026-02-06T22:30:00+02:00",
        "rss_date": "Fri, 06 Feb 2026 22:30:00 +0200",
        "section": "رياضة",
        "author": "سامر يوسف",
        "title": "الفيصلي يتغلب على الوحدات في قمة الدوري ويعزز صدارته",
        "paragraphs": [
            "تغلب فريق الفيصلي على منافسه الوحدات بهدفين مقابل هدف في قمة الجولة الخامسة عشرة من دوري المحترفين لكرة القدم.",
            "وسجل المهاجم خليل بني عطية هدف الفوز في الدقيقة الثامنة والثمانين بضربة رأسية إثر ركلة ركنية.",
            "ورفع الفيصلي رصيده إلى ٣٥ نقطة في صدارة الترتيب، بفارق أربع نقاط عن أقرب ملاحقيه قبل عشر جولات من نهاية الموسم.",
        ],
    },
    {
        "slug": "book-fair",
        "date": "2026-02-07T12:00:00+02:00",
        "rss_date": "Sat, 07 Feb 2026 12:00:00 +0200",
        "section": "ثقافة",
        "author": "نور الهدى سالم",
        "title": "افتتاح معرض الكتاب بمشاركة أكثر من ثلاثمئة دار نشر عربية",
        "paragraphs": [
            "افتتحت وزيرة الثقافة صباح السبت الدورة العشرين لمعرض الكتاب الدولي بمشاركة أكثر من ثلاثمئة دار نشر من اثنتي عشرة دولة عربية.",
            "ويتضمن برنامج المعرض ندوات أدبية وأمسيات شعرية وتوقيع روايات جديدة لكتاب شباب، إلى جانب جناح خاص بكتب الأطفال.",
            "وقالت إدارة المعرض إن الدورة الحالية تحتفي بالرواية العربية المعاصرة وتكرم عدداً من المترجمين الذين نقلوا الأدب العربي إلى لغات أخرى.",
        ],
    },
    {
        "slug": "vaccination-campaign",
        "date": "2026-02-08T08:45:00+02:00",
        "rss_date": "Sun, 08 Feb 2026 08:45:00 +0200",
        "section": "صحة",
        "author": "هبة العلي",
        "title": "وزارة الصحة تطلق حملة تطعيم وطنية ضد الحصبة في المدارس",
        "paragraphs": [
            "أطلقت وزارة الصحة حملة تطعيم وطنية ضد الحصبة تستهدف طلاب المدارس الحكومية والخاصة في جميع المحافظات.",
            "وأكد مدير برنامج التطعيم أن المطاعيم آمنة ومجانية، داعياً أولياء الأمور إلى التعاون مع الفرق الصحية التي ستزور المدارس خلال أسبوعين.",
            "وسجلت المستشفيات في الأشهر الماضية ارتفاعاً في عدد حالات الإصابة بين الأطفال، ما دفع الوزارة إلى تسريع موعد الحملة.",
        ],
    },
    {
        "slug": "startup-ai",
        "date": "2026-02-09T15:20:00+02:00",
        "rss_date": "Mon, 09 Feb 2026 15:20:00 +0200",
        "section": "تكنولوجيا",
        "author": "رامي الخطيب",
        "title": "شركة ناشئة تطور تطبيقاً للذكاء الاصطناعي يترجم اللهجات العربية",
        "paragraphs": [
            "كشفت شركة ناشئة في مجال التكنولوجيا عن تطبيق جديد يعتمد على الذكاء الاصطناعي لترجمة اللهجات العربية المحكية إلى الفصحى والإنجليزية.",
            "وقال المؤسس إن فريق المهندسين درب النموذج على آلاف الساعات من التسجيلات الصوتية، وإن التطبيق يعمل على الهواتف الذكية دون اتصال بالإنترنت.",
            "وحصلت الشركة على تمويل بقيمة خمسة ملايين دولار من صندوق استثمار إقليمي لتوسيع خدماتها إلى أسواق الخليج وشمال أفريقيا.",
        ],
    },
]

PAGE = """<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head>
<meta charset="utf-8">
<title>{title} | أخبار تجريبية</title>
<link rel="canonical" href="{{base}}/articles/{slug}.html">
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="{date}">
<meta property="article:section" content="{section}">
<meta name="author" content="{author}">
</head>
<body>
<header><nav><a href="/">الرئيسية</a></nav></header>
<article>
<h1>{title}</h1>
<p class="byline">{author}</p>
{paragraphs}
</article>
<footer><p>موقع تجريبي لعرض أخبار — جميع الأحداث متخيلة</p></footer>
</body>
</html>
"""

ITEM = """    <item>
      <title>{title}</title>
      <link>{{base}}/articles/{slug}.html</link>
      <pubDate>{rss_date}</pubDate>
      <category>{section}</category>
    </item>
"""


def main() -> None:
    (SITE / "articles").mkdir(parents=True, exist_ok=True)
    for a in ARTICLES:
        esc = {k: html.escape(v) if isinstance(v, str) else v for k, v in a.items()}
        paragraphs = "\n".join(f"<p>{html.escape(p)}</p>" for p in a["paragraphs"])
        (SITE / "articles" / f"{a['slug']}.html").write_text(
            PAGE.format(paragraphs=paragraphs, **{k: v for k, v in esc.items() if k != "paragraphs"}),
            encoding="utf-8",
        )
    items = "".join(
        ITEM.format(**{k: html.escape(v) if isinstance(v, str) else v for k, v in a.items()})
        for a in ARTICLES
    )
    (SITE / "feed.rss").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n  <channel>\n'
        "    <title>أخبار تجريبية</title>\n    <link>{base}/</link>\n"
        "    <description>مصدر أخبار محلي للعرض دون اتصال</description>\n    <language>ar</language>\n"
        f"{items}  </channel>\n</rss>\n",
        encoding="utf-8",
    )
    (SITE / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    (SITE / "sources.yaml").write_text(
        "# The offline demo source, served on loopback by `make run`.\n"
        "sources:\n  - name: demo\n    kind: feed\n    urls: ['{base}/feed.rss']\n"
        "    poll_interval_s: 30\n    allow_private_addresses: true\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
