"""The size policy (akhbar.limits): what is cut, how it is flagged, and that dead letters always fit."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from akhbar.kafka import DeadLetterPublisher
from akhbar.limits import MAX_MENTIONS, bound_enriched, fit_article, kafka_limit, raw_article_budget
from akhbar.messages import (
    DeadLetter,
    EnrichedArticle,
    Entity,
    LanguageGuess,
    RawArticle,
    Stage,
    decode,
    encode,
)

PARA = "قال وزير الخارجية إن المحادثات بين الجانبين تناولت ملف المياه والطاقة والتعاون الإقليمي"


def article(paragraphs: int) -> RawArticle:
    paras = [f"{PARA} {i}" for i in range(paragraphs)]
    return RawArticle(
        id="a" * 32,
        url="https://news.example.org/a",
        source="example",
        title="عنوان الخبر",
        body="\n".join(paras),
        paragraphs=paras,
        fetched_at=datetime(2026, 12, 1, tzinfo=UTC),
        revision=1,
    )


def test_an_article_that_fits_is_left_as_it_is() -> None:
    small = article(3)
    assert fit_article(small, 100_000) is small
    assert b"truncated" not in encode(small)


def test_a_large_article_is_cut_at_a_paragraph_and_flagged_with_its_length() -> None:
    big = article(20_000)  # about 3.4 MB of JSON (body and paragraphs)
    budget = raw_article_budget(1_048_576)
    cut = fit_article(big, budget)
    assert budget - 2_000 < len(encode(cut)) <= budget
    assert cut.truncated is True and cut.original_body_chars == len(big.body)
    assert big.body.startswith(cut.body) and cut.body.endswith(tuple("0123456789"))  # a whole paragraph
    assert cut.paragraphs == big.paragraphs[: len(cut.paragraphs)]
    assert "\n".join(cut.paragraphs) == cut.body
    assert fit_article(big, budget) == cut  # deterministic: a replay cuts the same way
    assert decode(RawArticle, encode(cut)) == cut


def test_enriched_lists_are_bounded_and_the_output_always_fits() -> None:
    mention = Entity(type="PER", text="أحمد", normalized="احمد", field="body", start=0, end=4, confidence=0.9)
    late = mention.model_copy(update={"start": 200_000, "end": 200_004})

    def enriched(paragraphs: int) -> EnrichedArticle:
        return EnrichedArticle(
            **article(paragraphs).model_dump(),
            language=LanguageGuess(code="ar", script="Arab", confidence=1.0),
            mentions=[mention] * 4_000 + [late] * 1_000,
        )

    bounded = bound_enriched(enriched(40), 1_048_576)
    assert len(bounded.mentions) == MAX_MENTIONS and bounded.truncated is None
    assert bounded.mentions == [mention] * MAX_MENTIONS  # the first ones, in document order
    fewer = bound_enriched(enriched(40), 60_000)  # the body fits, the mentions do not: fewer mentions
    assert len(encode(fewer)) <= 60_000 and fewer.truncated is None and 0 < len(fewer.mentions) < 1000
    tight = bound_enriched(enriched(4_000), 300_000)  # the body itself is too long: cut, mentions kept
    assert len(encode(tight)) <= 300_000 and tight.truncated is True
    assert len(tight.mentions) == MAX_MENTIONS


def test_a_dead_letter_keeps_a_prefix_size_and_hash_of_a_large_original() -> None:
    original = bytes(range(256)) * 8_192  # 2 MiB
    letter = DeadLetter.build(stage=Stage.ENRICHER, error=ValueError("too big"), original=original)
    assert letter.original_truncated is True and letter.original() == original[: 64 * 1024]
    assert letter.original_size == len(original)
    assert letter.original_sha256 == hashlib.sha256(original).hexdigest()
    small = DeadLetter.build(stage=Stage.ENRICHER, error=ValueError("bad"), original=b"{x")
    assert (small.original(), small.original_size, small.original_truncated) == (b"{x", 2, None)


def test_the_publisher_cuts_any_letter_to_the_wire_limit() -> None:
    sent: list[tuple[str, bytes | None, bytes]] = []

    class Acked:
        def get(self, timeout: float) -> None:
            return None

    class Producer:  # the two calls DeadLetterPublisher makes of a kafka-python producer
        def send(self, topic: str, *, key: bytes | None, value: bytes) -> Acked:
            sent.append((topic, key, value))
            return Acked()

    whole = b"x" * 400_000  # carried whole by build (< 512 KiB), too large for a 256 KiB limit
    letter = DeadLetter.build(stage=Stage.FETCHER, error=ValueError("e"), original=whole, url="https://a/b")
    publisher = DeadLetterPublisher(Producer(), "dlq", max_message_bytes=262_144)  # type: ignore[arg-type]
    publisher.publish(letter)
    ((topic, key, value),) = sent
    assert topic == "dlq" and key == b"https://a/b" and len(value) <= 262_144
    back = decode(DeadLetter, value)
    assert back.original_truncated is True and back.original_size == 400_000
    assert back.original_sha256 == hashlib.sha256(whole).hexdigest()
    assert kafka_limit(262_144) > 262_144
