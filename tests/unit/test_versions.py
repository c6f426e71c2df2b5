"""The backing-service versions are pinned once (deploy/versions.env); everything else must agree."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pins() -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in (ROOT / "deploy/versions.env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    return {k.strip(): v.strip() for k, v in pairs}


def test_local_kafka_matches_the_pin() -> None:
    pom = (ROOT / "deploy/local/kafka-pom.xml").read_text()
    assert re.search(r"<kafka.version>([^<]+)</kafka.version>", pom).group(1) == _pins()["KAFKA_VERSION"]  # type: ignore[union-attr]


def test_local_elasticsearch_matches_the_pin() -> None:
    script = (ROOT / "deploy/local/es.sh").read_text()
    assert re.search(r"ES_VERSION=([0-9.]+)", script).group(1) == _pins()["ELASTICSEARCH_VERSION"]  # type: ignore[union-attr]


def test_compose_takes_its_images_from_the_pins() -> None:
    compose = (ROOT / "deploy/docker-compose.yml").read_text()
    assert "image: apache/kafka:${KAFKA_VERSION" in compose
    assert "image: docker.elastic.co/elasticsearch/elasticsearch:${ELASTICSEARCH_VERSION" in compose
    assert "es-analysis-plugin" not in compose  # the official image has analysis-common built in
