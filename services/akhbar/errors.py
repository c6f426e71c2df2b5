"""Akhbar's two error families.

    AkhbarError
    ├── PermanentError        the input is bad; retrying cannot help → dead-letter topic
    │   ├── InvalidMessage    a Kafka message that fails the contract
    │   ├── ExtractionError   a page that cannot be turned into an article
    │   └── DocumentRejected  Elasticsearch refused one document (mapping, size)
    └── TransientError        a dependency is down or slow → retry / pause, never commit
        ├── BrokerUnavailable
        └── SearchUnavailable

Third-party exceptions are translated into these at the boundary modules
(akhbar.kafka, akhbar.es, fetcher's HTTP client); code elsewhere catches only these.
"""

from __future__ import annotations


class AkhbarError(Exception):
    """Base of every error Akhbar raises on purpose."""


class PermanentError(AkhbarError):
    """The input cannot be processed; send it to the dead-letter topic and go on."""


class InvalidMessage(PermanentError):
    def __init__(
        self,
        reason: str,
        *,
        topic: str | None = None,
        partition: int | None = None,
        offset: int | None = None,
    ) -> None:
        where = f" at {topic}[{partition}]@{offset}" if topic is not None else ""
        super().__init__(f"{reason}{where}")
        self.reason = reason
        self.topic = topic
        self.partition = partition
        self.offset = offset


class ExtractionError(PermanentError):
    def __init__(self, reason: str, *, url: str | None = None) -> None:
        super().__init__(f"{reason} ({url})" if url else reason)
        self.reason = reason
        self.url = url


class DocumentRejected(PermanentError):
    """Elasticsearch rejected a single document; carries ES's error type, for the DLQ envelope."""

    def __init__(self, status: int, error_type: str, reason: str) -> None:
        super().__init__(f"elasticsearch {status} {error_type}: {reason}")
        self.status, self.error_type, self.reason = status, error_type, reason


class TransientError(AkhbarError):
    """A dependency failed; retry later, do not commit, do not dead-letter."""


class BrokerUnavailable(TransientError):
    pass


class SearchUnavailable(TransientError):
    pass
