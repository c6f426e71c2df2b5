#!/usr/bin/env python3
"""Learn word clusters for the NER tagger from unlabelled Arabic news (reproducible).

Step 1 of the NER training (``make train-ner`` runs it before ``train_ner.py``):

* tokenises ``topics/train.jsonl`` and ``topics/asnd_train.jsonl`` with the tagger's
  own tokeniser and normaliser (``enricher.ner.tokenize`` / ``feat_norm``), so the
  vocabulary matches what the tagger sees at run time;
* trains two vector models, 1 worker and fixed seeds (deterministic):
  - word2vec skip-gram (distributional, "semantic" classes: person names, clubs,
    capitals, ministries' complements ...), words seen >= ``--min-count`` times;
  - fastText CBOW with char 3–5-grams (orthographic classes; gives a vector to rare
    and unseen words, e.g. transliterated foreign names in the NER training file);
* k-means (MiniBatchKMeans, fixed seeds) over the L2-normalised vectors: 64/256/1024
  clusters on the word2vec space, 256/1024 on the fastText space;
* hierarchical classes (like Brown-cluster path prefixes): k-means with ``--hier-leaves``
  (4096) leaves on the word2vec space, then Ward agglomeration of the leaf centroids cut at
  16/64/256/1024 clusters, so every coarser class is a union of finer ones;
* writes ``lexicon.tsv.gz``: ``word<TAB>count<TAB>w64<TAB>w256<TAB>w1024<TAB>f256<TAB>f1024
  <TAB>h16<TAB>h64<TAB>h256<TAB>h1024<TAB>h4096`` (``-`` where a word has no word2vec vector).

Measured and left off by default (2026-11-29, see the model card): a second, larger-window
word2vec (``--big-window 10`` -> two more columns v256/v1024), a nearest-neighbour file
(``--neighbours 10`` -> ``neighbours.tsv.gz`` next to the lexicon) and the raw vectors
(``--vectors-out``), both only inputs of ``train_ner.py --emb-gazetteer``.

The corpora are only read; nothing of them is copied into the repository except
this word list with counts and cluster ids.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
if os.environ.get("PYTHONHASHSEED") != "0":  # gensim seeds vectors with hash(): fix it, then re-exec
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable, *sys.argv])

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "services"))

from enricher.ner import feat_norm, tokenize  # noqa: E402

W2V_KS = (64, 256, 1024)
FT_KS = (256, 1024)
H_KS = (16, 64, 256, 1024)
BIG_KS = (256, 1024)


def read_corpus(data_dir: Path) -> list[list[str]]:
    sents: list[list[str]] = []
    for name in ("topics/train.jsonl", "topics/asnd_train.jsonl"):
        with open(data_dir / name, encoding="utf-8") as fh:
            for line in fh:
                text = json.loads(line).get("text") or ""
                for para in text.split("\n"):
                    toks = [feat_norm(t) for t, _, _ in tokenize(para)]
                    if len(toks) >= 3:
                        sents.append(toks)
    return sents


def read_ner_words(data_dir: Path) -> set[str]:
    words = set()
    with open(data_dir / "ner/train.conll", encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line:
                words.add(feat_norm(line.split("\t")[0]))
    return words


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--out", default=str(REPO / "services/enricher/models/ner/lexicon.tsv.gz"))
    ap.add_argument("--min-count", type=int, default=3)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--hier-leaves", type=int, default=4096)
    ap.add_argument(
        "--big-window", type=int, default=0, help="(experiment, off) window of a topical word2vec, e.g. 10"
    )
    ap.add_argument(
        "--neighbours",
        type=int,
        default=0,
        help="(experiment, off) nearest neighbours written per word, e.g. 10",
    )
    ap.add_argument(
        "--vectors-out",
        default="",
        help="(experiment, off) write the word2vec vectors of the words seen >= 5 times here, e.g. "
        "build/ner/w2v_vectors.npz (input of train_ner.py --emb-gazetteer 3; never shipped)",
    )
    ap.add_argument(
        "--cache-dir",
        default="",
        help="(experiments) save/load the trained gensim models here; same seeds -> same models",
    )
    args = ap.parse_args()
    logging.basicConfig(format="%(asctime)s %(message)s", level=logging.INFO)
    logging.getLogger("gensim").setLevel(logging.WARNING)
    random.seed(args.seed)
    np.random.seed(args.seed)
    from gensim.models import FastText, Word2Vec
    from sklearn.cluster import MiniBatchKMeans

    t0 = time.time()
    data_dir = Path(args.data_dir)
    sents = read_corpus(data_dir)
    counts = Counter(w for s in sents for w in s)
    logging.info(
        "corpus: %d sentences, %d tokens, %d types (%.0fs)",
        len(sents),
        sum(counts.values()),
        len(counts),
        time.time() - t0,
    )
    cache = Path(args.cache_dir) if args.cache_dir else None

    def cached(name: str, make):  # type: ignore[no-untyped-def]
        path = cache / f"{name}.model" if cache else None
        if path is not None and path.exists():
            cls = FastText if name == "ft" else Word2Vec
            return cls.load(str(path))
        model = make()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            model.save(str(path))
        return model

    def make_ft() -> FastText:
        ft = FastText(
            vector_size=args.dim,
            window=5,
            min_count=args.min_count,
            sg=0,
            min_n=3,
            max_n=5,
            bucket=400_000,
            workers=1,
            seed=args.seed,
            epochs=args.epochs,
            sample=1e-4,
        )
        ft.build_vocab(corpus_iterable=sents)
        ft.train(corpus_iterable=sents, total_examples=len(sents), epochs=args.epochs)
        return ft

    def make_w2v(window: int) -> Word2Vec:
        return Word2Vec(
            sents,
            vector_size=args.dim,
            window=window,
            min_count=args.min_count,
            sg=1,
            negative=5,
            workers=1,
            seed=args.seed,
            epochs=args.epochs,
            sample=1e-4,
        )

    ft = cached("ft", make_ft)
    logging.info("fasttext trained (%.0fs)", time.time() - t0)
    w2v = cached("w2v", lambda: make_w2v(5))
    logging.info("word2vec trained (%.0fs)", time.time() - t0)
    vocab = sorted({w for w, c in counts.items() if c >= args.min_count} | read_ner_words(data_dir))
    fit_idx = np.array([i for i, w in enumerate(vocab) if counts.get(w, 0) >= 5])

    def clusters(vecs: np.ndarray, fit: np.ndarray, ks: tuple[int, ...]) -> list[np.ndarray]:
        vecs = vecs / (np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-8)
        out = []
        for k in ks:
            km = MiniBatchKMeans(
                n_clusters=k, random_state=args.seed, batch_size=4096, n_init=3, max_iter=100
            )
            km.fit(vecs[fit])
            out.append(km.predict(vecs))
            logging.info("k-means k=%d done (%.0fs)", k, time.time() - t0)
        return out

    in_w2v = [w in w2v.wv.key_to_index for w in vocab]
    w_idx = np.array([i for i, ok in enumerate(in_w2v) if ok])
    w_vecs = np.vstack([w2v.wv[vocab[i]] for i in w_idx]).astype(np.float32)
    w_fit = np.array([j for j, i in enumerate(w_idx) if counts.get(vocab[i], 0) >= 5])
    w_lab = clusters(w_vecs, w_fit, W2V_KS)
    w_cols = [["-"] * len(vocab) for _ in W2V_KS]
    for col, lab in zip(w_cols, w_lab, strict=True):
        for j, i in enumerate(w_idx):
            col[i] = str(lab[j])
    f_vecs = np.vstack([ft.wv[w] for w in vocab]).astype(np.float32)
    f_lab = clusters(f_vecs, fit_idx, FT_KS)
    # hierarchy: k-means leaves, Ward agglomeration of the leaf centroids, cut at coarser levels
    h_cols: list[list[str]] = []
    if args.hier_leaves:
        from sklearn.cluster import AgglomerativeClustering

        nv = w_vecs / (np.linalg.norm(w_vecs, axis=1, keepdims=True) + 1e-8)
        km = MiniBatchKMeans(
            n_clusters=args.hier_leaves, random_state=args.seed, batch_size=4096, n_init=1, max_iter=100
        )
        km.fit(nv[w_fit])
        leaf = km.predict(nv)
        cents = km.cluster_centers_ / (np.linalg.norm(km.cluster_centers_, axis=1, keepdims=True) + 1e-8)
        levels = [k for k in H_KS if k < args.hier_leaves]
        for k in levels:
            top = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(cents)
            col = ["-"] * len(vocab)
            for j, i in enumerate(w_idx):
                col[i] = str(top[leaf[j]])
            h_cols.append(col)
        col = ["-"] * len(vocab)
        for j, i in enumerate(w_idx):
            col[i] = str(leaf[j])
        h_cols.append(col)
        logging.info("hierarchy %s + %d leaves done (%.0fs)", levels, args.hier_leaves, time.time() - t0)
    v_cols: list[list[str]] = []
    if args.big_window:
        big = cached(f"w2v{args.big_window}", lambda: make_w2v(args.big_window))
        logging.info("word2vec window %d trained (%.0fs)", args.big_window, time.time() - t0)
        b_idx = np.array([i for i, w in enumerate(vocab) if w in big.wv.key_to_index])
        b_vecs = np.vstack([big.wv[vocab[i]] for i in b_idx]).astype(np.float32)
        b_fit = np.array([j for j, i in enumerate(b_idx) if counts.get(vocab[i], 0) >= 5])
        for lab in clusters(b_vecs, b_fit, BIG_KS):
            col = ["-"] * len(vocab)
            for j, i in enumerate(b_idx):
                col[i] = str(lab[j])
            v_cols.append(col)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        for i, w in enumerate(vocab):
            cols = [c[i] for c in w_cols] + [str(lab[i]) for lab in f_lab]
            cols += [c[i] for c in h_cols] + [c[i] for c in v_cols]
            row = "\t".join([w, str(counts.get(w, 0)), *cols]) + "\n"
            gz.write(row.encode("utf-8"))
    logging.info(
        "wrote %s: %d words, %.1f MB (%.0fs total)",
        out,
        len(vocab),
        out.stat().st_size / 1e6,
        time.time() - t0,
    )
    if args.vectors_out:
        vwords = sorted(w for w in w2v.wv.key_to_index if counts.get(w, 0) >= 5)
        vpath = Path(args.vectors_out)
        vpath.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            vpath, words=np.array(vwords), vecs=np.vstack([w2v.wv[w] for w in vwords]).astype(np.float32)
        )
        logging.info("wrote %s (%d words)", vpath, len(vwords))
    if args.neighbours:
        write_neighbours(out.parent / "neighbours.tsv.gz", w2v, counts, args.neighbours)
        logging.info("neighbours written (%.0fs)", time.time() - t0)


def write_neighbours(path: Path, w2v, counts: Counter, k: int, min_count: int = 5) -> None:  # type: ignore[no-untyped-def]
    """word<TAB>nb1 nb2 ... (cosine, best first) for every word2vec word seen >= min_count times."""
    words = sorted(w for w in w2v.wv.key_to_index if counts.get(w, 0) >= min_count)
    vecs = np.vstack([w2v.wv[w] for w in words]).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-8
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        for a in range(0, len(words), 1024):
            sims = vecs[a : a + 1024] @ vecs.T
            for r in range(sims.shape[0]):
                sims[r, a + r] = -2.0
            top = np.argpartition(-sims, k, axis=1)[:, :k]
            for r in range(sims.shape[0]):
                idx = top[r][np.argsort(-sims[r, top[r]], kind="stable")]
                gz.write((words[a + r] + "\t" + " ".join(words[j] for j in idx) + "\n").encode("utf-8"))


if __name__ == "__main__":
    main()
