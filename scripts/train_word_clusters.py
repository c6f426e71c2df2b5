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
* writes ``lexicon.tsv.gz``: ``word<TAB>count<TAB>w64<TAB>w256<TAB>w1024<TAB>f256<TAB>f1024``
  (``-`` where a word has no word2vec vector).

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
    logging.info("fasttext trained (%.0fs)", time.time() - t0)
    w2v = Word2Vec(
        sents,
        vector_size=args.dim,
        window=5,
        min_count=args.min_count,
        sg=1,
        negative=5,
        workers=1,
        seed=args.seed,
        epochs=args.epochs,
        sample=1e-4,
    )
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
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        for i, w in enumerate(vocab):
            cols = [c[i] for c in w_cols] + [str(lab[i]) for lab in f_lab]
            row = "\t".join([w, str(counts.get(w, 0)), *cols]) + "\n"
            gz.write(row.encode("utf-8"))
    logging.info(
        "wrote %s: %d words, %.1f MB (%.0fs total)",
        out,
        len(vocab),
        out.stat().st_size / 1e6,
        time.time() - t0,
    )


if __name__ == "__main__":
    main()
