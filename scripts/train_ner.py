#!/usr/bin/env python3
"""Train the enricher's Arabic NER CRF reproducibly and report dev scores per type.

Needs ``lexicon.tsv.gz`` (word clusters) made by ``scripts/train_word_clusters.py``
first (``make train-ner`` runs both).

Split: ANERcorp train part (``ner/train.conll``); dev = the last 10 % of its
sentences (deterministic, sequential like the CAMeL split, so dev articles are
unseen articles). The shipped model is the one fitted on the first 90 % and scored
on dev (so the reported scores are those of the artifact).

News phrase gazetteer (``--news-gazetteer``, on): phrases that follow trigger words
(``نادي/فريق/شركة/مجموعة/صحيفة/حزب`` -> ORG, ``سيارة/طراز/موديل/جائزة/مهرجان/عملة`` -> MISC) in the
unlabelled news often enough and in a large enough share of their occurrences; no labels
involved, stored under ``news`` in ``gazetteer.json``. Document-context features
(``--doc-context``, on): each word gets the trigger contexts seen at any of its occurrences in
the document (training documents = ``--doc-sents`` consecutive sentences).
Stacking (``--stack``, off: measured, not shipped): a second CRF over out-of-fold first-pass labels.

Self-training gazetteer (``--self-train-tokens``): base CRFs (no ``ag=`` feature)
tag a fixed slice of the unlabelled news; words mostly tagged as one type become
``ag=TYPE`` features. For the training sentences the gazetteer comes from a base model
trained on the *other* half of the training data (2-fold jackknife), at run time
from a base model trained on all of it.

Hierarchical word classes (``--lex-feats h``, on): ``h1..h5=`` features from the lexicon's
16/64/256/1024/4096-class hierarchy (Brown-style path prefixes of one k-means + Ward tree).
Embedding gazetteer (``--emb-gazetteer``, off: measured, not shipped): an ``eg=TYPE`` feature for
news words whose word2vec neighbours (1, 2) or vector classifier (3) point to a type of the
out-of-fold training gazetteer.

Writes to ``services/enricher/models/ner/``: ``model.crfsuite``, ``gazetteer.json``,
``dev_scores.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
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
    corpus,
    feat_norm,
    tokenize,
)
from enricher.ner.features import FEATURE_WORDS_FILE, FEATURE_WORDS_SOURCE  # noqa: E402

MODEL_DIR = REPO / "services/enricher/models/ner"
_ARABIC_RE = re.compile("[\u0621-\u064a]")


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


def read_neighbours(path: Path) -> dict[str, list[str]]:
    """``neighbours.tsv.gz`` of train_word_clusters.py: word -> word2vec nearest neighbours."""
    out: dict[str, list[str]] = {}
    if path.exists():
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                w, nb = line.rstrip("\n").split("\t")
                out[w] = nb.split(" ")
    return out


def seed_labels(sents, lex: Lexicon, min_ratio: float = 0.6) -> dict[str, str]:
    """Voters of the embedding gazetteer: base form -> majority label in ``sents`` ("O" included;
    entity words from one occurrence, O words from two)."""
    fx = FeatureExtractor(lex)
    counts: dict[str, Counter] = defaultdict(Counter)
    for s in sents:
        for tok, tag in s:
            n = feat_norm(tok)
            if n:
                counts[fx.split(n)[1]][tag[2:] if tag != "O" else "O"] += 1
    out = {}
    for w, c in counts.items():
        typ, k = max(sorted(c.items()), key=lambda x: x[1])
        if k / sum(c.values()) >= min_ratio and (typ != "O" or k >= 2):
            out[w] = typ
    return dict(sorted(out.items()))


def emb_gazetteer(
    gaz: dict[str, str],
    nbrs: dict[str, list[str]],
    lex: Lexicon,
    k: int = 10,
    weak: int = 2,
    strong: int = 4,
    seeds: dict[str, str] | None = None,
    rounds: int = 1,
) -> dict[str, str]:
    """Embedding gazetteer: a news word whose ``k`` nearest word2vec neighbours include >= ``weak``
    words of the training gazetteer ``gaz`` of one type (and >= 60 % of the gazetteer votes) gets
    that type ("PER"; "PER~" below ``strong`` votes). Built from the same (out-of-fold) gazetteer
    as the ``g=`` feature, so it is jack-knifed the same way.

    With ``seeds`` (``seed_labels``: entity *and* O words of the training part) the neighbours
    vote with those labels, a type must also beat the O votes, words that are seeds themselves
    are not labelled, and ``rounds`` > 1 propagates: labels of the previous round vote too (half
    weight), so the labels spread over the neighbour graph."""
    if not nbrs:
        return {}
    fx = FeatureExtractor(lex)
    if seeds is None:
        out = {}
        for w, nb in nbrs.items():
            votes: Counter = Counter()
            for x in nb[:k]:
                t = gaz.get(x) or gaz.get(fx.split(x)[1])
                if t:
                    votes[t] += 1
            if not votes:
                continue
            typ, v = max(sorted(votes.items()), key=lambda kv: kv[1])
            if v >= weak and v / sum(votes.values()) >= 0.6:
                out[w] = typ if v >= strong else typ + "~"
        return out
    seed_of = {w: seeds.get(w) or seeds.get(fx.split(w)[1]) for w in nbrs}
    prev: dict[str, str] = {}
    for _ in range(rounds):
        cur = {}
        for w, nb in nbrs.items():
            if seed_of[w]:
                continue
            ent: Counter = Counter()
            o = 0.0
            for x in nb[:k]:
                t = seed_of.get(x)
                if t is None:
                    t = seeds.get(x) or seeds.get(fx.split(x)[1])
                wgt = 1.0
                if not t:
                    t = prev.get(x)
                    wgt = 0.5
                    if t:
                        t = t.rstrip("~")
                if not t:
                    continue
                if t == "O":
                    o += wgt
                else:
                    ent[t] += wgt
            if not ent:
                continue
            typ, v = max(sorted(ent.items()), key=lambda kv: kv[1])
            if v >= weak and v > o and v / sum(ent.values()) >= 0.6:
                cur[w] = typ if v >= strong else typ + "~"
        prev = cur
    return dict(sorted(prev.items()))


def read_vectors(path: Path) -> tuple[list[str], object]:
    """``w2v_vectors.npz`` of train_word_clusters.py: words seen >= 5 times and their vectors."""
    import numpy as np

    if not path.exists():
        return [], None
    z = np.load(path)
    vecs = z["vecs"].astype(np.float64)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-8
    return [str(w) for w in z["words"]], vecs


def emb_classifier_gazetteer(
    seeds: dict[str, str],
    words: list[str],
    vecs,
    lex: Lexicon,
    p_strong: float = 0.6,
    p_weak: float = 0.35,
    balanced: bool = False,
) -> dict[str, str]:
    """Embedding gazetteer by a classifier: multinomial logistic regression from the word2vec
    vector to the label of the word in the training part (``seed_labels``: O / PER / LOC / ORG /
    MISC), applied to every news word; a word gets "TYPE" when P(TYPE) >= ``p_strong``,
    "TYPE~" when >= ``p_weak`` (and TYPE is the best entity type). Deterministic (lbfgs)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    fx = FeatureExtractor(lex)
    idx, ys = [], []
    for i, w in enumerate(words):
        y = seeds.get(w) or seeds.get(fx.split(w)[1])
        if y:
            idx.append(i)
            ys.append(y)
    clf = LogisticRegression(C=1.0, max_iter=300, class_weight="balanced" if balanced else None)
    clf.fit(vecs[np.array(idx)], ys)
    proba = clf.predict_proba(vecs)
    labels = [str(c) for c in clf.classes_]
    ent = [j for j, c in enumerate(labels) if c != "O"]
    out = {}
    for i, w in enumerate(words):
        j = max(ent, key=lambda c: proba[i, c])
        p = proba[i, j]
        if p >= p_strong:
            out[w] = labels[j]
        elif p >= p_weak:
            out[w] = labels[j] + "~"
    return out


