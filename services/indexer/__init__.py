"""Indexer: enriched articles from Kafka into Elasticsearch, effectively once."""
