"""Body P/R/F1 and date accuracy of extract_article on the gold set (tests/fixtures/gold.json).

Body scores are token-level over normalised words (akhbar.arabic.normalize_arabic, bag of
words with multiplicity), per page and micro-averaged; plain ``trafilatura.extract`` on the
same pages is shown as the baseline. A date is correct when the extracted instant equals the
gold instant (offset-aware comparison).

    .venv/bin/python bench/extraction_quality.py
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import trafilatura

from akhbar.errors import ExtractionError
from fetcher.dedup import normalized_words
from fetcher.extract import extract_article

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
BASE = "http://fixture.invalid"


def prf(predicted: str, gold: str) -> tuple[float, float, float, int, int, int]:
    p, g = Counter(normalized_words(predicted)), Counter(normalized_words(gold))
    overlap = sum((p & g).values())
    np_, ng = sum(p.values()), sum(g.values())
    precision = overlap / np_ if np_ else 0.0
    recall = overlap / ng if ng else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, overlap, np_, ng


def main() -> int:
    gold = json.loads((FIXTURES / "gold.json").read_text(encoding="utf-8"))
    now = datetime.fromisoformat(gold["now"])
    totals = {"akhbar": [0, 0, 0], "trafilatura": [0, 0, 0], "akhbar (hand-written pages)": [0, 0, 0]}
    dates_ok = 0
    rows = []
    for page in gold["pages"]:
        body = (FIXTURES / "site" / page["path"]).read_bytes().replace(b"{base}", BASE.encode())
        gold_text = "\n".join(page["paragraphs"])
        try:
            article = extract_article(
                body,
                url=f"{BASE}/{page['path']}",
                content_type=page["content_type"],
                site_timezone=page["site_timezone"],
                now=now,
            )
            text, published = article.text, article.published_at
        except ExtractionError:
            text, published = "", None
        expected = datetime.fromisoformat(page["published_at"]) if page["published_at"] else None
        date_ok = published == expected
        dates_ok += date_ok
        # Plain trafilatura decodes bytes itself, as it would in a naive pipeline.
        plain = trafilatura.extract(body, url=f"{BASE}/{page['path']}") or ""
        a, t = prf(text, gold_text), prf(plain, gold_text)
        scored = [("akhbar", a), ("trafilatura", t)]
        if page.get("hand_written"):  # expected fields written by hand before the extractor ran
            scored.append(("akhbar (hand-written pages)", a))
        for name, r in scored:
            totals[name][0] += r[3]
            totals[name][1] += r[4]
            totals[name][2] += r[5]
        rows.append((page["path"], a, t, date_ok))

    print(f"{'page':40} {'P':>6} {'R':>6} {'F1':>6} | {'traf P':>6} {'traf R':>6} {'traf F1':>7} | date")
    for path, a, t, ok in rows:
        print(
            f"{path:40} {a[0]:6.3f} {a[1]:6.3f} {a[2]:6.3f} | {t[0]:6.3f} {t[1]:6.3f} {t[2]:7.3f} | "
            f"{'ok' if ok else 'WRONG'}"
        )
    print("-" * 100)
    for name, (overlap, npred, ngold) in totals.items():
        p = overlap / npred if npred else 0.0
        r = overlap / ngold if ngold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        print(f"micro {name:27} P={p:.3f} R={r:.3f} F1={f:.3f}")
    print(f"date accuracy (akhbar): {dates_ok}/{len(rows)} = {dates_ok / len(rows):.3f}")
    print(f"rerun: {Path(sys.executable).name} bench/extraction_quality.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
