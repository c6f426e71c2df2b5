"""Accuracy and latency of ``enricher.language.detect_language``.

Rerun (from the repo root):

    .venv/bin/python bench/language_accuracy.py
    .venv/bin/python bench/language_accuracy.py --data-dir /work/shared/data/topics --n 2000

1. The hand-written labelled sample ``tests/fixtures/language_sample.jsonl``:
   accuracy overall, per language, long (>= 50 chars) vs short, confusion pairs.
2. Optional Arabic recall on real Arabic texts from ``--data-dir`` (``*.jsonl`` with a
   ``text`` field; read-only, nothing is copied): for ``train.jsonl``-style articles
   the first line is taken as the title and the rest as the body; tweet-like files
   are scored as one text each. A fixed-seed sample of ``--n`` lines per file.
3. Latency per article (title + body) and per call, wall and CPU time, after warm-up.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services"))

from enricher.language import MAX_CHARS, SHORT_TEXT_CHARS, detect_language, warm_up  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "language_sample.jsonl"
DEFAULT_DATA = Path("/work/shared/data/topics")


def _pct(ok: int, n: int) -> str:
    return f"{100.0 * ok / n:6.1f}% ({ok}/{n})" if n else "     - (0/0)"


def fixture_report(path: Path) -> None:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
    per_lang: dict[str, Counter[str]] = defaultdict(Counter)
    confusion: Counter[tuple[str, str]] = Counter()
    script_ok = 0
    errors = []
    for row in rows:
        guess = detect_language(row["text"])
        length = "long" if len(row["text"]) >= SHORT_TEXT_CHARS else "short"
        ok = guess.code == row["lang"]
        script_ok += guess.script == row["script"]
        for key in ("all", length):
            per_lang[row["lang"]][key + "_n"] += 1
            per_lang[row["lang"]][key + "_ok"] += ok
            per_lang["ALL"][key + "_n"] += 1
            per_lang["ALL"][key + "_ok"] += ok
        if not ok:
            confusion[(row["lang"], guess.code)] += 1
            errors.append((row["id"], row["lang"], guess.code, guess.confidence, row["text"]))

    print(f"== labelled sample: {path.relative_to(ROOT)} ({len(rows)} texts) ==")
    print(f"script accuracy: {_pct(script_ok, len(rows))}")
    print(f"{'lang':6} {'all':>18} {'long (>=50)':>18} {'short (<50)':>18}")
    order = ["ALL", *sorted((k for k in per_lang if k != "ALL"), key=lambda k: -per_lang[k]["all_n"])]
    for lang in order:
        c = per_lang[lang]
        print(
            f"{lang:6} {_pct(c['all_ok'], c['all_n']):>18} {_pct(c['long_ok'], c['long_n']):>18} "
            f"{_pct(c['short_ok'], c['short_n']):>18}"
        )
    print(
        "confusion pairs (gold -> predicted: count):",
        ", ".join(f"{g}->{p}: {n}" for (g, p), n in confusion.most_common()) or "none",
    )
    for rid, gold, pred, conf, text in errors:
        print(f"  miss {rid}: {gold} -> {pred} ({conf}) {text[:80]}")


def short_arabic_ablation(fixture: Path, data_dir: Path, n: int) -> None:
    """Short Arabic-script texts (ar/fa/ur): letter rules alone, lingua alone, both (what ships)."""
    from akhbar.arabic import strip_diacritics, strip_tatweel
    from enricher.language import _arabic_script_scores, _clean, _lingua, _script_of

    rows = [json.loads(line) for line in fixture.read_text(encoding="utf-8").split("\n") if line.strip()]
    sets = {
        fixture.name: [
            (r["text"], r["lang"])
            for r in rows
            if r["lang"] in ("ar", "fa", "ur") and len(r["text"]) < SHORT_TEXT_CHARS
        ]
    }
    for path in sorted(data_dir.glob("*.jsonl")) if data_dir.is_dir() else []:
        texts = [(row.get("text") or "").partition("\n")[0] for row in _sample_lines(path, n)]
        sets[path.name] = [
            (t, "ar") for t in texts if len(t) < SHORT_TEXT_CHARS and _script_of(_clean(t))[0] == "Arab"
        ]
    columns = ("rules", "lingua", "0.8r+0.2l", "shipped")
    print("\nshort Arabic-script texts (ar/fa/ur gold), first line of each data row; columns: letter rules")
    print("alone, lingua alone, rules 0.8 + lingua 0.2 (probabilities mixed), what detect_language returns")
    print(" " * 36 + "".join(f"{c:>18}" for c in columns))
    for name, items in sets.items():
        ok: Counter[str] = Counter()
        for text, gold in items:
            plain = strip_diacritics(strip_tatweel(_clean(text)))
            scores = _arabic_script_scores(plain)
            total = sum(scores.values()) + 3
            lingua = dict(_lingua("Arab", plain))
            mixed = {c: 0.8 * (s + 1) / total + 0.2 * lingua.get(c, 0.0) for c, s in scores.items()}
            ok["rules"] += max(scores, key=lambda c: (scores[c], c == "ar")) == gold
            ok["lingua"] += max(lingua, key=lambda c: lingua[c]) == gold
            ok["0.8r+0.2l"] += max(mixed, key=lambda c: (mixed[c], c == "ar")) == gold
            ok["shipped"] += detect_language(text).code == gold
        print(f"  {name:34}" + "".join(f"{_pct(ok[k], len(items)):>18}" for k in columns))


def _sample_lines(path: Path, n: int) -> list[dict]:
    lines = [line for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
    rng = random.Random(20240501)
    picked = rng.sample(range(len(lines)), min(n, len(lines)))
    return [json.loads(lines[i]) for i in sorted(picked)]


def arabic_recall_report(data_dir: Path, n: int) -> list[tuple[str, str]]:
    """Arabic recall on real texts; returns (title, body) pairs for the latency run."""
    pairs: list[tuple[str, str]] = []
    files = sorted(data_dir.glob("*.jsonl")) if data_dir.is_dir() else []
    if not files:
        print(f"\n(no *.jsonl under {data_dir}: Arabic recall on real texts skipped)")
        return pairs
    print(f"\n== Arabic recall on real texts from {data_dir} (seeded sample of {n} per file) ==")
    for path in files:
        counts: Counter[str] = Counter()
        wrong: Counter[str] = Counter()
        examples: list[str] = []
        for row in _sample_lines(path, n):
            text = row.get("text") or ""
            title, _, body = text.partition("\n")
            is_article = len(body) >= 200
            parts = {"title": title, "body": body} if is_article else {"text": text}
            if is_article:
                pairs.append((title, body))
            for kind, part in parts.items():
                if not part.strip():
                    continue
                guess = detect_language(part)
                if guess.script != "Arab":
                    counts[f"{kind}_nonarab_script"] += 1  # e.g. an English tweet: not an Arabic text
                    continue
                bucket = f"{kind}_{'long' if len(part) >= SHORT_TEXT_CHARS else 'short'}"
                counts[bucket + "_n"] += 1
                if guess.code == "ar":
                    counts[bucket + "_ok"] += 1
                else:
                    wrong[f"ar->{guess.code}"] += 1
                    if len(examples) < 5:
                        examples.append(f"{guess.code} ({guess.confidence}) {part[:70]!r}")
        print(f"{path.name}:")
        for bucket in sorted({k.rsplit("_", 1)[0] for k in counts if k.endswith("_n")}):
            print(f"  {bucket:14} {_pct(counts[bucket + '_ok'], counts[bucket + '_n'])}")
        skipped = {k: v for k, v in counts.items() if k.endswith("nonarab_script")}
        if skipped:
            print(f"  skipped (dominant script not Arabic): {skipped}")
        print(f"  errors: {dict(wrong) or 'none'}")
        for example in examples:
            print(f"    e.g. {example}")
    return pairs


def latency_report(pairs: list[tuple[str, str]]) -> None:
    if not pairs:  # no real data: build 400-word-ish articles from the fixture's long Arabic texts
        rows = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").split("\n") if line.strip()]
        long_ar = [r["text"] for r in rows if r["lang"] == "ar" and len(r["text"]) >= SHORT_TEXT_CHARS]
        short_ar = [r["text"] for r in rows if r["lang"] == "ar" and len(r["text"]) < SHORT_TEXT_CHARS]
        pairs = [
            (short_ar[i % len(short_ar)], " ".join(long_ar[i % len(long_ar) :] + long_ar)[:2600])
            for i in range(200)
        ]
    pairs = pairs[:500]
    print(f"\n== latency (body prefix {MAX_CHARS} chars; {len(pairs)} articles, title + body) ==")
    for title, body in pairs[:20]:
        detect_language(title), detect_language(body)
    for label, texts in (("title", [t for t, _ in pairs]), ("body", [b for _, b in pairs])):
        walls = []
        cpu0 = time.process_time()
        for text in texts:
            w0 = time.perf_counter()
            detect_language(text)
            walls.append(time.perf_counter() - w0)
        cpu = (time.process_time() - cpu0) / len(texts)
        walls.sort()
        p50, p95 = walls[len(walls) // 2], walls[int(len(walls) * 0.95)]
        print(
            f"{label:6} wall mean {1000 * statistics.fmean(walls):.3f} ms, p50 {1000 * p50:.3f} ms, "
            f"p95 {1000 * p95:.3f} ms; CPU mean {1000 * cpu:.3f} ms"
        )
    cpu0, w0 = time.process_time(), time.perf_counter()
    for title, body in pairs:
        detect_language(title), detect_language(body)
    cpu = (time.process_time() - cpu0) / len(pairs)
    wall = (time.perf_counter() - w0) / len(pairs)
    print(
        f"article (title+body): wall {1000 * wall:.3f} ms, CPU {1000 * cpu:.3f} ms "
        f"-> language alone caps one core at ~{1 / cpu:.0f} articles/s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fixture", type=Path, default=FIXTURE)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA,
        help="read-only dir of *.jsonl Arabic texts for recall (skipped if absent)",
    )
    parser.add_argument("--n", type=int, default=1000, help="lines sampled per data file")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    warm_up()
    print(f"warm-up (lingua model load, once per process): {time.perf_counter() - t0:.2f} s\n")
    fixture_report(args.fixture)
    short_arabic_ablation(args.fixture, args.data_dir, args.n)
    pairs = arabic_recall_report(args.data_dir, args.n)
    latency_report(pairs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
