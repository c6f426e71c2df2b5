"""How often each NER rule fires, and what it fixes and breaks, on dev and on the frozen test.

Each part (``enricher/ner/corpus.py``) is tagged in documents of 10 sentences with the shipped
tagger (gold tokens, the tokens the production path produces for these documents); every change a
rule makes to a sentence is compared with the gold chunks of that sentence:

* fires: sentences the rule changed; fixes: gold entities right after the rule, not before;
* breaks: gold entities right before the rule, not after; spurious: wrong entities the rule
  added; cleaned: wrong entities it removed. Δright = fixes - breaks (more is better), Δwrong =
  spurious - cleaned (less is better); a retyped entity counts in both.

Only these aggregate counts are written for the frozen test (no sentence, no error list).
Run: ``.venv/bin/python bench/ner_rules_report.py`` -> ``bench/results/ner_rules.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "services"))

from enricher.enrich import artifact_version  # noqa: E402
from enricher.ner import RULES_VERSION, NerTagger, corpus, iob_chunks  # noqa: E402
from enricher.ner.rules.base import Sentence  # noqa: E402
from enricher.ner.tagger import DEFAULT_MODEL_DIR  # noqa: E402

COLUMNS = ("fires", "fixes", "breaks", "spurious", "cleaned", "Δright", "Δwrong")


def rule_counts(tagger: NerTagger, sents: list[corpus.Sentence]) -> dict[str, Counter[str]]:
    gold_of: dict[int, set[tuple[str, int, int]]] = {}
    counts: dict[str, Counter[str]] = {n: Counter() for n in tagger.pipeline.names}

    def trace(name: str, s: Sentence, before: list[str]) -> None:
        gold = gold_of[id(s.toks)]
        old, new = set(iob_chunks(before)), set(iob_chunks(s.tags))
        c = counts[name]
        c["fires"] += 1
        c["fixes"] += len((new - old) & gold)
        c["breaks"] += len((old - new) & gold)
        c["spurious"] += len((new - old) - gold)
        c["cleaned"] += len((old - new) - gold)

    tagger.pipeline.trace = trace
    for doc in corpus.documents(sents):
        toks = [[t for t, _ in s] for s in doc]
        for tk, s in zip(toks, doc, strict=True):
            gold_of[id(tk)] = set(iob_chunks([y for _, y in s]))
        tagger.tag_sentences(toks)
        gold_of.clear()
    tagger.pipeline.trace = None
    for c in counts.values():
        c["Δright"] = c["fixes"] - c["breaks"]
        c["Δwrong"] = c["spurious"] - c["cleaned"]
    return counts


def table(counts: dict[str, Counter[str]]) -> list[str]:
    lines = ["| rule | " + " | ".join(COLUMNS) + " |", "| --- |" + " ---: |" * len(COLUMNS)]
    for name, c in counts.items():
        lines.append(f"| `{name}` | " + " | ".join(str(c[k]) for k in COLUMNS) + " |")
    tot = Counter[str]()
    for c in counts.values():
        tot.update(c)
    lines.append("| **all** | " + " | ".join(str(tot[k]) for k in COLUMNS) + " |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--model-dir", default=str(DEFAULT_MODEL_DIR))
    ap.add_argument("--out", default=str(REPO / "bench/results/ner_rules.md"))
    args = ap.parse_args()
    model_dir = Path(args.model_dir)
    parts = corpus.splits(corpus.read_conll(Path(args.data_dir) / "ner/train.conll"))
    tagger = NerTagger.load(model_dir)
    version = f"{artifact_version(model_dir)}+rules-{RULES_VERSION}"
    out = [
        "# NER rules: fires, fixes, breaks",
        "",
        f"Model `{version}`, {datetime.now(UTC):%Y-%m-%d}; `bench/ner_rules_report.py` (see its docstring",
        "for the columns). Counts are entities; a rule is judged on the tags it received from the CRF and",
        "the rules before it (pipeline order, `enricher/ner/data/rules.json`), before propagation.",
        "Rules switched off in `rules.json` are not run and not listed.",
        "",
    ]
    for part, title in (("dev", "dev (last 10 % of the development part)"), ("frozen", "frozen test")):
        out += [f"## {title}: {len(parts[part])} sentences", "", *table(rule_counts(tagger, parts[part])), ""]
    Path(args.out).write_text("\n".join(out), encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