def featurise_jackknife(
    sents,
    lex: Lexicon,
    folds: int,
    autos: list[dict[str, str]] | None = None,
    news: dict[str, str] | None = None,
    doc_sents: int = 0,
    emb_of=None,
    lex_feats: tuple[str, ...] = (),
):
    """Gazetteer features for fold k come from the other folds (no self-leakage).

    ``autos``: self-training gazetteers; sentence i gets ``autos[i % len(autos)]`` (each made by
    a model that did not see that sentence).
    """
    X = [None] * len(sents)
    for k in range(folds):
        others = [s for i, s in enumerate(sents) if i % folds != k]
        gaz = build_gazetteer(others, lex)
        emb = emb_of(others, gaz) if emb_of else {}
        fxs = [FeatureExtractor(lex, gaz, a, news, emb, lex_feats) for a in (autos or [None])]
        for i, s in enumerate(sents):
            if i % folds == k:
                X[i] = fxs[i % len(fxs)].sent_feats([t for t, _ in s])
    if doc_sents:  # document-context features over pseudo-documents of consecutive sentences
        fx = FeatureExtractor(lex, None, None, news)
        for a in range(0, len(sents), doc_sents):
            extra = fx.doc_context([[t for t, _ in s] for s in sents[a : a + doc_sents]])
            for i, ex in enumerate(extra, start=a):
                X[i] = [f + x if x else f for f, x in zip(X[i], ex, strict=True)]
    return X


