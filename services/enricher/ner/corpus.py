"""Labelled NER data and the evaluation protocol shared by training, evaluation and benchmarks.

Splits of ANERcorp's ``train.conll`` (decision D10; never change them, or every figure before
becomes incomparable):

* **frozen test** = the last sixth of the file in file (document) order, cut the way the
  published CAMeL split cuts the corpus: the sentences that hold the first 5/6 of the tokens are
  the *development part*, the rest is the frozen test. Nothing is tuned on it; only aggregate
  scores of a candidate one would ship are computed on it (``scripts/eval_ner.py --part frozen``).
* **dev** = the last 10 % of the development part's sentences; **train** = the rest of it.
* **CV** = blocked k-fold over the development part (contiguous blocks, so articles stay together).

Scoring goes through production: sentences are grouped into documents of ``DOC_SENTS``
consecutive sentences, written as one article body (a line per sentence, tokens joined by a
space), enriched by ``ArticleEnricher.enrich``, and the body mentions are matched to the gold
chunks by character offsets (exact span and type).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from enricher.ner.tokens import ENTITY_TYPES, iob_chunks

if TYPE_CHECKING:
    from enricher.enrich import ArticleEnricher

Sentence = list[tuple[str, str]]
DOC_SENTS = 10
FROZEN_FRACTION = 1 / 6
DEV_FRACTION = 0.10


def read_conll(path: Path) -> list[Sentence]:
    """``token<TAB>tag`` lines, a blank line between sentences."""
    sents: list[Sentence] = []
    cur: Sentence = []
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


def frozen_cut(sents: Sequence[Sentence]) -> int:
    """Index of the first frozen-test sentence: every sentence that starts within the first 5/6
    of the tokens belongs to the development part (CAMeL change 5 applied to train.conll)."""
    total = sum(map(len, sents))
    limit = total * (1 - FROZEN_FRACTION)
    seen = 0
    for i, s in enumerate(sents):
        if seen >= limit:
            return i
        seen += len(s)
    return len(sents)


def splits(sents: Sequence[Sentence]) -> dict[str, list[Sentence]]:
    """``train``, ``dev``, ``development`` (= train + dev) and ``frozen`` parts of train.conll."""
    cut = frozen_cut(sents)
    devel = list(sents[:cut])
    d = int(len(devel) * (1 - DEV_FRACTION))
    return {"train": devel[:d], "dev": devel[d:], "development": devel, "frozen": list(sents[cut:])}


def cv_blocks(n: int, k: int) -> list[tuple[int, int]]:
    """(start, end) of k contiguous blocks over n sentences."""
    bounds = [round(i * n / k) for i in range(k + 1)]
    return list(pairwise(bounds))


def documents(sents: Sequence[Sentence], size: int = DOC_SENTS) -> list[list[Sentence]]:
    return [list(sents[i : i + size]) for i in range(0, len(sents), size)]


Chunk = tuple[str, int, int]


def _body_and_gold(doc: Sequence[Sentence]) -> tuple[str, set[Chunk]]:
    """The article body of a document and its gold entities as (type, start char, end char)."""
    lines: list[str] = []
    gold: set[Chunk] = set()
    pos = 0
    for s in doc:
        starts = []
        p = pos
        for tok, _ in s:
            starts.append(p)
            p += len(tok) + 1
        for typ, a, b in iob_chunks([t for _, t in s]):
            gold.add((typ, starts[a], starts[b - 1] + len(s[b - 1][0])))
        lines.append(" ".join(t for t, _ in s))
        pos = p  # the line's trailing space is the newline
    return "\n".join(lines), gold


class Tally:
    """True/false positives and false negatives per type."""

    def __init__(self) -> None:
        self.tp: Counter[str] = Counter()
        self.fp: Counter[str] = Counter()
        self.fn: Counter[str] = Counter()

    def add(self, gold: Iterable[Chunk], pred: Iterable[Chunk]) -> None:
        g, q = set(gold), set(pred)
        for c in g & q:
            self.tp[c[0]] += 1
        for c in q - g:
            self.fp[c[0]] += 1
        for c in g - q:
            self.fn[c[0]] += 1

    def scores(self) -> dict[str, dict[str, float]]:
        res: dict[str, dict[str, float]] = {}
        for t in (*ENTITY_TYPES, "ALL"):
            a = sum(self.tp.values()) if t == "ALL" else self.tp[t]
            b = sum(self.fp.values()) if t == "ALL" else self.fp[t]
            c = sum(self.fn.values()) if t == "ALL" else self.fn[t]
            p = a / (a + b) if a + b else 0.0
            r = a / (a + c) if a + c else 0.0
            f = 2 * p * r / (p + r) if p + r else 0.0
            res[t] = {"P": round(p, 4), "R": round(r, 4), "F1": round(f, 4), "gold": a + c, "pred": a + b}
        return res


def evaluate(enricher: ArticleEnricher, sents: Sequence[Sentence], tally: Tally | None = None) -> Tally:
    """Score ``sents`` through ``ArticleEnricher.enrich`` on documents of ``DOC_SENTS`` sentences."""
    from akhbar.messages import RawArticle, article_id

    tally = tally or Tally()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for k, doc in enumerate(documents(sents)):
        body, gold = _body_and_gold(doc)
        url = f"https://eval.example.org/{k}"
        raw = RawArticle(
            id=article_id(url), url=url, source="eval", title="", body=body, fetched_at=now, revision=1
        )
        out = enricher.enrich(raw)
        tally.add(gold, {(m.type, m.start, m.end) for m in out.mentions if m.field == "body"})
    return tally


def format_scores(res: dict[str, dict[str, float]]) -> str:
    lines = [f"{'type':5} {'P':>7} {'R':>7} {'F1':>7} {'gold':>6} {'pred':>6}"]
    for t, v in res.items():
        lines.append(f"{t:5} {v['P']:7.4f} {v['R']:7.4f} {v['F1']:7.4f} {v['gold']:6.0f} {v['pred']:6.0f}")
    return "\n".join(lines)


# ---------------------------------------------------------------- NewsFANE as extra training data
_PROCLITICS = frozenset({"و", "ف", "ب", "ل", "ك"})
_ENCLITICS = frozenset({"ه", "ها", "هم", "هما", "هن", "كم", "كما", "نا", "ي", "ني"})
_GROUP_ENDINGS = ("يين", "يون", "يه", "ي")
_WORDS: dict[str, frozenset[str]] = {}


def _is_word(tok: str) -> bool:
    return bool(tok) and "\u0621" <= tok[0] <= "\u064a"


def _corpus_words() -> dict[str, frozenset[str]]:
    from enricher.ner.tokens import feat_norm

    if not _WORDS:
        raw = json.loads((Path(__file__).resolve().parent / "data" / "corpus_words.json").read_text("utf-8"))
        _WORDS.update({k: frozenset(feat_norm(w) for w in v) for k, v in raw.items() if k != "_doc"})
    return _WORDS


def _group_word(tok: str) -> bool:
    """A nationality or group name (العرب, المسلمين, الاكراد): MISC in NewsFANE, O in ANERcorp."""
    from enricher.ner.tokens import feat_norm

    n = feat_norm(tok)
    return (
        n.endswith(_GROUP_ENDINGS)
        or (n.startswith("ال") and n.endswith(("ين", "ون")))
        or n in _corpus_words()["newsfane_groups"]
    )


def _strip_proclitics(n: str) -> str:
    """A matching form without و/ف, and without ب/ل/ك before the article (``لل`` -> ``ال``):
    ``والمسلمين`` -> ``المسلمين``, ``وبطولة`` -> ``بطولة``."""
    if len(n) > 3 and n[0] in "وف":
        n = n[1:]
    if len(n) > 3 and n.startswith("لل"):
        return "ا" + n[1:]
    if len(n) > 4 and n[0] in "بك" and n[1:3] == "ال":
        n = n[1:]
    return n


def _group_mention(tok: str, misc_words: frozenset[str]) -> bool:
    """A one-word NewsFANE MISC that is a group (nationality, ethnic or religious group): ANERcorp
    leaves those O. Besides ``_group_word``, with clitics (``والمسلمين``, ``لليهود``) and definite
    broken plurals (``الروس``, ``الالمان``); a word ANERcorp's training part tags MISC stays MISC."""
    from enricher.ner.tokens import feat_norm

    n = feat_norm(tok)
    base = _strip_proclitics(n)
    if n in misc_words or base in misc_words:
        return False
    return _group_word(tok) or _group_word(base) or base.startswith("ال")


