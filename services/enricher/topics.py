"""Topic classification of Arabic news articles (pure inference, no faust, no network).

Model: two TF-IDF blocks (sublinear tf, each l2-normalised) -- word unigrams, word bigrams
and light stems of the title and the first words of the body; character n-grams within
words of the title and the lead (robust to clitics and spelling in short posts) -- plus a
dense block, the tf-idf weighted mean of word2vec vectors (trained on the unlabelled text of
the training part) of the same words, which generalises across synonyms in short posts;
followed by a linear multinomial model;
short texts (posts, headlines) are re-scored by a small stacked model over the main
logits and the hits of a topic lexicon (health, religion: the two codes that exist only as
short posts), then per-code offsets; scores are softmax probabilities with a temperature
fitted on held-out data, so they are calibrated in [0, 1]. Weights are plain JSON + npz (no pickle), written
by ``scripts/train_topics.py``; see ``models/topics/MODEL_CARD.md``.

Source-provided sections/tags (``taxonomy.section_evidence``) are combined with
the model by noisy-OR: ``s = 1 - (1 - p_model) * (1 - w_tag)``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from akhbar.arabic import light_stem, normalize_arabic  # the shipped vocabulary was built with light_stem
from enricher.taxonomy import ARABIC_LABELS, TOPIC_CODES, source_tag_evidence

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models" / "topics"

# Featurisation: shared verbatim by training (scripts/train_topics.py imports it) and inference.
FEATURE_VERSION = 5  # 4: + word2vec document-embedding block; 5: + lexicon stacker for short texts
MAX_BODY_WORDS = 200  # the lead of an article carries its topic; caps cost per article
TITLE_REPEAT = 2  # title tokens count twice
CHAR_NGRAMS = (3, 5)  # character n-grams of " token " (word-bounded, like sklearn's char_wb)
CHAR_BODY_WORDS = 60  # char n-grams come from the title and the first word tokens of the body
_TOKEN = re.compile(r"[^\W\d_]{2,}", re.UNICODE)

# Topic lexicon of the short-text stacker: words (matched by light stem) that name the two codes
# found only in short posts. Written by hand (domain vocabulary, checked against training posts and
# out-of-fold training errors only, never dev rows), not mined automatically.
_LEXICON_RAW: dict[str, str] = {
    "health": """صحة صحي صحية الصحي طبيب أطباء طبيبة طبي طبية مستشفى مستشفيات المستشفى مرض أمراض
    مريض مرضى علاج العلاج دواء أدوية لقاح لقاحات تطعيم تلقيح فيروس فيروسات وباء أوبئة عدوى سرطان السرطان
    السكري الزهايمر الإيدز كوليرا الكوليرا إنفلونزا الإنفلونزا حصبة الحصبة التدخين سجائر السجائر تبغ التبغ
    سمنة السمنة تغذية جراحة جراحي صيدلية صيادلة ممرض ممرضين تمريض اكتئاب الاكتئاب مناعة المناعة جرعة أعراض
    تشخيص فيتامين فيتامينات الكوليسترول الكبد الكلى الرئة الرئتين الدماغ القلب الشرايين السكتة الجلطة عيادة
    عيادات وبائي صحيا الصحة""",
    "religion": """دين الدين ديني دينية الدينية الأديان الإسلام إسلامي إسلامية الإسلامية مسلم مسلمون
    مسلمين المسلمين مسيحي مسيحية مسيحيين المسيحيين مسجد مساجد المسجد المساجد كنيسة كنائس الكنيسة قرآن القرآن
    صلاة الصلاة المصلين صيام الصيام الصائمين رمضان الفطر الأضحى الحج حجاج الحجاج حجيج عمرة العمرة المعتمرين
    الكعبة مكة فتوى فتاوى مفتي المفتي الإفتاء الأزهر الأوقاف داعية الدعاة إمام الأئمة البابا الفاتيكان الحجاب
    النقاب عبادة العبادة تراويح التراويح زكاة الزكاة الأذان سورة آية النبي الرسول الصوفية صوفي السلفية كسوة
    عرفة الأضاحي أضحية ترانيم القداس الكاهن راهب رهبان بطريرك البطريرك حاخام الحاخام الإلحاد ملحد العقيدة
    الشريعة الفقه الفقهاء المسابح الدعاء الهجري المولد الشعائر الطقوس القرابين الروحانية""",
}


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalize_arabic(text).lower())


LEXICON_CODES: tuple[str, ...] = tuple(_LEXICON_RAW)
LEXICON: dict[str, frozenset[str]] = {
    c: frozenset(light_stem(t) for t in _tokens(words)) for c, words in _LEXICON_RAW.items()
}


def lexicon_digest() -> str:
    """Fingerprint of the lexicon's stems: stored with the stacker, checked on load, so editing the
    word lists (code the artifact hash does not see) forces a retrain instead of silently changing
    the scores of a model version."""
    text = "\n".join(f"{c}:{' '.join(sorted(LEXICON[c]))}" for c in LEXICON_CODES)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def lexicon_features(tokens: list[str]) -> np.ndarray:
    """``log(1 + hits)`` per ``LEXICON_CODES`` entry: tokens whose light stem is in that code's lexicon."""
    stems = [light_stem(t) for t in tokens]
    return np.log1p(np.array([sum(s in LEXICON[c] for s in stems) for c in LEXICON_CODES], dtype=np.float64))


