"""The NER tagger: features -> CRF (numpy decoder) -> rule pipeline -> document propagation.

See ``enricher/ner/__init__.py`` for the public API and ``models/ner/MODEL_CARD.md``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from akhbar.arabic import normalize_arabic
from enricher.ner.crf_decode import CrfModel
from enricher.ner.features import (
    BOS,
    E_BASE,
    E_PRE,
    EOS,
    FEATURE_WORDS_FILE,
    Entry,
    FeatureExtractor,
    FeatureWords,
)
from enricher.ner.lexicon import Lexicon
from enricher.ner.phrases import PLACES
from enricher.ner.propagation import group_mentions, propagate
from enricher.ner.rules import RulePipeline
from enricher.ner.rules.base import NAME_LINKS, RULE_TITLES, Resources
from enricher.ner.tokens import ARABIC, Entity, Span, feat_norm, iob_chunks, merge_mentions, sentences

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "ner"
RULES_VERSION = "6"
"""Bump when the rules (``rules/``), their word lists or propagation change: it is part of the NER
model version in documents, since the artifact hash does not see code."""
MAX_CACHED_WORDS = 150_000
"""Words whose feature weights the tagger keeps (~1 KB each); then the cache starts again."""
_PART_OFFSETS = (-1, -2, 1, 2)  # an entry's shifted lists e[6..9]: f"{offset}:{feature}"


def _rule_conf(m: Any, t: str, i: int) -> float:
    """A rule overrode the CRF: its marginal for the rule's label, floored at 0.5."""
    try:
        return max(0.5, m(t, i))
    except Exception:  # label unknown to the model
        return 0.5