def _nisba(tok: str) -> bool:
    from enricher.ner.tokens import feat_norm

    n = feat_norm(tok)
    return n.startswith("ال") and len(n) > 4 and n.endswith(("ي", "يه", "يين", "يون"))


def _map_chunks(
    res: list[list[str]], misc_words: frozenset[str], misc_phrases: frozenset[tuple[str, ...]]
) -> None:
    """NewsFANE chunk conventions -> ANERcorp's (in place)."""
    from enricher.ner.tokens import feat_norm

    words = _corpus_words()
    tags = [t for _, t in res]
    for typ, a, b in iob_chunks(tags):
        head = feat_norm(res[a][0])
        if typ == "MISC" and b - a == 1 and _group_mention(res[a][0], misc_words):
            res[a][1] = "O"  # nationalities and groups
        elif typ == "LOC" and b - a >= 2 and head in words["facility_heads"]:
            # a facility (مطار دالاس, مركز التجارة العالمي): ANERcorp tags only a place name in it
            keep = not feat_norm(res[a + 1][0]).startswith("ال")
            for x in range(a, b):
                res[x][1] = "O" if x == a or not keep else ("B-LOC" if x == a + 1 else "I-LOC")
        elif typ == "ORG" and head in words["team_heads"]:
            # a national team (منتخب هولندا): ANERcorp tags the country
            place = b - a >= 2 and not _nisba(res[a + 1][0])
            for x in range(a, b):
                res[x][1] = "O" if x == a or not place else ("B-LOC" if x == a + 1 else "I-LOC")
        elif typ == "ORG" and head in words["force_heads"] and all(_nisba(r[0]) for r in res[a + 1 : b]):
            for x in range(a, b):  # الجيش الأميركي, الشرطة البريطانية: O in ANERcorp
                res[x][1] = "O"
    if misc_phrases:  # ANERcorp's multi-word MISC (events, works) NewsFANE leaves O
        norm = [feat_norm(r[0]) for r in res]
        longest = max(map(len, misc_phrases))
        i = 0
        while i < len(res):
            for ln in range(min(longest, len(res) - i), 1, -1):
                key = tuple(norm[i : i + ln])
                bare = (_strip_proclitics(key[0]), *key[1:])  # وبطولة العالم
                if (key in misc_phrases or bare in misc_phrases) and all(
                    r[1] == "O" for r in res[i : i + ln]
                ):
                    for x in range(i, i + ln):
                        res[x][1] = "I-MISC" if x > i else "B-MISC"
                    i += ln - 1
                    break
            i += 1
    if misc_words:  # ANERcorp's one-word MISC (religions, prizes, currencies) NewsFANE leaves O
        for k, r in enumerate(res):
            n = feat_norm(r[0])
            if r[1] == "O" and (n in misc_words or _strip_proclitics(n) in misc_words):
                r[1] = "B-MISC"
                if k + 1 < len(res) and res[k + 1][1].startswith("I-"):
                    res[k + 1][1] = "B-" + res[k + 1][1][2:]


