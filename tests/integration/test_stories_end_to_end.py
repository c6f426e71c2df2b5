"""Issue 14, done when: fetcher → Kafka → enricher → Kafka → indexer → Elasticsearch, for real.

A small aggregator serves one story as an RSS item, a sitemap entry of the same URL and a
windows-1256 syndicated copy at another URL whose canonical link names the first; another outlet
covers the same event in its own words; the same day, the same parliament and speaker appear in
another event. Expected: the three copies are ONE article (the first seen copy's provenance, the
copy listed on it), the two reports of the event are ONE story, the other event is another story,
and the stories index counts exactly.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from akhbar.devsite import DevSite
from akhbar.messages import article_id

from .test_end_to_end import _stop, _wait, pipeline_env, start_consumers

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]

ROOT = Path(__file__).resolve().parents[2]

LAW_TITLE = "مجلس النواب يقر قانون الانتخاب الجديد بأغلبية 82 صوتا"
LAW = [
    "أقر مجلس النواب في جلسته المسائية يوم الأربعاء قانون الانتخاب الجديد بأغلبية 82 صوتا من أصل 130 نائبا، "
    "بعد نقاش استمر ثلاثة أيام حول تقسيم الدوائر الانتخابية ونظام القوائم الحزبية المغلقة.",
    "وقال رئيس مجلس النواب سمير الخطيب إن القانون يرفع عدد المقاعد المخصصة للقوائم الحزبية إلى 41 مقعدا، "
    "ويخفض سن الترشح إلى 25 عاما، وسيدخل حيز التنفيذ بعد نشره في الجريدة الرسمية.",
    "واعترض نواب كتلة الإصلاح على تقسيم الدوائر في المحافظات الجنوبية، وطالبوا بإحالة القانون إلى المحكمة "
    "الدستورية قبل المصادقة عليه.",
]
OTHER_TITLE = "النواب يصوتون لصالح قانون الانتخاب والقوائم الحزبية تحصل على 41 مقعدا"
OTHER = [
    "صوت مجلس النواب مساء الأربعاء بأغلبية 82 صوتا لصالح قانون الانتخاب الجديد الذي يعيد تقسيم الدوائر "
    "الانتخابية ويمنح القوائم الحزبية 41 مقعدا.",
    "وأكد رئيس المجلس سمير الخطيب أن القانون يخفض سن الترشح إلى 25 عاما ويدخل حيز التنفيذ فور نشره في "
    "الجريدة الرسمية، فيما طالب نواب كتلة الإصلاح بإحالته إلى المحكمة الدستورية.",
]
WATER_TITLE = "رئيس مجلس النواب يستقبل وفدا من الاتحاد الأوروبي لبحث أزمة المياه"
WATER = [
    "استقبل رئيس مجلس النواب سمير الخطيب صباح الأربعاء وفدا من الاتحاد الأوروبي برئاسة المفوضة كارين "
    "ليندبرغ، وبحث الجانبان تمويل مشروع الناقل الوطني لتحلية مياه البحر الأحمر ونقلها إلى عمّان.",
    "وقالت ليندبرغ إن الاتحاد الأوروبي سيقدم منحة بقيمة 300 مليون يورو لمحطات معالجة المياه العادمة، "
    "وإن العجز المائي في المملكة بلغ 500 مليون متر مكعب سنويا بسبب تراجع الأمطار.",
]


def _page(title: str, paragraphs: list[str], *, canonical: str, when: str, charset: str = "utf-8") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="{charset}"><title>{title}</title>'
        f'<link rel="canonical" href="{canonical}">'
        f'<meta property="article:published_time" content="{when}">'
        '<meta property="article:section" content="سياسة"></head><body>'
        '<header><nav><a href="/">الرئيسية</a> <a href="/politics">سياسة</a></nav></header>'
        f"<article><h1>{title}</h1>{body}</article>"
        "<footer>جميع الحقوق محفوظة</footer></body></html>"
    ).encode(charset)


def _rss(*items: tuple[str, str, str]) -> str:
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link><pubDate>{date}</pubDate>"
        "<category>سياسة</category></item>"
        for title, link, date in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>أخبار</title>'
        f"<link>{{base}}/</link><description>موقع تجريبي</description><language>ar</language>{entries}"
        "</channel></rss>"
    )


def _build_site(root: Path, base: str) -> dict[str, str]:
    """The pages, feeds and sitemap; the windows-1256 copy needs the real base in its bytes."""
    urls = {
        "law": f"{base}/news/2026/election-law.html",
        "water": f"{base}/news/2026/eu-water.html",
        "copy": f"{base}/syndicated/77.cp1256",
        "other": f"{base}/other/2026/vote.html",
    }
    files: dict[str, bytes] = {
        "robots.txt": b"User-agent: *\nAllow: /\n",
        "news/2026/election-law.html": _page(
            LAW_TITLE, LAW, canonical="{base}/news/2026/election-law.html", when="2026-02-04T19:00:00+02:00"
        ),
        "news/2026/eu-water.html": _page(
            WATER_TITLE, WATER, canonical="{base}/news/2026/eu-water.html", when="2026-02-04T10:15:00+02:00"
        ),
        "syndicated/77.cp1256": _page(
            LAW_TITLE, LAW, canonical=urls["law"], when="2026-02-04T19:00:00+02:00", charset="windows-1256"
        ),
        "other/2026/vote.html": _page(
            OTHER_TITLE, OTHER, canonical="{base}/other/2026/vote.html", when="2026-02-04T19:40:00+02:00"
        ),
        "feed.rss": _rss(
            (
                LAW_TITLE,
                "{base}/news/2026/election-law.html?utm_source=rss",
                "Wed, 04 Feb 2026 19:00:00 +0200",
            ),
            (WATER_TITLE, "{base}/news/2026/eu-water.html", "Wed, 04 Feb 2026 10:15:00 +0200"),
        ).encode(),
        "sitemap.xml": (
            b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<url><loc>{base}/news/2026/election-law.html</loc></url></urlset>"
        ),
        "syn.rss": _rss(
            (LAW_TITLE, "{base}/syndicated/77.cp1256", "Wed, 04 Feb 2026 19:30:00 +0200")
        ).encode(),
        "other.rss": _rss(
            (OTHER_TITLE, "{base}/other/2026/vote.html", "Wed, 04 Feb 2026 19:40:00 +0200")
        ).encode(),
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return urls


def test_three_copies_are_one_article_in_one_story_and_another_event_is_another_story(
    kafka_bootstrap: str, es_url: str, unique_name: str, tmp_path: Path, python: str, free_port: int
) -> None:
    env = pipeline_env(kafka_bootstrap, es_url, unique_name, tmp_path)
    es = Elasticsearch(es_url, request_timeout=30)
    site_root = tmp_path / "site"
    site_root.mkdir()
    with DevSite(site_root) as site:
        urls = _build_site(site_root, site.base)
        sources = tmp_path / "sources.yaml"
        lines = ["sources:"]
        for name, kind, path in (
            ("agg-feed", "feed", "feed.rss"),
            ("agg-map", "sitemap", "sitemap.xml"),
            ("syndicator", "feed", "syn.rss"),
            ("other-outlet", "feed", "other.rss"),
        ):
            lines += [
                f"  - name: {name}",
                f"    kind: {kind}",
                f"    urls: ['{site.base}/{path}']",
                "    allow_private_addresses: true",
            ]
        sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
        fetch = subprocess.run(
            [python, "-m", "fetcher", "--sources", str(sources), "once"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=180,
        )
        assert fetch.returncode == 0, fetch.stderr.decode()[-4000:]
        # the feed's and the sitemap's URL fetched once; the copy published as a revision of it
        assert sum(r.startswith("/news/2026/election-law.html") for r in site.requests) == 1
        assert '"published": 4' in fetch.stdout.decode(), fetch.stdout.decode()

        procs = start_consumers(python, env, free_port)
        law_id = article_id(urls["law"])
        try:

            def settled() -> bool:
                if not es.indices.exists_alias(name=unique_name):
                    return False
                es.indices.refresh(index=[unique_name, f"{unique_name}-stories"])
                if int(es.count(index=unique_name)["count"]) < 3:
                    return False
                law = es.get(index=unique_name, id=law_id, source=["copy_count"])["_source"]
                return bool(law.get("copy_count"))  # the copy's revision is in

            _wait(settled, 240, "three indexed articles, the copy's revision included", procs)
        finally:
            outputs = _stop(procs)
    assert procs["indexer"].returncode == 0, outputs["indexer"][-4000:]

    es.indices.refresh(index=[unique_name, f"{unique_name}-stories"])
    hits = es.search(index=unique_name, query={"match_all": {}}, size=10)["hits"]["hits"]
    docs = {h["_id"]: h["_source"] for h in hits}
    water_id, other_id = article_id(urls["water"]), article_id(urls["other"])
    assert sorted(docs) == sorted([law_id, water_id, other_id])  # ONE article for the three copies
    law = docs[law_id]
    assert law["url"] == urls["law"]
    assert (
        law["fetched_url"] == f"{site.base}/news/2026/election-law.html?utm_source=rss"
    )  # the feed's, first
    assert law["source"] == "agg-feed"
    assert law["first_seen_at"] < law["fetched_at"]  # the copy's fetch did not move the first sighting
    assert law["copy_count"] == 1
    assert [(c["url"], c["source"]) for c in law["copies"]] == [(urls["copy"], "syndicator")]
    assert law["title"] == LAW_TITLE and law["body"].startswith(LAW[0][:40])

    # ONE story for the event, another for the other event. A story is named after the article
    # that founded it: the law article or the other outlet's, whichever the indexer took first
    # (they sit on different partitions); its first article is the earliest seen either way.
    story_ids = {aid: docs[aid]["story_id"] for aid in docs}
    law_story = story_ids[law_id]
    assert law_story in (law_id, other_id) and story_ids[other_id] == law_story, story_ids
    assert story_ids[water_id] == water_id, story_ids
    stories = {
        h["_id"]: h["_source"]
        for h in es.search(index=f"{unique_name}-stories", query={"match_all": {}}, size=10)["hits"]["hits"]
    }
    assert sorted(stories) == sorted([law_story, water_id])
    story = stories[law_story]
    assert (story["article_count"], story["source_count"]) == (2, 2)  # the copy counted once, as one article
    assert sorted(story["members"]) == sorted([law_id, other_id])
    assert sorted(story["sources"]) == ["agg-feed", "other-outlet"]
    assert story["first_article"]["id"] == law_id and story["first_article"]["source"] == "agg-feed"
    assert story["topic"] == "politics"
    assert (stories[water_id]["article_count"], stories[water_id]["source_count"]) == (1, 1)

    for name in es.indices.get(index=f"{unique_name}-v*"):
        es.indices.delete(index=name)
    es.options(ignore_status=404).indices.delete(index=f"{unique_name}-stories")
    es.indices.delete_index_template(name=unique_name)
    for component in ("settings", "mappings"):
        es.cluster.delete_component_template(name=f"{unique_name}-{component}")
