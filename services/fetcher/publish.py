"""Publishing raw articles with kafka-python, waiting for the broker's acknowledgement."""

from __future__ import annotations

import asyncio

from kafka import KafkaProducer
from kafka.errors import KafkaError

from akhbar.errors import BrokerUnavailable
from akhbar.messages import RawArticle, encode


class ArticlePublisher:
    def __init__(self, producer: KafkaProducer, topic: str, *, timeout_s: float = 60.0) -> None:
        self._producer = producer
        self._topic = topic
        self._timeout_s = timeout_s

    async def publish(self, article: RawArticle) -> None:
        """Send keyed by article id and return only once the broker acknowledged (acks=all)."""
        future = self._producer.send(self._topic, key=article.id.encode("ascii"), value=encode(article))
        try:
            await asyncio.to_thread(future.get, self._timeout_s)
        except KafkaError as err:
            raise BrokerUnavailable(f"publish of {article.id} to {self._topic} failed: {err}") from err
