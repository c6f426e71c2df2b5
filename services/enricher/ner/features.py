"""CRF features of the tagger, one module shared by run time and the training scripts.

Per word (cached): the word, its lexicon-driven clitic split and stem, affixes, shape, news
frequency, cluster ids (``lexicon``), trigger-word types, gazetteer types; combined over a +-2
window; plus per-document parts: news-phrase gazetteer matches and document-context features.

The trigger word lists (``FeatureWords``) are model inputs: the tagger reads them from the model
artifact (``feature_words.json``, written by ``train_ner.py`` from ``data/feature_words.json``), so
they are hashed with the CRF and a rule edit can never change what the model sees.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from enricher.ner.lexicon import NO_CLASS, Lexicon, freq_bucket, split_clitics
from enricher.ner.tokens import ARABIC, LATIN, feat_norm, norms

FEATURE_WORDS_FILE = "feature_words.json"
FEATURE_WORDS_SOURCE = Path(__file__).resolve().parent / "data" / FEATURE_WORDS_FILE

BOS: tuple[str, ...] = ("BOS",)
EOS: tuple[str, ...] = ("EOS",)
_NONE: tuple[str, ...] = ()
_DREP = ["drep"]
NOLIST: list[str] = []  # feature slots of a compact entry (NerTagger._compact_entries); never mutated
_NODICT: dict[int, list[str]] = {}

# Cached per-word entry (see ``FeatureExtractor._entry``), a tuple for speed; its fields by index:
E_FEATS: Final = 0
E_SHIFTED: Final = 1
E_BASE: Final = 2
E_TRIG: Final = 3
E_DOCCTX: Final = 4
E_BIAS: Final = 5
E_NEXT1: Final = 6
E_NEXT2: Final = 7
E_PREV1: Final = 8
E_PREV2: Final = 9
E_PRE: Final = 10
E_TRIG2: Final = 11
E_ART: Final = 12
# (word features, shifted window features by offset, clitic-split base, trigger types, usable for
# document context, ``["bias", *feats]``, window features as seen from the next word (-1), the word
# after it (-2), the previous word (1) and the one before it (2), proclitics, trigger types + "2",
# base starts with the article).
Entry = tuple[
    list[str],
    dict[int, list[str]],
    str,
    tuple[str, ...],
    bool,
    list[str],
    list[str],
    list[str],
    list[str],
    list[str],
    str,
    tuple[str, ...],
    bool,
]


@dataclass(frozen=True)
class FeatureWords:
    """Trigger word lists of the features (matching forms)."""

    per_titles: frozenset[str]
    org_heads: frozenset[str]
    loc_triggers: frozenset[str]
    world_loc: frozenset[str]
    name_links: frozenset[str]
    # heads of ANERcorp's MISC (events, competitions, prizes, works) and its one-word MISC kinds
    # (currencies, religions); absent from artifacts trained before it (then empty)
    misc_heads: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path) -> FeatureWords:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(**{k: norms(raw[k]) for k in cls.__dataclass_fields__ if k in raw})


class FeatureExtractor:
    """Per-word features (cached) combined over a +-2 window."""

    WINDOW_KEYS: tuple[str, ...] = (
        "w=",
        "b=",
        "st=",
        "c1=",
        "c2=",
        "c3=",
        "f3=",
        "T=",
        "W=",
        "g=",
        "sh=",
        "pre=",
        "nis",
        "link",
        "ag=",
    )

    def __init__(
        self,
        lex: Lexicon,
        gaz: dict[str, str] | None = None,
        auto: dict[str, str] | None = None,
        news: dict[str, str] | None = None,
        emb: dict[str, str] | None = None,
        lex_feats: Sequence[str] = (),
        words: FeatureWords | None = None,
    ):
        self.lex = lex
        # the word lists behind T=/W=/link features: the model artifact's frozen copy at run time
        self.words = words or FeatureWords.load(FEATURE_WORDS_SOURCE)
        self.gaz = gaz or {}
        self.auto = auto or {}
        # embedding gazetteer: news word -> type voted by its word2vec nearest neighbours that are
        # training-gazetteer words ("PER", or "PER~" when the vote is weak); see train_ner.py
        self.emb = emb or {}
        # optional lexicon column families: "h" = hierarchical w2v classes (h16 ... h4096),
        # "v" = large-window (topical) w2v k-means 256/1024
        self.lex_h = "h" in lex_feats
        self.lex_v = "v" in lex_feats
        extra_keys: list[str] = []
        if self.emb:
            extra_keys.append("eg=")
        if self.lex_h:
            extra_keys += ["h2=", "h3=", "h5="]
        if self.lex_v:
            extra_keys.append("v3=")
        self.WINDOW_KEYS = (*FeatureExtractor.WINDOW_KEYS, *extra_keys)
        # phrase gazetteer harvested from unlabelled news with trigger patterns (نادي X, شركة X,
        # سيارة X ...): "base1 base2" -> type; matched longest-first over clitic-split bases
        self.news: dict[tuple[str, ...], str] = {tuple(k.split(" ")): v for k, v in (news or {}).items()}
        self._news_len: dict[str, int] = {}
        for k in self.news:
            self._news_len[k[0]] = max(self._news_len.get(k[0], 0), len(k))
        self._cache: dict[str, Entry] = {}
        self._split_cache: dict[str, tuple[str, str]] = {}
        # sorted document-context trigger set (+ repeated flag) -> its "dc=" features
        self._dc_cache: dict[tuple[frozenset[str], bool], list[str]] = {}

    def split(self, n: str) -> tuple[str, str]:
        r = self._split_cache.get(n)
        if r is None:
            if len(self._split_cache) > 300_000:
                self._split_cache.clear()
            r = self._split_cache[n] = split_clitics(n, self.lex)
        return r

    def word_feats(self, tok: str) -> list[str]:
        n = feat_norm(tok) or tok
        if not ARABIC.search(n):
            if n.isdigit() or re.fullmatch(r"[\d.,%]+", n):
                shape = "D"
            elif LATIN.search(n):
                shape = "L"
            elif re.search(r"\w", n):
                shape = "X"
            else:
                return ["w=" + n, "sh=P"]
            f = ["w=" + (n if shape != "D" else "<num>"), "sh=" + shape]
            return f
        pre, base = self.split(n)
        words = self.words
        stem = base[2:] if base.startswith("ال") and len(base) > 4 else base
        f = [
            "w=" + n,
            "b=" + base,
            "st=" + stem,
            "pre=" + pre,
            "sh=A",
            "p2=" + stem[:2],
            "p3=" + stem[:3],
            "s1=" + stem[-1:],
            "s2=" + stem[-2:],
            "s3=" + stem[-3:],
            "len=" + str(min(len(stem), 9)),
            "art=" + str(base != stem),
        ]
        r = self.lex.rows.get(n) or self.lex.rows.get(base)
        if r is None and stem != base:
            r = self.lex.rows.get(stem)
        if r is not None:
            f += ["fq=" + freq_bucket(r.freq), "f2=" + r.f256, "f3=" + r.f1024]
            if r.w64 != NO_CLASS:
                f += ["c1=" + r.w64, "c2=" + r.w256, "c3=" + r.w1024]
            if self.lex_h and r.h16 != NO_CLASS:
                f += ["h1=" + r.h16, "h2=" + r.h64, "h3=" + r.h256, "h4=" + r.h1024, "h5=" + r.h4096]
            if self.lex_v and r.v256 != NO_CLASS:
                f += ["v2=" + r.v256, "v3=" + r.v1024]
        else:
            f.append("oov")
        if base != n:
            rb = self.lex.rows.get(base)
            if rb is not None and rb.w64 != NO_CLASS:
                f += ["bc2=" + rb.w256, "bc3=" + rb.w1024]
        for form in (base, stem):
            if form in words.per_titles:
                f.append("T=PER")
                break
        for form in (base, stem):
            if form in words.org_heads:
                f.append("T=ORG")
                break
        if base in words.loc_triggers or stem in words.loc_triggers:
            f.append("T=LOC")
        if base in words.misc_heads or stem in words.misc_heads:
            f.append("T=MISC")
        if base in words.world_loc or stem in words.world_loc:
            f.append("W=LOC")
        if base in words.name_links:
            f.append("link")
        g = self.gaz.get(base) or self.gaz.get(n)
        if g:
            f.append("g=" + g)
        a = self.auto.get(base)
        if a:
            f.append("ag=" + a)
        if self.emb:
            e = self.emb.get(n) or self.emb.get(base)
            if e:
                f.append("eg=" + e)
        if base.startswith("ال") and (
            base.endswith("ي")
            or base.endswith("يه")
            or base.endswith("يون")
            or base.endswith("يين")
            or base.endswith("يه")
        ):
            f.append("nis")
        return f

    def _word(self, tok: str) -> tuple[list[str], list[str], str, str, tuple[str, ...]]:
        """(word features, those that enter the +-2 window, clitic-split base, proclitics,
        trigger types) of one token."""
        base = self.word_feats(tok)
        keep = [x for x in base if x.startswith(self.WINDOW_KEYS)]
        n = feat_norm(tok) or tok
        if ARABIC.match(n):
            pre, b = self.split(n)
        else:
            pre, b = "", n
        trig = tuple(x[2:] for x in base if x.startswith("T="))
        return base, keep, b, pre, trig

    def _entry(self, tok: str) -> Entry:
        e = self._cache.get(tok)
        if e is None:
            base, keep, b, pre, trig = self._word(tok)
            shifted = {o: [f"{o}:{x}" for x in keep] for o in (-2, -1, 1, 2)}
            if len(self._cache) > 300_000:
                self._cache.clear()
            e = (
                base,
                shifted,
                b,
                trig,
                len(b) >= 3 and bool(ARABIC.match(b)),
                ["bias", *base],
                shifted[-1],
                shifted[-2],
                shifted[1],
                shifted[2],
                pre,
                tuple(x + "2" for x in trig),
                b.startswith("ال"),
            )
            self._cache[tok] = e
        return e

    def compact_entry(self, tok: str) -> tuple[Entry, list[str], list[str]]:
        """An entry without its feature lists (what document features and rules read), plus
        the word's own features and its window features unshifted: uncached, for callers that
        keep their own per-word results (``NerTagger`` keeps weight sums)."""
        base, keep, b, pre, trig = self._word(tok)
        e = (
            NOLIST,
            _NODICT,
            b,
            trig,
            len(b) >= 3 and bool(ARABIC.match(b)),
            NOLIST,
            NOLIST,
            NOLIST,
            NOLIST,
            NOLIST,
            pre,
            tuple(x + "2" for x in trig),
            b.startswith("ال"),
        )
        return e, ["bias", *base], keep

    def _entries(self, sents: Sequence[Sequence[str]]) -> list[list[Entry]]:
        get = self._cache.get
        entry = self._entry
        return [[get(t) or entry(t) for t in toks] for toks in sents]

    def _doc_features(self, ents: list[list[Entry]], doc_ctx: bool) -> list[list[list[str]]]:
        """Full CRF features of every sentence of a document from its cached entries: the same
        features as ``sent_feats`` (+ ``doc_context`` when ``doc_ctx``), computed in one pass."""
        ngs, by_base = self._doc_aux(ents, doc_ctx)
        bb = by_base.get
        out: list[list[list[str]]] = []
        for es, ng in zip(ents, ngs, strict=True):
            n = len(es)
            if not n:
                out.append([])
                continue
            prev1 = [BOS, *[e[6] for e in es[:-1]]]
            prev2 = [_NONE, _NONE, *[e[7] for e in es[:-2]]]  # two longer than es when n == 1
            next1 = [*[e[8] for e in es[1:]], EOS]
            next2 = [*[e[9] for e in es[2:]], _NONE, _NONE]
            ms = ng if ng else [_NONE] * n
            out.append(
                [
                    [*e[5], *m, *a, *b2, *c1, *d, *((bb(e[2]) or _NONE) if e[4] else _NONE)]
                    for e, m, a, b2, c1, d in zip(es, ms, prev1, prev2, next1, next2, strict=False)
                ]
            )
        return out

    def _doc_aux(
        self, ents: list[list[Entry]], doc_ctx: bool
    ) -> tuple[list[list[list[str]] | None], dict[str, list[str]]]:
        """The per-document parts of the features: news-gazetteer matches per sentence and the
        document-context features of each base form (the rest is cached per word)."""
        news = self.news
        news_matches = self.news_matches
        ngs = [news_matches([e[2] for e in es]) if news else None for es in ents]
        by_base: dict[str, list[str]] = {}
        if doc_ctx:
            ctx: dict[str, set[str]] = {}
            cnt: dict[str, int] = {}
            cget = cnt.get
            xget = ctx.get
            for es, ng in zip(ents, ngs, strict=True):
                for i, e in enumerate(es):
                    if not e[4]:
                        continue
                    b = e[2]
                    cnt[b] = cget(b, 0) + 1
                    c = xget(b)
                    if i:
                        p = es[i - 1]
                        if p[3]:
                            if c is None:
                                c = ctx[b] = set()
                            c.update(p[3])
                        if i > 1 and p[12]:
                            t2 = es[i - 2][11]
                            if t2:
                                if c is None:
                                    c = ctx[b] = set()
                                c.update(t2)
                    if ng:
                        m = ng[i]
                        if m:
                            for x in m:
                                if x.startswith("ng=B"):
                                    if c is None:
                                        c = ctx[b] = set()
                                    c.add("n" + x[4:])
            dc_cache = self._dc_cache
            for b, k in cnt.items():
                c = xget(b)
                rep = k > 1
                if not c:
                    by_base[b] = _DREP if rep else []
                    continue
                key = (frozenset(c), rep)
                f = dc_cache.get(key)
                if f is None:
                    f = ["dc=" + x for x in sorted(c)]
                    if rep:
                        f.append("drep")
                    if len(dc_cache) > 100_000:
                        dc_cache.clear()
                    dc_cache[key] = f
                by_base[b] = f
        return ngs, by_base

    def news_matches(self, bases: Sequence[str]) -> list[list[str]]:
        """Per-token features of longest matches of the news phrase gazetteer."""
        n = len(bases)
        out: list[list[str]] = [[] for _ in range(n)]
        if not self.news:
            return out
        news_len = self._news_len
        news = self.news
        nxt = 0  # first position not inside an earlier match
        for i, b in enumerate(bases):
            if i < nxt or b not in news_len:
                continue
            for ln in range(min(news_len[b], n - i), 0, -1):
                typ = news.get(tuple(bases[i : i + ln]))
                if typ:
                    out[i].append("ng=B" + typ)
                    for k in range(i + 1, i + ln):
                        out[k].append("ng=I" + typ)
                    if i > 0:
                        out[i - 1].append("ng+1=" + typ)
                    if i + ln < n:
                        out[i + ln].append("ng-1=" + typ)
                    nxt = i + ln
                    break
        return out

    def doc_context(self, sents: Sequence[Sequence[str]], ngs: list | None = None) -> list[list[list[str]]]:
        """Document-level features: for every word, the trigger contexts seen at *any* of its
        occurrences in the document (``الرئيس X`` in one sentence helps a bare ``X`` in another).
        ``ngs`` (optional, filled): per-sentence news-gazetteer matches, reused by ``sent_feats``."""
        ctx: dict[str, set[str]] = {}
        cnt: dict[str, int] = {}
        ents = [[self._entry(t) for t in toks] for toks in sents]
        for es in ents:
            ng = self.news_matches([e[2] for e in es]) if self.news else None
            if ngs is not None:
                ngs.append(ng)
            for i, e in enumerate(es):
                if not e[4]:
                    continue
                b = e[2]
                cnt[b] = cnt.get(b, 0) + 1
                c = ctx.get(b)
                if c is None:
                    c = ctx[b] = set()
                if i:
                    p = es[i - 1]
                    c.update(p[3])
                    if i > 1 and p[2].startswith("ال"):
                        c.update(x + "2" for x in es[i - 2][3])
                if ng and ng[i]:
                    for x in ng[i]:
                        if x.startswith("ng=B"):
                            c.add("n" + x[4:])
        by_base: dict[str, list[str]] = {}
        for b, c in ctx.items():
            f = ["dc=" + x for x in sorted(c)]
            if cnt[b] > 1:
                f.append("drep")
            by_base[b] = f
        return [[by_base.get(e[2], []) if e[4] else [] for e in es] for es in ents]

    def stack_feats(
        self, sents: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]
    ) -> list[list[list[str]]]:
        """Second-pass (stacking) features from first-pass labels: own and neighbouring labels,
        and how the same word (clitic-split base) was labelled elsewhere in the document."""
        ents = [[self._entry(t)[2] for t in toks] for toks in sents]
        doc: dict[str, dict[str, int]] = {}
        for bs, ts in zip(ents, tags, strict=True):
            for b, t in zip(bs, ts, strict=True):
                if len(b) >= 2 and ARABIC.match(b):
                    d = doc.setdefault(b, {})
                    y = t[2:] if t != "O" else "O"
                    d[y] = d.get(y, 0) + 1
        out = []
        for bs, ts in zip(ents, tags, strict=True):
            n = len(ts)
            cur = []
            for i, (b, t) in enumerate(zip(bs, ts, strict=True)):
                f = [
                    "p=" + t,
                    "p-1=" + (ts[i - 1] if i else "BOS"),
                    "p+1=" + (ts[i + 1] if i + 1 < n else "EOS"),
                ]
                seen = doc.get(b)
                if seen:
                    own = t[2:] if t != "O" else "O"
                    others = {y: c - (y == own) for y, c in seen.items() if c - (y == own) > 0}
                    if others:
                        ent = {y: c for y, c in others.items() if y != "O"}
                        tot = sum(others.values())
                        if ent:
                            y = max(sorted(ent.items()), key=lambda kv: kv[1])[0]
                            f.append("dl=" + y)
                            f.append("dl=" + y + ("+" if 2 * sum(ent.values()) >= tot else "-"))
                        else:
                            f.append("dl=O")
                cur.append(f)
            out.append(cur)
        return out

    def sent_feats(self, toks: Sequence[str], ng: list[list[str]] | bool | None = False) -> list[list[str]]:
        entries = [self._entry(t) for t in toks]
        n = len(toks)
        if ng is False:
            ng = self.news_matches([e[2] for e in entries]) if self.news else None
        matches = ng if isinstance(ng, list) else None
        out = []
        for i in range(n):
            f = ["bias", *entries[i][0]]
            if matches and matches[i]:
                f += matches[i]
            if i == 0:
                f.append("BOS")
            else:
                f += entries[i - 1][1][-1]
                if i > 1:
                    f += entries[i - 2][1][-2]
            if i == n - 1:
                f.append("EOS")
            else:
                f += entries[i + 1][1][1]
                if i < n - 2:
                    f += entries[i + 2][1][2]
            out.append(f)
        return out
