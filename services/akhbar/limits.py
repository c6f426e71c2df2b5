"""The size policy: one maximum for a message on the wire, enforced where messages are made.

``CommonSettings.max_message_bytes`` (``AKHBAR_MAX_MESSAGE_BYTES``, 1 MiB by default)
bounds the *uncompressed* JSON value of every message on every Akhbar topic:

- topics are created with ``max.message.bytes`` and producers with ``max_request_size``
  of that plus :data:`KAFKA_OVERHEAD_BYTES` (record and batch headers, the key), so a
  message that obeys the policy is never refused by the client or the broker;
- the fetcher keeps a raw article within :func:`raw_article_budget` (three quarters of
  the maximum): the body is cut at a paragraph or word boundary, the article is flagged
  ``truncated`` with ``original_body_chars`` (see docs/decisions.md, D11);
- the enricher bounds what it adds (:data:`MAX_MENTIONS`, :data:`MAX_ENTITIES`) and,
  should an enriched article still not fit, cuts the body the same way;
- a dead letter whose original cannot be carried whole keeps a prefix with the
  original's size and SHA-256 (``DeadLetter.bounded``), so a dead-letter send never
  fails for size.
"""

from __future__ import annotations

from typing import TypeVar

from akhbar.messages import EnrichedArticle, RawArticle, encode

KAFKA_OVERHEAD_BYTES = 64 * 1024
RAW_SHARE = 0.75  # of max_message_bytes; the rest is room for language, entities and topics
MAX_MENTIONS = 1000  # entity mentions kept per article (first ones, in document order)
MAX_ENTITIES = 300  # entity summaries kept per article (most mentioned first)
MAX_TITLE_CHARS = 2000
MAX_TAGS = 100

A = TypeVar("A", bound=RawArticle)


def kafka_limit(max_message_bytes: int) -> int:
    """``max.message.bytes`` for topics and ``max_request_size`` for producers."""
    return max_message_bytes + KAFKA_OVERHEAD_BYTES


def raw_article_budget(max_message_bytes: int) -> int:
    return int(max_message_bytes * RAW_SHARE)


def encoded_size(article: RawArticle) -> int:
    return len(encode(article))


def _cut_text(text: str, chars: int) -> str:
    """``text`` cut to at most ``chars`` characters, at a paragraph or word boundary when close."""
    if len(text) <= chars:
        return text
    head = text[:chars]
    for sep in ("\n", " "):
        at = head.rfind(sep)
        if at >= chars * 0.9:
            return head[:at].rstrip()
    return head


def _with_body(article: A, body: str, original_chars: int) -> A:
    kept: list[str] = []
    used = 0
    for para in article.paragraphs:
        if used + len(para) > len(body):
            break
        kept.append(para)
        used += len(para) + 1
    return article.model_copy(
        update={
            "body": body,
            "paragraphs": kept,
            "truncated": True,
            "original_body_chars": original_chars,
        }
    )


def fit_article(article: A, max_bytes: int) -> A:
    """The article itself when its JSON fits ``max_bytes``, else a copy whose body is cut to fit.

    Deterministic (the same input gives the same cut), so a replay stays byte-identical.
    Title and tags are bounded first; the body is then cut by bisection on its length.
    """
    if encoded_size(article) <= max_bytes:
        return article
    if len(article.title) > MAX_TITLE_CHARS or len(article.tags) > MAX_TAGS:
        article = article.model_copy(
            update={"title": _cut_text(article.title, MAX_TITLE_CHARS), "tags": article.tags[:MAX_TAGS]}
        )
    original = article.original_body_chars or len(article.body)
    empty = _with_body(article, "", original)
    if encoded_size(empty) > max_bytes:
        raise ValueError(f"even without its body the article takes {encoded_size(empty)} > {max_bytes} bytes")
    lo, hi = 0, len(article.body)
    while lo < hi:  # longest prefix that fits
        mid = (lo + hi + 1) // 2
        if encoded_size(_with_body(article, article.body[:mid], original)) <= max_bytes:
            lo = mid
        else:
            hi = mid - 1
    return _with_body(article, _cut_text(article.body, lo), original)


def bound_enriched(article: EnrichedArticle, max_bytes: int) -> EnrichedArticle:
    """Entity lists bounded always; if the JSON is still too large, fewer mentions, then a shorter body."""
    if len(article.mentions) > MAX_MENTIONS or len(article.entities) > MAX_ENTITIES:
        article = article.model_copy(
            update={
                "mentions": article.mentions[:MAX_MENTIONS],
                "entities": sorted(article.entities, key=lambda e: -e.count)[:MAX_ENTITIES],
            }
        )
    if encoded_size(article) <= max_bytes:
        return article
    without_mentions = article.model_copy(update={"mentions": []})
    if encoded_size(without_mentions) <= max_bytes:  # the mentions are what is too much: keep fewer
        mentions = list(article.mentions)
        while encoded_size(article) > max_bytes:
            mentions = mentions[: len(mentions) // 2]
            article = article.model_copy(update={"mentions": mentions})
        return article
    while True:  # the body is too long: cut it, keeping the mentions that still point into it
        try:
            article = fit_article(article, max_bytes)
            break
        except ValueError:  # the mentions alone do not fit beside an empty body
            article = article.model_copy(update={"mentions": article.mentions[: len(article.mentions) // 2]})
    kept = [m for m in article.mentions if m.field != "body" or m.end <= len(article.body)]
    return article.model_copy(update={"mentions": kept})
