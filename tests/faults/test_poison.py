"""Every poison kind on the raw topic (→ enricher) and on the enriched topic (→ indexer), mid-stream.

Invalid JSON, wrong schema, unknown schema_version, empty value, tombstone and invalid UTF-8 must
each become exactly one dead letter of the consuming stage, found by its topic/partition/offset,
with a reason naming the problem. A valid article with a null key and a valid article over 1 MiB
must end indexed (the oversized one cut to the size policy) or dead-lettered: exactly one of the
two. The stream around them must be indexed whole, and every service must stay ready.
"""

from __future__ import annotations

from typing import Any

import pytest

from .harness import N, Row
from .poison import expectations as poison_expectations
from .poison import produce_poison

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]


@pytest.mark.parametrize("target", ["raw", "enriched"])
def test_poison_messages(make_case: Any, row: Row, target: str) -> None:
    row.case = f"poison_on_{target}_topic"
    case = make_case(n=max(60, N // 2))
    case.begin()
    # Enough good messages first that 8 poisons stay far below the dead-letter brake's share.
    case.wait_indexed(40)
    topic = case.names.raw if target == "raw" else case.names.enriched
    stage = "enricher" if target == "raw" else "indexer"
    sent = produce_poison(case.kafka, topic, case.site.base, enriched=target == "enriched")
    refused = [s.kind for s in sent if s.offset < 0]
    # the enriched topic is compacted (D6), so the broker refuses a message without a key
    assert refused == (["null_key_refused_by_broker"] if target == "enriched" else [])
    case.expected_letters, case.either = poison_expectations(sent, stage)
    audit = case.finish()
    outcomes = {**audit.either_outcomes(), **{kind: "refused by the broker" for kind in refused}}
    row.note = ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items()))
    oversized = next((d for d in audit.docs if d["_id"] == case.either["oversized"]), None)
    if oversized is not None and target == "raw":  # enriched: then cut to the size policy and flagged
        assert oversized.get("truncated") is True, oversized