def first_pass_oof(sents, lex: Lexicon, args, news, dsents: int, tmp: Path) -> list[list[str]]:
    """Out-of-fold first-pass CRF labels (contiguous blocks of whole pseudo-documents, so a
    sentence's labels come from a model that saw neither it nor its document)."""
    k = args.folds
    ndocs = (len(sents) + args.doc_sents - 1) // args.doc_sents
    bounds = [round(i * ndocs / k) * args.doc_sents for i in range(k + 1)]
    bounds[-1] = len(sents)
    out: list[list[str]] = []
    for f in range(k):
        held = sents[bounds[f] : bounds[f + 1]]
        rest = sents[: bounds[f]] + sents[bounds[f + 1] :]
        X = featurise_jackknife(rest, lex, args.folds, news=news, doc_sents=dsents)
        train_crf(X, [[t for _, t in s] for s in rest], tmp, args.c1, args.c2, args.iters)
        tg = NerTagger(tmp, lex, build_gazetteer(rest, lex), news=news, doc_ctx=bool(dsents))
        for a in range(0, len(held), args.doc_sents):
            doc = [[t for t, _ in s] for s in held[a : a + args.doc_sents]]
            extra = tg.fx.doc_context(doc) if dsents else [None] * len(doc)
            out += [list(tg._tagger.tag(tg._feats(t, x))) for t, x in zip(doc, extra, strict=True)]
        print(f"  first-pass OOF block {f + 1}/{k}", flush=True)
    tmp.unlink()
    return out


def add_stack_feats(X, sents, first, lex, doc_sents: int):
    fx = FeatureExtractor(lex)
    X2 = []
    for a in range(0, len(sents), doc_sents):
        sf = fx.stack_feats([[t for t, _ in s] for s in sents[a : a + doc_sents]], first[a : a + doc_sents])
        for i, x in enumerate(sf, start=a):
            X2.append([f + e for f, e in zip(X[i], x, strict=True)])
    return X2


def train_stacked(sents, X, lex, args, news, dsents, out: Path, tmp: Path) -> None:
    first = first_pass_oof(sents, lex, args, news, dsents, tmp)
    X2 = add_stack_feats(X, sents, first, lex, args.doc_sents)
    train_crf(X2, [[t for _, t in s] for s in sents], out, args.c1, args.c2, args.iters)


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