def featurize(title: str, body: str) -> list[str]:
    """Feature strings of one article: words, stems (prefixed ``~``) and word bigrams.

    Only the first ``MAX_BODY_WORDS`` whitespace-separated words of the body are used (cut
    before normalisation, so long articles cost no more than short ones).
    """
    return featurize_with_length(title, body)[0]


def featurize_with_length(title: str, body: str) -> tuple[list[str], int]:
    """``featurize`` plus the number of word tokens seen (title + capped body)."""
    title_toks = _tokens(title)
    body_toks = _tokens(" ".join(body.split(None, MAX_BODY_WORDS)[:MAX_BODY_WORDS]))
    return _word_features(title_toks, body_toks), len(title_toks) + len(body_toks)


def _word_features(title_toks: list[str], body_toks: list[str]) -> list[str]:
    feats: list[str] = []
    for toks, reps in ((title_toks, TITLE_REPEAT), (body_toks, 1)):
        stems = ["~" + light_stem(t) for t in toks]
        bigrams = [a + " " + b for a, b in itertools.pairwise(toks)]
        feats.extend((toks + stems + bigrams) * reps)
    return feats


def char_features(title_toks: list[str], body_toks: list[str]) -> list[str]:
    """Word-bounded character n-grams (``CHAR_NGRAMS``) of the title and body lead tokens."""
    lo, hi = CHAR_NGRAMS
    out: list[str] = []
    for t in itertools.chain(title_toks, body_toks[:CHAR_BODY_WORDS]):
        s = f" {t} "
        m = len(s)
        for n in range(lo, min(hi, m) + 1):
            out.extend([s[i : i + n] for i in range(m - n + 1)])
    return out


def _title_body_tokens(title: str, body: str) -> tuple[list[str], list[str]]:
    return _tokens(title), _tokens(" ".join(body.split(None, MAX_BODY_WORDS)[:MAX_BODY_WORDS]))


def featurize_blocks(title: str, body: str) -> tuple[list[str], list[str], int]:
    """(word features, char n-gram features, number of word tokens) of one article."""
    title_toks, body_toks = _title_body_tokens(title, body)
    return (
        _word_features(title_toks, body_toks),
        char_features(title_toks, body_toks),
        len(title_toks) + len(body_toks),
    )


def embedding_tokens(title: str, body: str) -> list[str]:
    """Word tokens averaged by the embedding block: the title ``TITLE_REPEAT`` times, then the body lead."""
    title_toks, body_toks = _title_body_tokens(title, body)
    return title_toks * TITLE_REPEAT + body_toks


