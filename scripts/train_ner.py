#!/usr/bin/env python3
"""Train the enricher's Arabic NER CRF reproducibly and report dev scores per type.

Needs ``lexicon.tsv.gz`` (word clusters) made by ``scripts/train_word_clusters.py``
first (``make train-ner`` runs both).

Split: ANERcorp train part (``ner/train.conll``); dev = the last 10 % of its
sentences (deterministic, sequential like the CAMeL split, so dev articles are
unseen articles). The shipped model is the one fitted on the first 90 % and scored
on dev (so the reported scores are those of the artifact).

Self-training gazetteer (``--self-train-tokens``): base CRFs (no ``ag=`` feature)
tag a fixed slice of the unlabelled news; words mostly tagged as one type become
``ag=TYPE`` features. For the training sentences the gazetteer comes from a base model
trained on the *other* half of the training data (2-fold jackknife), at run time
from a base model trained on all of it.

Writes to ``services/enricher/models/ner/``: ``model.crfsuite``, ``gazetteer.json``,
``dev_scores.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "services"))

import pycrfsuite  # noqa: E402
from enricher.ner import (  # noqa: E402
    ENTITY_TYPES,
    FeatureExtractor,
    Lexicon,
    NerTagger,
    feat_norm,
    iob_chunks,
    tokenize,
)

MODEL_DIR = REPO / "services/enricher/models/ner"


def read_conll(path: Path) -> list[list[tuple[str, str]]]:
    sents, cur = [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line:
                if cur:
                    sents.append(cur)
                    cur = []
                continue
            tok, tag = line.split("\t")
            cur.append((tok, tag))
    if cur:
        sents.append(cur)
    return sents


def build_gazetteer(sents, lex: Lexicon, min_count: int = 2, min_ratio: float = 0.6) -> dict[str, str]:
    """base form -> entity type when the word is mostly (>= min_ratio) inside that type."""
    fx = FeatureExtractor(lex)
    counts: dict[str, Counter] = defaultdict(Counter)
    for s in sents:
        for tok, tag in s:
            n = feat_norm(tok)
            base = fx.split(n)[1] if n else tok
            counts[base][tag[2:] if tag != "O" else "O"] += 1
    gaz = {}
    for w, c in counts.items():
        tot = sum(c.values())
        typ, k = max(((t, c[t]) for t in ENTITY_TYPES), key=lambda x: x[1])
        if k >= min_count and k / tot >= min_ratio:
            gaz[w] = typ
    return dict(sorted(gaz.items()))


def featurise_jackknife(sents, lex: Lexicon, folds: int, autos: list[dict[str, str]] | None = None):
    """Gazetteer features for fold k come from the other folds (no self-leakage).

    ``autos``: self-training gazetteers; sentence i gets ``autos[i % len(autos)]`` (each made by
    a model that did not see that sentence).
    """
    X = [None] * len(sents)
    for k in range(folds):
        others = [s for i, s in enumerate(sents) if i % folds != k]
        gaz = build_gazetteer(others, lex)
        fxs = [FeatureExtractor(lex, gaz, a) for a in (autos or [None])]
        for i, s in enumerate(sents):
            if i % folds == k:
                X[i] = fxs[i % len(fxs)].sent_feats([t for t, _ in s])
    return X


def read_unlabelled(data_dir: Path, max_tokens: int) -> list[list[str]]:
    """Deterministic sample of the unlabelled news: every line of train.jsonl in order until max_tokens."""
    out, n = [], 0
    with open(data_dir / "topics/train.jsonl", encoding="utf-8") as fh:
        for line in fh:
            for para in (json.loads(line).get("text") or "").split("\n"):
                cur = []
                for t, _, _ in tokenize(para):
                    cur.append(t)
                    if t in {".", "!", "?", "؟"} or len(cur) >= 100:
                        out.append(cur)
                        n += len(cur)
                        cur = []
                if cur:
                    out.append(cur)
                    n += len(cur)
            if n >= max_tokens:
                return out
    return out


def auto_gazetteer(tagger: NerTagger, corpus: list[list[str]], min_count: int = 2) -> dict[str, str]:
    """Self-training: tag unlabelled news, keep words mostly tagged as one type ("PER", weak "PER~")."""
    fx = tagger.fx
    pred: dict[str, Counter] = defaultdict(Counter)
    for toks in corpus:
        tags = tagger.tag_tokens(toks, rules=False)
        for t, y in zip(toks, tags, strict=True):
            n = feat_norm(t)
            if not n:
                continue
            pred[fx.split(n)[1]][y[2:] if y != "O" else "O"] += 1
    auto = {}
    for w, c in pred.items():
        tot = sum(c.values())
        typ, k = max(((t, c[t]) for t in ENTITY_TYPES), key=lambda x: x[1])
        if k >= min_count:
            r = k / tot
            if r >= 0.5:
                auto[w] = typ
            elif r >= 0.15:
                auto[w] = typ + "~"
    return dict(sorted(auto.items()))


def base_model_auto(sents, lex, corpus, args, tmp: Path) -> dict[str, str]:
    X = featurise_jackknife(sents, lex, args.folds)
    Y = [[t for _, t in s] for s in sents]
    train_crf(X, Y, tmp, args.c1, args.c2, args.st_iters)
    auto = auto_gazetteer(NerTagger(tmp, lex, build_gazetteer(sents, lex), rules=False), corpus)
    tmp.unlink()
    return auto


def train_crf(X, Y, out: Path, c1: float, c2: float, iters: int) -> float:
    t0 = time.time()
    tr = pycrfsuite.Trainer(verbose=False)
    for x, y in zip(X, Y, strict=True):
        tr.append(x, y)
    tr.set_params({"c1": c1, "c2": c2, "max_iterations": iters, "feature.possible_transitions": True,
                   "feature.minfreq": 1})
    tr.train(str(out))
    return time.time() - t0


def score(gold_sents, pred_tags) -> dict:
    tp, fp, fn = Counter(), Counter(), Counter()
    for s, p in zip(gold_sents, pred_tags, strict=True):
        g = set(iob_chunks([t for _, t in s]))
        q = set(iob_chunks(p))
        for c in g & q:
            tp[c[0]] += 1
        for c in q - g:
            fp[c[0]] += 1
        for c in g - q:
            fn[c[0]] += 1
    res = {}
    for t in (*ENTITY_TYPES, "ALL"):
        a = sum(tp.values()) if t == "ALL" else tp[t]
        b = sum(fp.values()) if t == "ALL" else fp[t]
        c = sum(fn.values()) if t == "ALL" else fn[t]
        p = a / (a + b) if a + b else 0.0
        r = a / (a + c) if a + c else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        res[t] = {"P": round(p, 4), "R": round(r, 4), "F1": round(f, 4), "gold": a + c, "pred": a + b}
    return res


def fmt(res: dict) -> str:
    lines = [f"{'type':5} {'P':>7} {'R':>7} {'F1':>7} {'gold':>6} {'pred':>6}"]
    for t, v in res.items():
        lines.append(f"{t:5} {v['P']:7.4f} {v['R']:7.4f} {v['F1']:7.4f} {v['gold']:6d} {v['pred']:6d}")
    return "\n".join(lines)


def blocked_cv(sents, lex: Lexicon, args, out_dir: Path) -> None:
    """Contiguous-block CV (articles stay together): per-fold and pooled scores, crf+propagation+rules."""
    k = args.cv_folds
    bounds = [round(i * len(sents) / k) for i in range(k + 1)]
    all_gold, all_pred, per_fold = [], [], []
    tmp = out_dir / "cv.tmp.crfsuite"
    for f in range(k):
        held = sents[bounds[f]:bounds[f + 1]]
        rest = sents[:bounds[f]] + sents[bounds[f + 1]:]
        X = featurise_jackknife(rest, lex, args.folds)
        train_crf(X, [[t for _, t in s] for s in rest], tmp, args.c1, args.c2, args.iters)
        tagger = NerTagger(tmp, lex, build_gazetteer(rest, lex))
        toks = [[t for t, _ in s] for s in held]
        pred = []
        for i in range(0, len(toks), args.doc_sents):
            pred += [t for t, _ in tagger.tag_sentences(toks[i:i + args.doc_sents])]
        res = score(held, pred)
        per_fold.append(res["ALL"]["F1"])
        print(f"fold {f}: " + " ".join(f"{t} {res[t]['F1']:.3f}" for t in (*ENTITY_TYPES, "ALL")), flush=True)
        all_gold += held
        all_pred += pred
    tmp.unlink()
    print(f"\n== blocked {k}-fold CV, pooled (crf+propagation+rules)\n{fmt(score(all_gold, all_pred))}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--out-dir", default=str(MODEL_DIR))
    ap.add_argument("--dev-frac", type=float, default=0.10)
    ap.add_argument("--c1", type=float, default=0.05)
    ap.add_argument("--c2", type=float, default=0.05)
    ap.add_argument("--iters", type=int, default=150)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--doc-sents", type=int, default=10,
                    help="dev sentences per pseudo-document for the propagation step")
    ap.add_argument("--self-train-tokens", type=int, default=0,
                    help="unlabelled tokens tagged for the self-training gazetteer (0 = off)")
    ap.add_argument("--st-iters", type=int, default=100,
                    help="CRF iterations of the self-training base models")
    ap.add_argument("--cv-folds", type=int, default=0,
                    help="only run blocked cross-validation: N contiguous blocks of train.conll, each "
                         "scored by a model trained on the rest (no artifact written)")
    args = ap.parse_args()
    random.seed(args.seed)

    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lex = Lexicon.load(out_dir / "lexicon.tsv.gz")
    if not lex.rows:
        sys.exit(f"no lexicon at {out_dir / 'lexicon.tsv.gz'}: run scripts/train_word_clusters.py first")
    sents = read_conll(Path(args.data_dir) / "ner/train.conll")
    cut = int(len(sents) * (1 - args.dev_frac))
    train, dev = sents[:cut], sents[cut:]
    print(f"sentences: train {len(train)} ({sum(map(len, train))} tok), "
          f"dev {len(dev)} ({sum(map(len, dev))} tok)")

    if args.cv_folds:
        blocked_cv(sents, lex, args, out_dir)
        return

    t0 = time.time()
    autos, auto_full = None, {}
    tmp_base = out_dir / "base.tmp.crfsuite"
    if args.self_train_tokens > 0:
        corpus = read_unlabelled(Path(args.data_dir), args.self_train_tokens)
        halves = [[s for i, s in enumerate(train) if i % 2 != k] for k in (0, 1)]
        autos = [base_model_auto(h, lex, corpus, args, tmp_base) for h in halves]
        auto_full = base_model_auto(train, lex, corpus, args, tmp_base)
        print(f"self-training gazetteers: {[len(a) for a in autos]} / full {len(auto_full)} "
              f"from {sum(map(len, corpus))} unlabelled tokens ({time.time() - t0:.0f}s)")
    X = featurise_jackknife(train, lex, args.folds, autos)
    Y = [[t for _, t in s] for s in train]
    model_path = out_dir / "model.crfsuite"
    secs = train_crf(X, Y, model_path, args.c1, args.c2, args.iters)
    total = time.time() - t0
    print(f"CRF trained in {secs:.0f}s (total incl. features/self-training {total:.0f}s)")

    gaz = build_gazetteer(train, lex)
    tagger = NerTagger(model_path, lex, gaz, auto=auto_full)
    report = {"split": {"train_sentences": len(train), "dev_sentences": len(dev), "dev_frac": args.dev_frac},
              "params": vars(args) | {"data_dir": "shared/data", "out_dir": "services/enricher/models/ner"}}
    dev_toks = [[t for t, _ in s] for s in dev]
    for name, rules, prop in (("crf", False, False), ("crf+propagation", False, True),
                              ("crf+propagation+rules", True, True)):
        pred = []
        for i in range(0, len(dev_toks), args.doc_sents):  # pseudo-documents of consecutive sentences
            pred += [t for t, _ in tagger.tag_sentences(dev_toks[i:i + args.doc_sents], rules=rules,
                                                        propagate=prop)]
        res = score(dev, pred)
        report[name] = res
        print(f"\n== dev ({name})\n{fmt(res)}")
    # speed on dev tokens, 1 core: features + CRF + marginals + rules + propagation
    fresh = NerTagger(model_path, lex, gaz, auto=auto_full)

    def run() -> float:
        t1 = time.time()
        for i in range(0, len(dev_toks), args.doc_sents):
            fresh.tag_sentences(dev_toks[i:i + args.doc_sents])
        return sum(map(len, dev_toks)) / (time.time() - t1)

    cold, warm = run(), run()
    report["speed_tokens_per_s"] = {"cold_cache": round(cold), "warm_cache": round(warm)}
    print(f"\nspeed: {cold:.0f} tok/s cold cache, {warm:.0f} tok/s warm cache")
    report["train_seconds"] = {"crf": round(secs), "total": round(total)}
    final_gaz = {"train": gaz, "auto": auto_full}
    (out_dir / "gazetteer.json").write_text(json.dumps(final_gaz, ensure_ascii=False, indent=0) + "\n",
                                            encoding="utf-8")
    (out_dir / "dev_scores.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n",
                                             encoding="utf-8")
    print(f"wrote {out_dir}")


if __name__ == "__main__":
    main()
