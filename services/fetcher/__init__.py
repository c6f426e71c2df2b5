"""Fetcher: polls Arabic news sources, extracts articles and publishes them to Kafka."""