def _lookup(counts: Counter[str], vocab: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(rows, counts) of the known features, in first-seen order (dict lookups run in C via ``map``)."""
    n = len(counts)
    idx = np.fromiter(map(vocab.get, counts.keys(), itertools.repeat(-1)), dtype=np.int64, count=n)
    tf = np.fromiter(counts.values(), dtype=np.float64, count=n)
    known = idx >= 0
    return idx[known], tf[known]


def doc_embedding(
    tokens: list[str], vocab: dict[str, int], idf: np.ndarray, vectors: np.ndarray
) -> np.ndarray:
    """l2-normalised ``(1 + log tf) * idf`` weighted sum of the (unit) word vectors; zeros if none known.

    Shared verbatim by training and inference; ``vectors`` is float32 (n_words, dim).
    """
    idx, tf = _lookup(Counter(tokens), vocab)
    if not len(idx):
        return np.zeros(vectors.shape[1], dtype=np.float32)
    v = ((1.0 + np.log(tf.astype(np.float32))) * idf[idx]) @ vectors[idx]
    norm = float(np.sqrt(v @ v))
    return (v / norm).astype(np.float32) if norm > 0 else np.zeros(vectors.shape[1], dtype=np.float32)


@dataclass(frozen=True, slots=True)
class TopicScore:
    code: str
    label_ar: str
    score: float
    evidence: str  # "model" | "source_tag" | "model+source_tag"


class TopicClassifier:
    """Load once, then ``classify`` per article; thread-safe after ``load`` (read-only arrays)."""

    def __init__(self, model_dir: Path | str | None = None) -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
        self._vocab: dict[str, int] | None = None  # word features -> row of coef / idf
        self._char_vocab: dict[str, int] = {}  # char n-grams -> row (after the word rows)
        self._char_weight = 1.0
        # Dense block: word -> row of the unit word2vec vectors, their idf, the coef rows, block weight.
        self._emb_vocab: dict[str, int] = {}
        self._emb_idf = np.zeros(0, dtype=np.float32)
        self._emb_vectors = np.zeros((0, 0), dtype=np.float32)
        self._emb_coef = np.zeros((0, 0), dtype=np.float64)
        self._emb_weight = 0.0
        self._idf: np.ndarray | None = None
        self._coef: np.ndarray | None = None  # (n_features, n_classes) float32
        self._intercept: np.ndarray | None = None
        self._classes: tuple[str, ...] = ()
        self._temperature = 1.0
        # Short texts (posts, headlines): per-class logit offsets tuned out-of-fold for macro-F1.
        self._short_max_tokens = 0
        self._short_bias = np.zeros(0)
        # Short texts: stacked linear model over [logits, lexicon_features] (empty: none).
        self._stack_coef = np.zeros((0, 0))
        self._stack_intercept = np.zeros(0)
        self.emit_threshold = 0.25
        self.meta: dict = {}

    def load(self) -> TopicClassifier:
        meta = json.loads((self.model_dir / "meta.json").read_text(encoding="utf-8"))
        if meta.get("feature_version") != FEATURE_VERSION:
            raise ValueError(
                f"topic model feature_version {meta.get('feature_version')} != code's {FEATURE_VERSION}; "
                "retrain with scripts/train_topics.py"
            )
        vocab_obj = json.loads((self.model_dir / "vocab.json").read_text(encoding="utf-8"))
        word_list, char_list = vocab_obj["word"], vocab_obj["char"]
        char_settings = (tuple(meta.get("char_ngrams", ())), meta.get("char_body_words"))
        if char_settings != (CHAR_NGRAMS, CHAR_BODY_WORDS):
            raise ValueError("topic model char n-gram settings differ from the code's; retrain")
        n_total = len(word_list) + len(char_list)
        emb_list = vocab_obj["emb"]
        with np.load(self.model_dir / "weights.npz", allow_pickle=False) as z:
            idf = z["idf"].astype(np.float32)
            coef = z["coef"].astype(np.float32)
            intercept = z["intercept"].astype(np.float32)
        with np.load(self.model_dir / "embeddings.npz", allow_pickle=False) as z:
            emb_vectors = z["vectors"].astype(np.float32)
            emb_idf = z["idf"].astype(np.float32)
        classes = tuple(meta["classes"])
        if set(classes) - set(TOPIC_CODES):
            raise ValueError(f"model classes {classes} not in taxonomy {TOPIC_CODES}")
        dim = emb_vectors.shape[1]
        if coef.shape != (n_total + dim, len(classes)) or idf.shape != (n_total,):
            raise ValueError("topic model arrays do not match vocabulary")
        if emb_vectors.shape[0] != len(emb_list) or emb_idf.shape != (len(emb_list),):
            raise ValueError("topic model embeddings do not match their vocabulary")
        self._emb_vocab = {w: i for i, w in enumerate(emb_list)}
        self._emb_vectors, self._emb_idf = emb_vectors, emb_idf
        self._emb_coef = coef[n_total:].astype(np.float64)
        self._emb_weight = float(meta["emb_weight"])
        coef = coef[:n_total]
        self._vocab = {f: i for i, f in enumerate(word_list)}
        self._char_vocab = {f: i for i, f in enumerate(char_list, start=len(word_list))}
        self._char_weight = float(meta.get("char_weight", 1.0))
        self._idf, self._coef, self._intercept = idf, coef, intercept
        self._classes = classes
        self._temperature = float(meta.get("temperature", 1.0))
        self._short_max_tokens = int(meta.get("short_max_tokens", 0))
        self._short_bias = np.asarray(meta.get("short_bias", [0.0] * len(classes)), dtype=np.float64)
        if self._short_bias.shape != (len(classes),):
            raise ValueError("short_bias does not match classes")
        stack = meta.get("short_stack")
        if stack:
            if tuple(stack["lexicon"]) != LEXICON_CODES or stack.get("lexicon_digest") != lexicon_digest():
                raise ValueError("topic model lexicon differs from the code's LEXICON; retrain")
            self._stack_coef = np.asarray(stack["coef"], dtype=np.float64)
            self._stack_intercept = np.asarray(stack["intercept"], dtype=np.float64)
            if self._stack_coef.shape != (len(classes), len(classes) + len(LEXICON_CODES)) or (
                self._stack_intercept.shape != (len(classes),)
            ):
                raise ValueError("short_stack does not match classes")
        self.emit_threshold = float(meta.get("emit_threshold", 0.25))
        self.meta = meta
        return self

    @property
    def loaded(self) -> bool:
        return self._vocab is not None

    def model_scores(self, title: str, body: str) -> dict[str, float]:
        """Calibrated softmax probability per taxonomy code (codes the model lacks get 0)."""
        if self._vocab is None or self._idf is None or self._coef is None or self._intercept is None:
            raise RuntimeError("TopicClassifier.load() first")
        title_toks, body_toks = _title_body_tokens(title, body)
        words = _word_features(title_toks, body_toks)
        chars = char_features(title_toks, body_toks)
        n_tokens = len(title_toks) + len(body_toks)
        logits = self._intercept.astype(np.float64)
        if self._emb_weight:
            emb = doc_embedding(
                title_toks * TITLE_REPEAT + body_toks, self._emb_vocab, self._emb_idf, self._emb_vectors
            )
            logits = logits + self._emb_weight * (emb.astype(np.float64) @ self._emb_coef)
        for feats, vocab, weight in ((words, self._vocab, 1.0), (chars, self._char_vocab, self._char_weight)):
            idx, tf = _lookup(Counter(feats), vocab)
            if not len(idx):
                continue
            w = (1.0 + np.log(tf)) * self._idf[idx]
            norm = math.sqrt(float(w @ w))
            if norm > 0:
                w *= weight / norm
            logits = logits + w @ self._coef[idx].astype(np.float64)
        if n_tokens < self._short_max_tokens:
            if self._stack_coef.size:
                lex = lexicon_features(title_toks * TITLE_REPEAT + body_toks)
                logits = self._stack_coef @ np.concatenate([logits, lex]) + self._stack_intercept
            logits = logits + self._short_bias
        z = logits / self._temperature
        z = np.exp(z - z.max())
        p = z / z.sum()
        out = dict.fromkeys(TOPIC_CODES, 0.0)
        for c, v in zip(self._classes, p.tolist(), strict=False):
            out[c] = float(v)
        return out

    def classify(self, title: str, body: str, source_tags: list[str] | None = None) -> list[TopicScore]:
        """Topics of one article, best first; the top label is always present.

        A label is emitted when its combined score is >= ``emit_threshold`` or a source
        tag names it. Ties break in taxonomy order, so output is deterministic.
        """
        model = self.model_scores(title or "", body or "")
        tags = source_tag_evidence(list(source_tags or []))
        order = {c: i for i, c in enumerate(TOPIC_CODES)}
        scored: list[TopicScore] = []
        for code in TOPIC_CODES:
            p = model[code]
            w = tags.get(code, 0.0)
            s = 1.0 - (1.0 - p) * (1.0 - w)
            if w > 0.0:
                evidence = "model+source_tag" if p >= self.emit_threshold else "source_tag"
            else:
                evidence = "model"
            scored.append(TopicScore(code, ARABIC_LABELS[code], round(s, 4), evidence))
        scored.sort(key=lambda t: (-t.score, order[t.code]))
        top = scored[0]
        return [top] + [t for t in scored[1:] if t.score >= self.emit_threshold or t.evidence != "model"]