# trigger (clitic-split base form) -> type of the 1-3 words that follow it in the unlabelled news
NEWS_TRIGGERS = {
    **{
        w: "ORG"
        for w in (
            "نادي",
            "النادي",
            "فريق",
            "شركة",
            "شركات",
            "مجموعة",
            "صحيفة",
            "قناة",
            "حزب",
            "حركة",
            "جمعية",
            "مصرف",
            "بنك",
        )
    },
    **{w: "MISC" for w in ("سيارة", "سيارات", "طراز", "موديل", "جائزة", "جوائز", "مهرجان", "عملة")},
}
_NEWS_STOP = {
    "في",
    "من",
    "على",
    "الى",
    "عن",
    "مع",
    "ان",
    "او",
    "ثم",
    "قد",
    "كما",
    "بعد",
    "قبل",
    "بين",
    "حتى",
    "خلال",
    "منذ",
    "عبر",
    "ضد",
    "لدي",
    "عند",
    "هذا",
    "هذه",
    "ذلك",
    "تلك",
    "الذي",
    "التي",
    "هو",
    "هي",
    "كان",
    "كانت",
    "لم",
    "لن",
    "لا",
    "ما",
    "اي",
    "كل",
    "غير",
    "احد",
    "اكثر",
    "اول",
    "جديد",
    "جديده",
    "عام",
    "وطني",
    "خاص",
    "كبير",
    "الي",
    "انه",
    "انها",
    "الذين",
    "يا",
    "جدا",
}


def harvest_news_gazetteer(
    data_dir: Path, lex: Lexicon, min_count: int = 3, min_ratio: float = 0.15, max_len: int = 3
) -> dict[str, str]:
    """Phrase gazetteer from unlabelled news: what follows ``نادي/فريق/شركة/سيارة/طراز/جائزة`` ...

    A phrase (1-3 clitic-split base forms, no clitic inside, no function word) is kept when it
    follows a trigger of one type at least ``min_count`` times and in at least ``min_ratio`` of
    all its occurrences (so ``فريق العمل`` is dropped, ``نادي سلتيك`` kept). Longest phrase wins
    at match time. Deterministic: fixed file order, sorted output.
    """
    fx = FeatureExtractor(lex)
    trig = {feat_norm(k): v for k, v in NEWS_TRIGGERS.items()}
    stop = {feat_norm(w) for w in _NEWS_STOP}
    sents: list[list[tuple[str, str]]] = []
    for name in ("topics/train.jsonl", "topics/asnd_train.jsonl"):
        with open(data_dir / name, encoding="utf-8") as fh:
            for line in fh:
                for para in (json.loads(line).get("text") or "").split("\n"):
                    cur = []
                    for t, _, _ in tokenize(para):
                        n = feat_norm(t)
                        cur.append(fx.split(n) if n and _ARABIC_RE.match(n) else ("#", n))
                    if cur:
                        sents.append(cur)
    after: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    for s in sents:
        for i, (_, b) in enumerate(s[:-1]):
            typ = trig.get(b)
            if typ is None:
                continue
            for ln in range(1, max_len + 1):
                j = i + ln
                if j >= len(s):
                    break
                pre, w = s[j]
                if pre or w in stop or w in trig or len(w) < 2 or not _ARABIC_RE.match(w):
                    break
                after[tuple(x for _, x in s[i + 1 : j + 1])][typ] += 1
    cand = {k: c for k, c in after.items() if max(c.values()) >= min_count}
    total: Counter = Counter()
    for s in sents:
        bs = [b for _, b in s]
        for i in range(len(bs)):
            for ln in range(1, max_len + 1):
                k = tuple(bs[i : i + ln])
                if len(k) < ln:
                    break
                if k in cand:
                    total[k] += 1
    out = {}
    for k, c in cand.items():
        typ, m = max(sorted(c.items()), key=lambda x: x[1])
        if m / max(total[k], 1) >= min_ratio:
            out[" ".join(k)] = typ
    return dict(sorted(out.items()))


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
    tr.set_params(
        {
            "c1": c1,
            "c2": c2,
            "max_iterations": iters,
            "feature.possible_transitions": True,
            "feature.minfreq": 1,
        }
    )
    tr.train(str(out))
    return time.time() - t0


fmt = corpus.format_scores