def anercorp_misc_vocabulary(
    sents: Sequence[Sentence], min_count: int = 2, min_ratio: float = 0.6
) -> tuple[frozenset[str], frozenset[tuple[str, ...]]]:
    """What ANERcorp ``sents`` tag MISC, in matching form: words that are a whole one-word MISC
    chunk in >= ``min_ratio`` of their occurrences (``دولار``, ``الاسلام``, ``نوبل``; not ``بطولة``,
    the head of longer MISC chunks), and multi-word MISC chunks seen >= ``min_count`` times
    (``الحرب العالمية الاولى``)."""
    from enricher.ner.tokens import feat_norm

    seen: Counter[str] = Counter()
    alone: Counter[str] = Counter()
    phrases: Counter[tuple[str, ...]] = Counter()
    for s in sents:
        norm = [feat_norm(t) for t, _ in s]
        seen.update(norm)
        for typ, a, b in iob_chunks([t for _, t in s]):
            if typ != "MISC":
                continue
            if b - a == 1:
                alone[norm[a]] += 1
            else:
                phrases[tuple(norm[a:b])] += 1
    words = frozenset(w for w, c in alone.items() if c >= min_count and c >= min_ratio * seen[w])
    return words, frozenset(p for p, c in phrases.items() if c >= min_count)


