"""Pages/s per core of extract_article vs plain trafilatura.extract, same pages, same run.

Each fixture page (tests/fixtures/gold.json) is repeated to ~2000 extractions per side, single
process on one core, after a warm-up pass; the sides take turns round by round. Plain trafilatura
gets the same bytes, once with its
defaults and once with the options extract_article passes it (favor_precision, no tables);
extract_article does decoding, metadata, main text and the
Arabic cleanup.

    .venv/bin/python bench/extract_speed.py [--total 2000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

import trafilatura

from fetcher.extract import extract_article

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
BASE = "http://fixture.invalid"


Page = tuple[bytes, str, str | None, str | None]  # body, url, content type, site time zone


def fixture_pages() -> tuple[list[Page], datetime]:
    """The hand-checked fixture pages (tests/fixtures/gold.json) and the gold set's "now"."""
    gold = json.loads((FIXTURES / "gold.json").read_text(encoding="utf-8"))
    pages = [
        (
            (FIXTURES / "site" / p["path"]).read_bytes().replace(b"{base}", BASE.encode()),
            f"{BASE}/{p['path']}",
            p["content_type"],
            p["site_timezone"],
        )
        for p in gold["pages"]
    ]
    return pages, datetime.fromisoformat(gold["now"])


def measure(pages: list[Page], total: int, now: datetime | None = None) -> dict[str, dict[str, float]]:
    """CPU seconds and pages/s/core of each side over ``total`` extractions of ``pages``."""
    rounds = max(1, total // len(pages))
    n = rounds * len(pages)

    def ours() -> None:
        for body, url, ct, tz in pages:
            extract_article(body, url=url, content_type=ct, site_timezone=tz, now=now)

    def plain() -> None:
        for body, url, _, _ in pages:
            trafilatura.extract(body, url=url)

    def plain_precision() -> None:
        for body, url, _, _ in pages:
            trafilatura.extract(
                body, url=url, favor_precision=True, include_tables=False, include_comments=False
            )

    ours()
    plain()
    plain_precision()  # warm-up (imports, regex compilation, caches)
    sides = (
        ("extract_article", ours),
        ("trafilatura.extract", plain),
        ("trafilatura (precision)", plain_precision),
    )
    timings = dict.fromkeys((name for name, _ in sides), 0.0)
    # Rounds are interleaved (A B C A B C …) so a change in machine load hits every side alike.
    for _ in range(rounds):
        for name, fn in sides:
            start = time.process_time()
            fn()
            timings[name] += time.process_time() - start
    return {
        k: {"pages": n, "cpu_s": round(v, 3), "pages_per_cpu_s": round(n / v, 1)} for k, v in timings.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=2000, help="extractions per side")
    args = parser.parse_args()
    pages, now = fixture_pages()
    result = measure(pages, args.total, now)
    n = result["extract_article"]["pages"]
    timings = {k: v["cpu_s"] for k, v in result.items()}
    rate = {k: v["pages_per_cpu_s"] for k, v in result.items()}
    print(f"pages: {len(pages)} distinct, {n} extractions per side, CPU time of one process (one core)")
    for name in timings:
        print(f"{name:22} {timings[name]:7.2f} s  {rate[name]:8.1f} pages/s/core")
    ours_rate = rate["extract_article"]
    print(
        "ratio extract_article / trafilatura.extract defaults = "
        f"{ours_rate / rate['trafilatura.extract']:.2f}x"
    )
    print(
        f"ratio extract_article / trafilatura.extract(favor_precision=True, include_tables=False) = "
        f"{ours_rate / rate['trafilatura (precision)']:.2f}x"
    )
    print(f"rerun: {Path(sys.executable).name} bench/extract_speed.py --total {args.total}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