def blocked_cv(sents, lex: Lexicon, args, out_dir: Path, news: dict[str, str], emb_of) -> None:
    """Contiguous-block CV (articles stay together): per-fold and pooled scores, crf+propagation+rules."""
    k = args.cv_folds
    lf = lex_feats_of(args)
    dsents = args.doc_sents if args.doc_context else 0
    pooled = corpus.Tally()
    per_fold: list[float] = []
    tmp = out_dir / "cv.tmp.crfsuite"
    tmp_stack = out_dir / "cv-stack.tmp.crfsuite"
    only = {int(x) for x in args.cv_only.split(",") if x}
    for f, (a, b) in enumerate(corpus.cv_blocks(len(sents), k)):
        if only and f not in only:
            continue
        held = sents[a:b]
        rest = sents[:a] + sents[b:]
        n_aner = len(rest)
        rest = rest + extra_training(args, rest)
        X = featurise_jackknife(
            rest, lex, args.folds, news=news, doc_sents=dsents, emb_of=emb_of, lex_feats=lf
        )
        Xw, Yw = weighted(X, [[t for _, t in s] for s in rest], n_aner, args.anercorp_weight)
        train_crf(Xw, Yw, tmp, args.c1, args.c2, args.iters)
        rest_gaz = build_gazetteer(rest, lex)
        if args.stack:
            train_stacked(rest, X, lex, args, news, dsents, tmp_stack, out_dir / "oof.tmp.crfsuite")
        tagger = NerTagger(
            tmp,
            lex,
            rest_gaz,
            news=news,
            doc_ctx=bool(dsents),
            stack_path=tmp_stack if args.stack else None,
            emb=emb_of(rest, rest_gaz),
            lex_feats=lf,
        )
        if args.cv_keep:  # the fold's model as a model directory (rules can then be judged on CV)
            keep = Path(args.cv_keep) / f"fold{f}"
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(tmp, keep / "model.crfsuite")
            shutil.copyfile(out_dir / "lexicon.tsv.gz", keep / "lexicon.tsv.gz")
            shutil.copyfile(FEATURE_WORDS_SOURCE, keep / FEATURE_WORDS_FILE)
            fold_gaz = {"train": rest_gaz, "news": news, "doc_context": bool(dsents), "lex_feats": list(lf)}
            (keep / "gazetteer.json").write_text(
                json.dumps(fold_gaz, ensure_ascii=False) + "\n", encoding="utf-8"
            )
        fold_tally = corpus.evaluate(production(tagger), held)
        for c in ("tp", "fp", "fn"):
            getattr(pooled, c).update(getattr(fold_tally, c))
        fold = fold_tally.scores()
        per_fold.append(fold["ALL"]["F1"])
        scores = " ".join(f"{t} {fold[t]['F1']:.3f}" for t in (*ENTITY_TYPES, "ALL"))
        print(f"fold {f}: {scores}", flush=True)
    tmp.unlink()
    if args.stack:
        tmp_stack.unlink()
    res = pooled.scores()
    print(f"\n== blocked {k}-fold CV over the development part, pooled (production path)\n{fmt(res)}")
    print("per fold ALL F1: " + ", ".join(f"{x:.4f}" for x in per_fold))
    if args.cv_out:
        Path(args.cv_out).write_text(json.dumps({"pooled": res, "per_fold_F1": per_fold}, indent=1) + "\n")


_TOPICS = None


def extra_training(args, anercorp: list[corpus.Sentence]) -> list[corpus.Sentence]:  # type: ignore[no-untyped-def]
    """NewsFANE's training part in ANERcorp's conventions (``--newsfane 1``), else nothing; the
    MISC words come from ``anercorp`` (the ANERcorp sentences this model trains on)."""
    if not args.newsfane:
        return []
    raw = corpus.read_conll(Path(args.data_dir) / "ner/newsfane_train.conll")
    if not args.newsfane_misc:
        return corpus.newsfane_to_anercorp(raw)
    # what the ANERcorp sentences trained on tag MISC (one-word chunks, multi-word chunks)
    return corpus.newsfane_to_anercorp(raw, *corpus.anercorp_misc_vocabulary(anercorp))


