"""Start order does not matter: enricher and indexer started before their topics exist.

Both consumers start on brand-new topic names; the fetcher (which creates the raw topic) starts
only once they answer /livez. The first article must be indexed within seconds of reaching the
raw topic (issue 12: an enricher once waited 5.5 minutes for faust's metadata refresh).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from kafka.admin import KafkaAdminClient

from .audit import end_offsets_total
from .harness import RECOVERY_MAX_S, N, Row

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]


def test_consumers_started_before_topics_exist(make_case: Any, row: Row) -> None:
    case = make_case(n=max(60, N // 2))
    admin = KafkaAdminClient(bootstrap_servers=case.kafka, client_id="faults-start-order")
    try:
        assert not set(case.names.topics) & set(admin.list_topics()), "topics exist before the case"
    finally:
        admin.close()
    case.pipeline.start("enricher", "indexer")
    for name in ("enricher", "indexer"):
        svc = case.pipeline[name]
        case.pipeline.wait(lambda svc=svc: svc.livez()[0] == 200, 90, f"{name} /livez 200")
    case.site.begin()
    case.pipeline.start("fetcher")
    case.pipeline.wait(lambda: end_offsets_total(case.kafka, case.names.raw) > 0, 90, "a raw article")
    first_raw = time.monotonic()
    case.pipeline.wait(lambda: case.count() > 0, 120, "the first indexed document")
    seconds = time.monotonic() - first_raw
    row.recovery_s.append(round(seconds, 1))
    case.pipeline.wait_ready(timeout_s=60)
    case.finish()
    assert seconds <= RECOVERY_MAX_S, f"first article indexed {seconds:.1f} s after it reached the raw topic"
