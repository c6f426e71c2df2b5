"""Known-item relevance: MRR@10 and recall@10 of three analysis setups, side by side, on real articles.

A few thousand articles of the topic-classification corpus (``--corpus``, default
../shared/data/topics/train.jsonl, read in place, never copied) are indexed three times into the
local Elasticsearch node:

- ``standard``: ES's ``standard`` analyzer on title and body;
- ``arabic``: ES's built-in ``arabic`` analyzer rebuilt from its components (lowercase,
  decimal_digit, stop ``_arabic_``, arabic_normalization, arabic_stem; keyword_marker only matters
  with stem exclusions, of which there are none);
- ``akhbar``: our index design (services/indexer/index_design.py) queried with our query builder
  (services/indexer/search.py).

For a few hundred of the articles a query is generated from the title, the way people type it: a
window of 2–5 title words with one or two realistic changes (hamza dropped, ة↔ه, ى↔ي, tanwin dropped,
ال added or removed, و/ب/ل/لل/بال added or removed, plural or suffix changed, digits in the other script). The
article the title came from is the one right answer. The baselines get a plain OR ``multi_match``
over ``title^3`` and ``body``; ours gets exactly what ``python -m indexer search`` sends (text part).
Deterministic for a given ``--seed``; indices are uniquely named and deleted afterwards.

    .venv/bin/python bench/relevance.py [--docs 3000] [--queries 400] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch, helpers

from akhbar.arabic import normalize_arabic
from akhbar.messages import EnrichedArticle, LanguageGuess, article_id
from akhbar.settings import CommonSettings
from indexer.documents import to_document
from indexer.index_design import ANALYSIS, MAPPINGS
from indexer.search import text_query

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "topics" / "train.jsonl"
K = 10

# --- the three setups ----------------------------------------------------------------------------------

BUILTIN_ARABIC: dict[str, Any] = {
    "filter": {"b_arabic_stop": {"type": "stop", "stopwords": "_arabic_"}},
    "analyzer": {
        "b_arabic": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["lowercase", "decimal_digit", "b_arabic_stop", "arabic_normalization", "arabic_stem"],
        }
    },
}


def _plain_mapping(analyzer: str) -> dict[str, Any]:
    return {
        "dynamic": "strict",
        "properties": {
            "id": {"type": "keyword"},
            "title": {"type": "text", "analyzer": analyzer},
            "body": {"type": "text", "analyzer": analyzer},
        },
    }


def _baseline_query(text: str) -> dict[str, Any]:
    return {
        "multi_match": {
            "query": text,
            "type": "best_fields",
            "fields": ["title^3", "body"],
            "tie_breaker": 0.3,
        }
    }


@dataclass
class Setup:
    name: str
    analysis: dict[str, Any]
    mappings: dict[str, Any]
    query: Callable[[str], dict[str, Any]]
    document: Callable[[Article], dict[str, Any]]


@dataclass
class Article:
    key: str
    title: str
    body: str
    source: str
    url: str
    label: str

    @property
    def id(self) -> str:
        return article_id(self.url)


def _plain_document(a: Article) -> dict[str, Any]:
    return {"id": a.id, "title": a.title, "body": a.body}


def _akhbar_document(a: Article) -> dict[str, Any]:
    enriched = EnrichedArticle(
        id=a.id,
        url=a.url,
        source=a.source,
        title=a.title,
        body=a.body,
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
        revision=1,
        language=LanguageGuess(code="ar", script="Arab", confidence=1.0),
    )
    return to_document(enriched)


SETUPS: list[Setup] = [
    Setup("standard", {}, _plain_mapping("standard"), _baseline_query, _plain_document),
    Setup("arabic", BUILTIN_ARABIC, _plain_mapping("b_arabic"), _baseline_query, _plain_document),
    Setup("akhbar", ANALYSIS, MAPPINGS, text_query, _akhbar_document),
]

# --- corpus and queries ----------------------------------------------------------------------------------

_WORD = re.compile(r"[\w\u0600-\u06ff]+")
_EDGE_PUNCT = re.compile(r"^[^\w\u0600-\u06ff]+|[^\w\u0600-\u06ff]+$")
_ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_WESTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
# Function words a person leaves out of a query (Lucene's Arabic stopwords would drop them anyway).
_FUNCTION_WORDS = set(
    normalize_arabic(w)
    for w in [
        "في",
        "من",
        "على",
        "إلى",
        "عن",
        "مع",
        "أن",
        "إن",
        "هذا",
        "هذه",
        "ذلك",
        "التي",
        "الذي",
        "بعد",
        "قبل",
        "بين",
        "حول",
        "خلال",
        "عند",
        "لدى",
        "أو",
        "ثم",
        "كل",
    ]
)


def words_of(text: str) -> list[str]:
    """Whitespace words with edge punctuation cut (40.3 and 2018/2019 stay whole, as people type them)."""
    out = [_EDGE_PUNCT.sub("", w) for w in text.split()]
    return [w for w in out if w]


def read_corpus(path: Path) -> list[str]:
    # split("\n"), not splitlines(): titles carry U+2028 and friends inside the JSON strings
    return [ln for ln in path.read_text(encoding="utf-8").split("\n") if ln.strip()]


def vocabulary(lines: list[str]) -> set[str]:
    """Every word form of the corpus: a generated variant must be a form real articles use."""
    vocab: set[str] = set()
    for line in lines:
        vocab.update(_WORD.findall(json.loads(line)["text"]))
    return vocab


def load_articles(lines: list[str], n: int, rng: random.Random) -> list[Article]:
    order = list(range(len(lines)))
    rng.shuffle(order)
    seen: set[str] = set()
    out: list[Article] = []
    for i in order:
        row = json.loads(lines[i])
        title, _, body = row["text"].strip().partition("\n")
        title, body = title.strip(), body.strip()
        norm = normalize_arabic(title)
        if len(words_of(title)) < 3 or len(body) < 200 or norm in seen:
            continue
        seen.add(norm)
        out.append(
            Article(row["id"], title, body, row.get("source", "corpus"), row["url"], row.get("label", ""))
        )
        if len(out) >= n:
            break
    return out


_HAMZA_DROPPED = str.maketrans("أإآؤئ", "اااوي")


def _hamza(w: str) -> str | None:
    v = w.translate(_HAMZA_DROPPED)
    return v if v != w else None


def _ta_marbuta(w: str) -> str | None:
    if w.endswith("ة"):
        return w[:-1] + "ه"
    if w.endswith("ه") and len(w) > 3:
        return w[:-1] + "ة"
    return None


def _alef_maqsura(w: str) -> str | None:
    if w.endswith("ى"):
        return w[:-1] + "ي"
    if w.endswith("ي") and len(w) > 3:
        return w[:-1] + "ى"
    return None


def _article(w: str) -> str | None:
    if w.startswith("ال") and len(w) >= 5:
        return w[2:]
    if len(w) >= 3 and not w.startswith(("ال", "و", "ب", "ل", "ف", "ك")) and not w.isdigit():
        return "ال" + w
    return None


def _proclitic(w: str, rng: random.Random) -> str | None:
    for stack in ("وبال", "وال", "بال", "لل", "فال"):
        if w.startswith(stack) and len(w) - len(stack) >= 3:
            return "ال" + w[len(stack) :] if stack != "لل" else "ال" + w[2:]
    if w.startswith(("و", "ب")) and len(w) >= 5 and rng.random() < 0.3:
        return w[1:]
    if w.isdigit():
        return None
    if w.startswith("ال"):
        return rng.choice(["و", "ب", "ف"]) + w if rng.random() < 0.6 else "لل" + w[2:]
    return rng.choice(["و", "ب", "ل"]) + w if len(w) >= 3 else None


_SUFFIX_SWAPS = (("ات", "ة"), ("ون", "ين"), ("ين", "ون"), ("ية", "ي"), ("ة", "ات"), ("ي", "ية"), ("ان", "ين"))


def _suffix(w: str) -> str | None:
    if len(w) < 5 or w.isdigit():
        return None
    for old, new in _SUFFIX_SWAPS:
        if w.endswith(old):
            return w[: -len(old)] + new
    return None


def _tanwin(w: str) -> str | None:
    """Drop the accusative ending people leave out when typing (وفداً → وفد)."""
    for ending in ("اً", "ًا"):
        if w.endswith(ending) and len(w) >= 5:
            return w[: -len(ending)]
    return None


def _digits(w: str) -> str | None:
    if any(c.isdigit() for c in w):
        v = w.translate(_ARABIC_DIGITS)
        return v if v != w else w.translate(_WESTERN_DIGITS)
    return None


VARIATIONS: dict[str, Callable[[str, random.Random], str | None]] = {
    "hamza": lambda w, r: _hamza(w),
    "ta_marbuta": lambda w, r: _ta_marbuta(w),
    "alef_maqsura": lambda w, r: _alef_maqsura(w),
    "article": lambda w, r: _article(w),
    "proclitic": _proclitic,
    "suffix": lambda w, r: _suffix(w),
    "digits": lambda w, r: _digits(w),
    "tanwin": lambda w, r: _tanwin(w),
}


_SPELLING = {"hamza", "ta_marbuta", "alef_maqsura", "digits"}


@dataclass
class Query:
    text: str
    target: str
    kinds: list[str] = field(default_factory=list)


def make_query(article: Article, rng: random.Random, vocab: set[str]) -> Query | None:
    words = [w for w in words_of(article.title) if normalize_arabic(w) not in _FUNCTION_WORDS]
    if len(words) < 2:
        return None
    length = min(len(words), rng.choice([2, 3, 3, 4, 4, 5]))
    start = rng.randrange(0, len(words) - length + 1)
    window = words[start : start + length]
    wanted = 1 if rng.random() < 0.6 else 2
    kinds: list[str] = []
    positions = list(range(len(window)))
    rng.shuffle(positions)
    for pos in positions:
        options = list(VARIATIONS.items())
        rng.shuffle(options)
        for kind, vary in options:
            changed = vary(window[pos], rng)
            # spelling slips (hamza, ة/ه, ى/ي, digits) are always plausible; a changed word form
            # (article, proclitic, suffix) only if real articles use it
            attested = kind in _SPELLING or changed in vocab
            if changed and changed != window[pos] and attested:
                window[pos] = changed
                kinds.append(kind)
                break
        if len(kinds) >= wanted:
            break
    if not kinds:
        return None
    return Query(" ".join(window), article.id, kinds)


def make_queries(articles: list[Article], n: int, rng: random.Random, vocab: set[str]) -> list[Query]:
    picks = rng.sample(articles, min(len(articles), n * 2))
    out: list[Query] = []
    for a in picks:
        q = make_query(a, rng, vocab)
        if q is not None:
            out.append(q)
        if len(out) >= n:
            break
    return out


# --- evaluation ----------------------------------------------------------------------------------------


def index_setup(es: Elasticsearch, setup: Setup, articles: list[Article], name: str) -> None:
    settings: dict[str, Any] = {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "-1"}
    if setup.analysis:
        settings["analysis"] = setup.analysis
    es.indices.create(index=name, settings=settings, mappings=setup.mappings)

    def actions() -> Iterator[dict[str, Any]]:
        for a in articles:
            yield {"_index": name, "_id": a.id, "_source": setup.document(a)}

    helpers.bulk(es, actions(), chunk_size=500)
    es.indices.refresh(index=name)


def ranks(es: Elasticsearch, setup: Setup, index: str, queries: list[Query]) -> list[int | None]:
    out: list[int | None] = []
    for chunk in range(0, len(queries), 50):
        batch = queries[chunk : chunk + 50]
        searches: list[dict[str, Any]] = []
        for q in batch:
            searches += [{"index": index}, {"query": setup.query(q.text), "size": K, "_source": False}]
        answers = es.msearch(searches=searches)["responses"]
        for q, answer in zip(batch, answers, strict=True):
            if "error" in answer:
                raise RuntimeError(f"{setup.name}: {answer['error']}")
            ids = [h["_id"] for h in answer["hits"]["hits"]]
            out.append(ids.index(q.target) + 1 if q.target in ids else None)
    return out


def mrr(rs: list[int | None]) -> float:
    return sum(1 / r for r in rs if r) / len(rs) if rs else 0.0


def recall(rs: list[int | None]) -> float:
    return sum(1 for r in rs if r) / len(rs) if rs else 0.0


@dataclass
class Result:
    setup: str
    mrr: float
    recall: float
    per_kind: dict[str, float]


def evaluate(
    es: Elasticsearch, articles: list[Article], queries: list[Query], setups: list[Setup] = SETUPS
) -> list[Result]:
    results: list[Result] = []
    run = uuid.uuid4().hex[:8]
    for setup in setups:
        name = f"bench-relevance-{setup.name}-{run}"
        try:
            index_setup(es, setup, articles, name)
            rs = ranks(es, setup, name, queries)
        finally:
            es.indices.delete(index=name, ignore_unavailable=True)
        kinds: dict[str, list[int | None]] = defaultdict(list)
        for q, r in zip(queries, rs, strict=True):
            for k in set(q.kinds):
                kinds[k].append(r)
        results.append(Result(setup.name, mrr(rs), recall(rs), {k: mrr(v) for k, v in sorted(kinds.items())}))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="JSONL with text/id/url/source")
    parser.add_argument("--docs", type=int, default=3000, help="articles to index")
    parser.add_argument("--queries", type=int, default=400, help="known-item queries to generate")
    parser.add_argument("--seed", type=int, default=7, help="sampling and variation seed")
    parser.add_argument(
        "--es",
        default=CommonSettings().elasticsearch_url,
        help="Elasticsearch URL (default: ELASTICSEARCH_URL)",
    )
    parser.add_argument("--show", type=int, default=0, help="print N sample queries")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.perf_counter()
    lines = read_corpus(args.corpus)
    articles = load_articles(lines, args.docs, rng)
    queries = make_queries(articles, args.queries, rng, vocabulary(lines))
    es = Elasticsearch(args.es, request_timeout=120)
    results = evaluate(es, articles, queries)
    kinds: dict[str, int] = defaultdict(int)
    for q in queries:
        for k in set(q.kinds):
            kinds[k] += 1
    print(f"known-item relevance: {len(articles)} articles, {len(queries)} queries, seed {args.seed}")
    print(f"{'setup':<10} {'MRR@10':>8} {'recall@10':>10}")
    for r in results:
        print(f"{r.setup:<10} {r.mrr:>8.3f} {r.recall:>10.3f}")
    print("\nMRR@10 by variation in the query (a query can carry two):")
    print(f"{'variation':<14} {'queries':>7} " + " ".join(f"{r.setup:>9}" for r in results))
    for kind in sorted(kinds):
        print(f"{kind:<14} {kinds[kind]:>7} " + " ".join(f"{r.per_kind.get(kind, 0):>9.3f}" for r in results))
    for q in queries[: args.show]:
        print(f"  {q.text}  [{', '.join(q.kinds)}]")
    print(
        f"\n({time.perf_counter() - started:.0f} s) rerun: .venv/bin/python bench/relevance.py "
        f"--docs {args.docs} --queries {args.queries} --seed {args.seed}"
    )
    best = max(results, key=lambda r: r.mrr)
    return 0 if best.setup == "akhbar" else 1


if __name__ == "__main__":
    sys.exit(main())
