"""Where the poller's output goes: raw articles and dead letters, each acknowledged by the broker.

The poller depends only on the two small protocols here, so logic tests pass in-memory sinks
(arroyo's LocalBroker habit) and the process passes :class:`ArticlePublisher` and
``akhbar.kafka.DeadLetterPublisher``, both on one ``ReliableProducer``: a producer that
kafka-python put in a fatal state (e.g. a broker-side ``MessageSizeTooLargeError`` on the
idempotent producer) is replaced instead of failing every later send from every source.
"""

from __future__ import annotations

from typing import Protocol

from kafka import KafkaProducer

from akhbar.kafka import ReliableProducer
from akhbar.messages import DeadLetter, RawArticle, encode


class ArticleSink(Protocol):
    async def publish(self, article: RawArticle, *, timeout_s: float | None = None) -> None:
        """Return once the article is durable; raise MessageTooLarge or BrokerUnavailable.

        ``timeout_s`` shortens the wait for one send (a probe of a broker believed away)."""


class LetterSink(Protocol):
    async def apublish(self, letter: DeadLetter) -> None:
        """Return once the dead letter is durable; raise BrokerUnavailable."""


class ArticlePublisher:
    def __init__(
        self, producer: KafkaProducer | ReliableProducer, topic: str, *, timeout_s: float = 30.0
    ) -> None:
        self._producer = ReliableProducer.of(producer)
        self._topic = topic
        self._timeout_s = timeout_s

    async def publish(self, article: RawArticle, *, timeout_s: float | None = None) -> None:
        """Send keyed by article id; return only once the broker acknowledged (acks=all).

        Cancellable (shutdown). Raises ``MessageTooLarge`` (this article can never be sent) or
        ``BrokerUnavailable`` (nothing acknowledged: try again later).
        """
        await self._producer.asend(
            self._topic,
            key=article.id.encode("ascii"),
            value=encode(article),
            timeout_s=self._timeout_s if timeout_s is None else timeout_s,
        )