class NerTagger:
    def __init__(
        self,
        model_path: Path,
        lex: Lexicon,
        gaz: dict[str, str],
        rules: bool = True,
        auto: dict[str, str] | None = None,
        news: dict[str, str] | None = None,
        doc_ctx: bool = False,
        stack_path: Path | None = None,
        emb: dict[str, str] | None = None,
        lex_feats: Sequence[str] = (),
        words: FeatureWords | None = None,
        rule_names: Sequence[str] | None = None,
    ):
        import pycrfsuite

        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(model_path))
        # the same model's exact weights for the batched numpy decoder (see crf_decode.py)
        self._crf = CrfModel.load(model_path)
        # word -> (row of _parts_table, compact entry), see _compact_entries
        self._words: dict[str, tuple[int, Entry]] = {}
        self._parts_table = np.zeros((4096, 5, len(self._crf.labels)))
        self.max_words = MAX_CACHED_WORDS
        self.crfsuite_decoding = False  # True: python-crfsuite tags (reference path, slower)
        self._vec_cache: dict[int, tuple[list[str], np.ndarray]] = {}
        k = len(self._crf.labels)
        self._bos = self._crf.score(BOS)
        self._eos = self._crf.score(EOS)
        self._zero = np.zeros(k)
        self.lex = lex
        self.fx = FeatureExtractor(lex, gaz, auto, news, emb, lex_feats, words)
        self.doc_ctx = doc_ctx
        self._stack = None
        if stack_path is not None and Path(stack_path).exists():
            self._stack = pycrfsuite.Tagger()
            self._stack.open(str(stack_path))
        self.rules = rules
        self.propagation = True  # document-level propagation in tag_document (evaluation switches it)
        self.grouping = True  # mention grouping after propagation (propagation.group_mentions)
        self.res = Resources(lex, gaz)
        self.pipeline = RulePipeline(rule_names)

    @classmethod
    def load(cls, path: str | Path = DEFAULT_MODEL_DIR, rules: bool = True) -> NerTagger:
        path = Path(path)
        lex = Lexicon.load(path / "lexicon.tsv.gz")
        gaz_path = path / "gazetteer.json"
        gaz = json.loads(gaz_path.read_text(encoding="utf-8")) if gaz_path.exists() else {}
        return cls(
            path / "model.crfsuite",
            lex,
            gaz.get("train", {}),
            rules=rules,
            auto=gaz.get("auto", {}),
            news=gaz.get("news", {}),
            doc_ctx=bool(gaz.get("doc_context", False)),
            stack_path=path / "stack.crfsuite",
            emb=gaz.get("emb", {}),
            lex_feats=gaz.get("lex_feats", ()),
            words=FeatureWords.load(path / FEATURE_WORDS_FILE),
        )

    # -------------------------------------------------------------- token level
    def tag_tokens(self, toks: Sequence[str], rules: bool | None = None) -> list[str]:
        """IOB tags of one pre-tokenised sentence (no document-level propagation)."""
        return self._tag_sentence(toks, rules, want_conf=False)[0]

    def tag_sentences(
        self, sents: Sequence[Sequence[str]], rules: bool | None = None, propagate: bool = True
    ) -> list[tuple[list[str], list[float]]]:
        """Tag the sentences of one document: (tags, per-token confidence) per sentence.

        With ``propagate``, a confident entity string found in one sentence is also
        labelled where the CRF left the same string O elsewhere in the document
        ("one sense per discourse").
        """
        if self._stack is None and not self.crfsuite_decoding:
            ents, rows = self._compact_entries(sents)
            out = self._decode_document(sents, ents, rows, rules)
        else:
            ents = self.fx._entries(sents)
            out = self._tag_stacked(sents, ents, rules)
        if propagate:
            self._propagate(sents, out, bases=[[e[E_BASE] for e in es] for es in ents])
        return out

    def _tag_stacked(
        self, sents: Sequence[Sequence[str]], ents: list[list[Entry]], rules: bool | None
    ) -> list[tuple[list[str], list[float]]]:
        """Two CRFsuite passes (experimental stacked model, ``train_ner.py --stack``)."""
        feats = self.fx._doc_features(ents, self.doc_ctx)
        tagger = self._tagger
        if self._stack is not None:  # second pass: + first-pass labels of the word across the document
            first = [list(self._tagger.tag(f)) if f else [] for f in feats]
            sf = self.fx.stack_feats(sents, first)
            feats = [[a + b for a, b in zip(f, x, strict=True)] for f, x in zip(feats, sf, strict=True)]
            tagger = self._stack
        return [
            self._tag_sentence(t, rules, want_conf=True, feats=f, tagger=tagger, ents=es)
            for t, f, es in zip(sents, feats, ents, strict=True)
        ]

    # ------------------------------------------------------------ numpy decoding
    def _compact_entries(self, sents: Sequence[Sequence[str]]) -> tuple[list[list[Entry]], list[list[int]]]:
        """Entries and ``_parts_table`` rows of every word of a document.

        A row holds a word's feature weight sums: its own, and those it lends to the words one
        and two after it and one and two before it (the +-2 window), as (5, n_labels). Once a
        word has its row, its feature strings are no longer needed: the cache keeps a compact
        entry without them (~1 KB a word instead of ~6 KB), and at most ``max_words`` words
        (then it starts again), so a long-running worker's memory stays bounded."""
        words = self._words
        if len(words) >= self.max_words:  # only between documents: rows in use stay valid
            words.clear()
        fx = self.fx
        ents: list[list[Entry]] = []
        rows: list[list[int]] = []
        for toks in sents:
            es: list[Entry] = []
            rs: list[int] = []
            for t in toks:
                hit = words.get(t)
                if hit is None:
                    compact, own, keep = fx.compact_entry(t)
                    n = len(words)
                    table = self._parts_table
                    if n >= len(table):
                        grown = np.zeros((2 * len(table), *table.shape[1:]))
                        grown[: len(table)] = table
                        self._parts_table = table = grown
                    # rows in the order of an entry's e[5], e[6] (-1), e[7] (-2), e[8] (+1), e[9] (+2)
                    table[n] = self._crf.score_window(own, keep, _PART_OFFSETS)
                    hit = words[t] = (n, compact)
                rs.append(hit[0])
                es.append(hit[1])
            ents.append(es)
            rows.append(rs)
        return ents, rows

    def _vec(self, feats: list[str]) -> np.ndarray:
        """Weight sum of a per-document feature list; lists from the extractor's caches are
        long-lived, so they are keyed by identity (the entry keeps the list alive)."""
        hit = self._vec_cache.get(id(feats))
        if hit is not None and hit[0] is feats:
            return hit[1]
        v = self._crf.score(feats)
        if len(self._vec_cache) > 100_000:
            self._vec_cache.clear()
        self._vec_cache[id(feats)] = (feats, v)
        return v

    def _emissions(self, ents: list[list[Entry]], rows: list[list[int]]) -> list[np.ndarray]:
        """Per-sentence state scores, identical to what CRFsuite computes from ``_doc_features``."""
        ngs, by_base = self.fx._doc_aux(ents, self.doc_ctx)
        bb = by_base.get
        vec = self._vec
        table = self._parts_table
        out: list[np.ndarray] = []
        for es, idx, ng in zip(ents, rows, ngs, strict=True):
            n = len(es)
            if not n:
                out.append(np.zeros((0, len(self._zero))))
                continue
            p = table[idx]
            em = p[:, 0].copy()
            if n > 1:
                em[1:] += p[:-1, 1]
                em[:-1] += p[1:, 3]
            if n > 2:
                em[2:] += p[:-2, 2]
                em[:-2] += p[2:, 4]
            em[0] += self._bos
            em[-1] += self._eos
            for i, e in enumerate(es):
                if ng and ng[i]:
                    em[i] += self._crf.score(ng[i])
                if e[4]:
                    f = bb(e[2])
                    if f:
                        em[i] += vec(f)
            out.append(em)
        return out

    def _decode_document(
        self,
        sents: Sequence[Sequence[str]],
        ents: list[list[Entry]],
        rows: list[list[int]],
        rules: bool | None,
    ) -> list[tuple[list[str], list[float]]]:
        labels = self._crf.labels
        index = self._crf.label_index
        use_rules = self.rules if rules is None else rules
        out: list[tuple[list[str], list[float]]] = []
        decoded = self._crf.decode(self._emissions(ents, rows))
        for toks, es, (best, marg) in zip(sents, ents, decoded, strict=True):
            crf_tags = [labels[x] for x in best]
            tags = (
                self._apply_rules(toks, crf_tags, [(e[E_PRE], e[E_BASE]) for e in es])
                if use_rules
                else crf_tags
            )

            def m(t: str, i: int, marg: np.ndarray = marg) -> float:
                return float(marg[i, index[t]])

            confs = [
                1.0 if t == "O" else (m(t, i) if t == c else _rule_conf(m, t, i))
                for i, (t, c) in enumerate(zip(tags, crf_tags, strict=True))
            ]
            out.append((tags, confs))
        return out

    def _feats(self, toks: Sequence[str], extra: list[list[str]] | None, ng=False) -> list[list[str]]:
        feats = self.fx.sent_feats(toks, ng) if toks else []
        if extra:
            feats = [f + x if x else f for f, x in zip(feats, extra, strict=True)]
        return feats

    def _tag_sentence(
        self,
        toks: Sequence[str],
        rules: bool | None,
        want_conf: bool,
        feats: list[list[str]] | None = None,
        tagger=None,
        ents: list[Entry] | None = None,
    ) -> tuple[list[str], list[float]]:
        if not toks:
            return [], []
        if feats is None:  # single sentence: no document features, first pass only
            feats = self._feats(toks, self.fx.doc_context([toks])[0] if self.doc_ctx else None)
            tagger = self._tagger
            if self._stack is not None:
                sf = self.fx.stack_feats([toks], [list(tagger.tag(feats))])[0]
                feats = [a + b for a, b in zip(feats, sf, strict=True)]
                tagger = self._stack
        tagger = tagger or self._tagger
        crf_tags = tagger.tag(feats)
        use_rules = self.rules if rules is None else rules
        if not use_rules:
            tags = list(crf_tags)
        elif ents is not None:
            tags = self._apply_rules(toks, crf_tags, [(e[E_PRE], e[E_BASE]) for e in ents])
        else:
            tags = self.apply_rules(toks, crf_tags)
        confs: list[float] = []
        if want_conf:
            m = tagger.marginal
            confs = [
                1.0 if t == "O" else (m(t, i) if t == c else _rule_conf(m, t, i))
                for i, (t, c) in enumerate(zip(tags, crf_tags, strict=True))
            ]
        return tags, confs

    def _propagate(
        self,
        sents: Sequence[Sequence[str]],
        out: list[tuple[list[str], list[float]]],
        bases: list[list[str]] | None = None,
    ) -> None:
        if bases is None:
            bases = [[self._base(t) for t in toks] for toks in sents]
        propagate(sents, bases, out, self._surname_like)
        if self.grouping:
            group_mentions(sents, bases, out)

    def _surname_like(self, w: str) -> bool:
        """A full name's last word that may stand for the person alone: no link word or title, and
        name-like or rare (not العليا, التكريم from a chunk the CRF ran on)."""
        return (
            len(w) > 2
            and bool(ARABIC.match(w))
            and w not in NAME_LINKS
            and w not in RULE_TITLES
            and (self.res.name_like(w) or self.lex.count(w) < 50)
        )

    def _base(self, tok: str) -> str:
        return self.fx.split(feat_norm(tok) or tok)[1]

    def apply_rules(self, toks: Sequence[str], tags: list[str]) -> list[str]:
        """The rule pipeline on one sentence's CRF tags (see ``rules/``)."""
        return self._apply_rules(toks, tags, [self.fx.split(feat_norm(t) or t) for t in toks])

    def _apply_rules(self, toks: Sequence[str], tags: list[str], splits: list[tuple[str, str]]) -> list[str]:
        return self.pipeline.run(toks, tags, splits, self.res)

    # -------------------------------------------------------------- text level
    def tag(self, text: str) -> list[Span]:
        """Entity spans of one text (one document for propagation)."""
        return self.tag_document([text])[0]

    def tag_document(self, texts: Sequence[str]) -> list[list[Span]]:
        """Spans for each text of one document (e.g. title and body), tagged together."""
        sents_per_text = [sentences(t) for t in texts]
        flat = [sent for sents in sents_per_text for sent in sents]
        tok_lists = [[t for t, _, _ in sent] for sent in flat]
        tagged = self.tag_sentences(tok_lists, propagate=self.propagation)
        result: list[list[Span]] = []
        it = iter(zip(flat, tok_lists, tagged, strict=True))
        for text, sents in zip(texts, sents_per_text, strict=True):
            spans: list[Span] = []
            for _ in sents:
                sent, toks, (tags, confs) = next(it)
                for typ, a, b in iob_chunks(tags):
                    start, end = sent[a][1], sent[b - 1][2]
                    surface = text[start:end]
                    normal, display = self._normal_and_display(toks[a:b], surface)
                    spans.append(Span(start, end, typ, surface, normal, round(min(confs[a:b]), 4), display))
            result.append(spans)
        return result

    def _first_cut(self, tok: str, w: str) -> tuple[int, bool]:
        """Proclitics to drop from an entity's first word ``tok`` (normalised: ``w``): (letters to
        cut, whether ``ا`` goes in front: للأمم -> الأمم)."""
        split_pre, base = self.fx.split(feat_norm(tok))
        place = PLACES.key(tok, base, split_pre)
        if place is not None:  # a place: only its own proclitics go (لليبيا -> ليبيا, كوالا stays)
            pre = place[1]
            contracted = place[0].startswith("ال") and pre.endswith("ل")
            if pre and contracted and w[len(pre) - 1 :].startswith("لل"):
                return len(pre), True  # للحديدة = ل + الحديدة
            return len(pre), False
        pre = split_pre
        if pre and w.startswith("لل") and pre in ("ل", "ول", "فل"):
            return (len(pre), True) if w[len(pre) - 1 :].startswith("ل") else (len(pre) - 1, False)
        return len(pre), False

    def normalize(self, toks: Sequence[str]) -> str:
        """Normal form of an entity (see module docstring)."""
        return self._normal_and_display(toks, "")[0]

    def _normal_and_display(self, toks: Sequence[str], surface: str) -> tuple[str, str]:
        """Normal form, and the surface without the first word's proclitics (``وبيروت`` ->
        ``بيروت``, ``للأمم المتحدة`` -> ``الأمم المتحدة``) in the text's own spelling."""
        words = [normalize_arabic(t, ta_marbuta=False) for t in toks]
        words = [w for w in words if w]
        if not (words and ARABIC.match(words[0])):
            return " ".join(words), surface
        cut, alef = self._first_cut(toks[0], words[0])
        if not cut:
            return " ".join(words), surface
        words[0] = ("ا" if alef else "") + words[0][cut:]
        k = 0  # characters of the surface that hold the first ``cut`` letters (marks follow them)
        while k < len(surface) and (cut > 0 or not normalize_arabic(surface[k])):
            if normalize_arabic(surface[k]):
                cut -= 1
            k += 1
        return " ".join(words), ("ا" if alef else "") + surface[k:]

    # -------------------------------------------------------------- article level
    def article_entities(self, title: str, body: str) -> list[Entity]:
        title_spans, body_spans = self.tag_document([title or "", body or ""])
        return merge_mentions(title_spans, body_spans)