def newsfane_to_anercorp(
    sents: Sequence[Sentence],
    misc_words: frozenset[str] = frozenset(),
    misc_phrases: frozenset[tuple[str, ...]] = frozenset(),
) -> list[Sentence]:
    """NewsFANE sentences in ANERcorp's conventions: ATB-style clitics re-joined to their word
    (``و الصادرات`` -> ``والصادرات``, ``ل الامم`` -> ``للامم``, ``ان ه`` -> ``انه``; the word's tag
    wins), and one-word group / nationality MISC (العرب, المسلمين, الاسرائيليين) turned to O, as
    ANERcorp mostly leaves them; vehicles and products stay MISC. Facilities (مطار دالاس) keep only
    their place name as LOC, national teams (منتخب هولندا) become the country, armies and police
    with a nisba (الجيش الأميركي) O; ``misc_words`` / ``misc_phrases`` (what ANERcorp's training
    part tags MISC, ``anercorp_misc_vocabulary``) left O by NewsFANE become MISC."""
    out: list[Sentence] = []
    for s in sents:
        # 1. enclitics join the word before them
        joined: list[list[str]] = []
        for tok, tag in s:
            inside = tag == "O" or (tag.startswith("I-") and bool(joined) and joined[-1][1][2:] == tag[2:])
            if tok in _ENCLITICS and inside and joined and _is_word(joined[-1][0]):
                prev = joined[-1][0]  # حارة + نا -> حارتنا
                joined[-1][0] = (prev[:-1] + "ت" if prev.endswith("ة") else prev) + tok
            else:
                joined.append([tok, tag])
        # 2. proclitics join the word after them (و ب X -> وبX)
        res: list[list[str]] = []
        pending: list[list[str]] = []
        for k, (tok, tag) in enumerate(joined):
            nxt = joined[k + 1][1] if k + 1 < len(joined) else "O"
            if tok in _PROCLITICS and (tag == "O" or (tag.startswith("I-") and nxt == tag)):
                pending.append([tok, tag])
                continue
            if pending and _is_word(tok):
                pre = "".join(p[0] for p in pending)
                # ل + الامم -> للامم
                tok = pre + tok[1:] if pre.endswith("ل") and tok.startswith("ال") else pre + tok
            else:
                res.extend(pending)
            pending = []
            res.append([tok, tag])
        res.extend(pending)
        # 3. chunk conventions (groups, facilities, national teams, forces; ANERcorp's MISC words)
        _map_chunks(res, misc_words, misc_phrases)
        # a chunk whose first token was a clitic now starts with I-: make it B-
        prev = "O"
        for r in res:
            if r[1].startswith("I-") and prev[2:] != r[1][2:]:
                r[1] = "B-" + r[1][2:]
            prev = r[1]
        out.append([(t, y) for t, y in res])
    return out