def weighted(X: list, Y: list, n_anercorp: int, weight: int) -> tuple[list, list]:  # type: ignore[type-arg]
    """ANERcorp's sentences (the first ``n_anercorp``) counted ``weight`` times, NewsFANE's once:
    copies of the featurised sentences, so the jack-knifed gazetteer features stay out of fold."""
    return X + X[:n_anercorp] * (weight - 1), Y + Y[:n_anercorp] * (weight - 1)


def production(tagger: NerTagger):  # type: ignore[no-untyped-def]
    """The enricher as deployed, around a given tagger (evaluation goes through ``enrich``)."""
    global _TOPICS
    from enricher.enrich import ArticleEnricher
    from enricher.topics import DEFAULT_MODEL_DIR as TOPICS_DIR
    from enricher.topics import TopicClassifier

    if _TOPICS is None:
        _TOPICS = TopicClassifier(TOPICS_DIR).load()
    return ArticleEnricher(tagger, _TOPICS, ner_version="eval", topics_version="eval")


def lex_feats_of(args) -> tuple[str, ...]:
    return tuple(x for x in args.lex_feats.split(",") if x)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--out-dir", default=str(MODEL_DIR))
    ap.add_argument("--c1", type=float, default=0.05)
    ap.add_argument("--c2", type=float, default=0.05)
    ap.add_argument("--iters", type=int, default=150)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument(
        "--doc-sents", type=int, default=10, help="dev sentences per pseudo-document for the propagation step"
    )
    ap.add_argument(
        "--self-train-tokens",
        type=int,
        default=0,
        help="unlabelled tokens tagged for the self-training gazetteer (0 = off)",
    )
    ap.add_argument(
        "--st-iters", type=int, default=100, help="CRF iterations of the self-training base models"
    )
    ap.add_argument(
        "--cv-folds",
        type=int,
        default=0,
        help="only run blocked cross-validation: N contiguous blocks of train.conll, each "
        "scored by a model trained on the rest (no artifact written)",
    )
    ap.add_argument(
        "--news-gazetteer",
        type=int,
        default=1,
        help="1 = harvest the trigger-pattern phrase gazetteer from the unlabelled news",
    )
    ap.add_argument(
        "--doc-context",
        type=int,
        default=1,
        help="1 = document-context features (trigger contexts of the same word elsewhere in the "
        "document; training documents = --doc-sents consecutive sentences)",
    )
    ap.add_argument(
        "--stack",
        type=int,
        default=0,
        help="1 = second-pass (stacked) CRF over out-of-fold first-pass labels across the document",
    )
    ap.add_argument(
        "--emb-gazetteer",
        type=int,
        default=0,
        help="embedding gazetteer (eg= feature) from the word2vec neighbours in neighbours.tsv.gz: "
        "1 = votes of training-gazetteer words, 2 = votes of entity and O words of the training "
        "part, propagated --emb-rounds times over the neighbour graph (0 = off)",
    )
    ap.add_argument("--emb-rounds", type=int, default=1)
    ap.add_argument(
        "--vectors",
        default=str(REPO / "build/ner/w2v_vectors.npz"),
        help="word2vec vectors written by train_word_clusters.py (--emb-gazetteer 3)",
    )
    ap.add_argument("--emb-balanced", type=int, default=0, help="--emb-gazetteer 3: balanced class weights")
    ap.add_argument("--emb-p", type=float, default=0.6, help="--emb-gazetteer 3: P(type) for TYPE")
    ap.add_argument("--emb-p-weak", type=float, default=0.35, help="--emb-gazetteer 3: P(type) for TYPE~")
    ap.add_argument("--emb-k", type=int, default=10, help="neighbours voting in the embedding gazetteer")
    ap.add_argument(
        "--lex-feats",
        default="h",
        help="extra lexicon column families: h = hierarchical w2v classes (on), v = large-window w2v "
        "(needs a lexicon made with --big-window); e.g. h,v",
    )
    ap.add_argument(
        "--newsfane",
        type=int,
        default=0,
        help="1 = add NewsFANE's training part (clitics re-joined, group MISC -> O) to the training data",
    )
    ap.add_argument(
        "--cv-keep",
        default="",
        help="with --cv-folds: keep each fold's model under DIR/fold<k>/ (eval_ner.py --part cv)",
    )
    ap.add_argument(
        "--newsfane-misc",
        type=int,
        default=1,
        help="1 = NewsFANE's O words / phrases that ANERcorp tags MISC become MISC",
    )
    ap.add_argument(
        "--anercorp-weight",
        type=int,
        default=1,
        help="each ANERcorp training sentence counts this many times (NewsFANE's once)",
    )
    ap.add_argument("--cv-only", default="", help="with --cv-folds: run only these folds (e.g. 2,3,4)")
    ap.add_argument("--cv-out", default="", help="with --cv-folds: write the pooled CV scores here (JSON)")
    ap.add_argument("--model-name", default="model.crfsuite", help="(experiments) write the CRF here")
    args = ap.parse_args()
    random.seed(args.seed)

    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lex = Lexicon.load(out_dir / "lexicon.tsv.gz")
    if not lex.rows:
        sys.exit(f"no lexicon at {out_dir / 'lexicon.tsv.gz'}: run scripts/train_word_clusters.py first")
    parts = corpus.splits(corpus.read_conll(Path(args.data_dir) / "ner/train.conll"))
    train, dev = parts["train"], parts["dev"]  # the frozen test (last sixth) is never read here
    n_aner = len(train)
    extra = extra_training(args, train)
    if extra:
        print(f"extra training sentences (NewsFANE, ANERcorp conventions): {len(extra)}")
    train = train + extra
    print(
        f"sentences: train {len(train)} ({sum(map(len, train))} tok), "
        f"dev {len(dev)} ({sum(map(len, dev))} tok)"
    )

    t0 = time.time()
    news = harvest_news_gazetteer(Path(args.data_dir), lex) if args.news_gazetteer else {}
    print(f"news phrase gazetteer: {len(news)} phrases ({time.time() - t0:.0f}s)", flush=True)
    nbrs: dict[str, list[str]] = {}
    vwords, vvecs = [], None
    if args.emb_gazetteer == 3:
        vwords, vvecs = read_vectors(Path(args.vectors))
        if not vwords:
            sys.exit(f"no {args.vectors}: run scripts/train_word_clusters.py first")
        nbrs = {"": []}  # (marks the embedding gazetteer as on)
    elif args.emb_gazetteer:
        nbrs = read_neighbours(out_dir / "neighbours.tsv.gz")
        if not nbrs:
            sys.exit(f"no {out_dir / 'neighbours.tsv.gz'}: run scripts/train_word_clusters.py first")
    lf = lex_feats_of(args)

    def emb_of(part, gaz: dict[str, str]) -> dict[str, str]:
        """Embedding gazetteer from a part of the training data (and its gazetteer)."""
        if not nbrs:
            return {}
        if args.emb_gazetteer == 1:
            return emb_gazetteer(gaz, nbrs, lex, args.emb_k)
        if args.emb_gazetteer == 3:
            return emb_classifier_gazetteer(
                seed_labels(part, lex),
                vwords,
                vvecs,
                lex,
                args.emb_p,
                args.emb_p_weak,
                bool(args.emb_balanced),
            )
        return emb_gazetteer(gaz, nbrs, lex, args.emb_k, seeds=seed_labels(part, lex), rounds=args.emb_rounds)

    if args.cv_folds:
        blocked_cv(parts["development"], lex, args, out_dir, news, emb_of)
        return

    autos, auto_full = None, {}
    tmp_base = out_dir / "base.tmp.crfsuite"
    if args.self_train_tokens > 0:
        unlabelled = read_unlabelled(Path(args.data_dir), args.self_train_tokens)
        halves = [[s for i, s in enumerate(train) if i % 2 != k] for k in (0, 1)]
        autos = [base_model_auto(h, lex, unlabelled, args, tmp_base) for h in halves]
        auto_full = base_model_auto(train, lex, unlabelled, args, tmp_base)
        print(
            f"self-training gazetteers: {[len(a) for a in autos]} / full {len(auto_full)} "
            f"from {sum(map(len, unlabelled))} unlabelled tokens ({time.time() - t0:.0f}s)"
        )
    dsents = args.doc_sents if args.doc_context else 0
    X = featurise_jackknife(train, lex, args.folds, autos, news, dsents, emb_of, lf)
    Y = [[t for _, t in s] for s in train]
    model_path = out_dir / args.model_name
    secs = train_crf(*weighted(X, Y, n_aner, args.anercorp_weight), model_path, args.c1, args.c2, args.iters)
    stack_path = out_dir / ("stack" + args.model_name[len("model") :])
    if args.stack:
        train_stacked(train, X, lex, args, news, dsents, stack_path, tmp_base)
    elif stack_path.exists():
        stack_path.unlink()
    total = time.time() - t0
    print(f"CRF trained in {secs:.0f}s (total incl. features/self-training {total:.0f}s)")

    gaz = build_gazetteer(train, lex)
    emb = emb_of(train, gaz)
    print(f"embedding gazetteer: {len(emb)} words")
    sp = stack_path if args.stack else None

    def new_tagger() -> NerTagger:
        """The shipped configuration, with empty caches."""
        return NerTagger(
            model_path,
            lex,
            gaz,
            auto=auto_full,
            news=news,
            doc_ctx=bool(dsents),
            stack_path=sp,
            emb=emb,
            lex_feats=lf,
        )

    tagger = new_tagger()
    report = {
        "split": {
            "definition": "enricher/ner/corpus.py (D10): frozen test = last sixth of train.conll "
            "(never read by training); dev = last 10 % of the development part (first 5/6); "
            "train = the rest",
            "train_sentences": len(train),
            "dev_sentences": len(dev),
            "newsfane_sentences": len(extra),
        },
        "dev_note": "dev scores: production path (ArticleEnricher.enrich, 10-sentence documents)",
        "params": vars(args)
        | {
            "data_dir": "shared/data",
            "out_dir": "services/enricher/models/ner",
            "vectors": os.path.relpath(args.vectors, REPO),
        },
    }
    dev_toks = [[t for t, _ in s] for s in dev]
    for name, rules, prop in (
        ("crf", False, False),
        ("crf+propagation", False, True),
        ("crf+propagation+rules", True, True),
    ):
        tagger.rules = rules
        tagger.propagation = prop
        res = corpus.evaluate(production(tagger), dev).scores()  # documents of 10 sentences, enrich()
        report[name] = res
        print(f"\n== dev ({name})\n{fmt(res)}")
    tagger.rules, tagger.propagation = True, True
    # speed on dev tokens, 1 core: features + CRF + marginals + rules + propagation
    fresh = new_tagger()

    def run() -> float:
        t1 = time.time()
        for i in range(0, len(dev_toks), args.doc_sents):
            fresh.tag_sentences(dev_toks[i : i + args.doc_sents])
        return sum(map(len, dev_toks)) / (time.time() - t1)

    cold, warm = run(), run()
    report["speed_tokens_per_s"] = {"cold_cache": round(cold), "warm_cache": round(warm)}
    print(f"\nspeed: {cold:.0f} tok/s cold cache, {warm:.0f} tok/s warm cache")
    report["train_seconds"] = {"crf": round(secs), "total": round(total)}
    final_gaz = {
        "train": gaz,
        "auto": auto_full,
        "news": news,
        "doc_context": bool(dsents),
        "emb": emb,
        "lex_feats": list(lf),
    }
    # the trigger word lists the features were computed with, frozen into the artifact (hashed with it)
    shutil.copyfile(FEATURE_WORDS_SOURCE, out_dir / FEATURE_WORDS_FILE)
    (out_dir / "gazetteer.json").write_text(
        json.dumps(final_gaz, ensure_ascii=False, indent=0) + "\n", encoding="utf-8"
    )
    (out_dir / "dev_scores.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"wrote {out_dir}")


if __name__ == "__main__":
    main()
