"""Enricher: language, named entities and topics for raw articles (faust-streaming)."""
