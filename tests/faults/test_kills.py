"""Processes killed or stopped under load: kill -9 of the indexer and the enricher, SIGTERM of each."""

from __future__ import annotations

import time
from typing import Any

import pytest

from .harness import RECOVERY_MAX_S, SHUTDOWN_MAX_S, Row

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]


def test_kill9_indexer_mid_batch(make_case: Any, row: Row) -> None:
    case = make_case()
    case.begin()
    case.wait_released(0.3)
    case.wait_indexed(10)
    # Mid-batch: the indexer is working through a backlog (lag > 0) when it dies.
    case.pipeline["indexer"].kill9()
    time.sleep(2.0)
    restarted = case.pipeline["indexer"].start()
    recovery = case.recovery(restarted, "indexed")
    case.finish()
    assert recovery <= RECOVERY_MAX_S, f"indexer resumed {recovery:.1f} s after its restart"


def test_kill9_enricher_mid_stream(make_case: Any, row: Row) -> None:
    case = make_case()
    case.begin()
    case.wait_released(0.3)
    case.wait_indexed(10)
    case.pipeline["enricher"].kill9()
    time.sleep(2.0)
    restarted = case.pipeline["enricher"].start()
    recovery = case.recovery(restarted, "enriched")
    case.finish()
    assert recovery <= RECOVERY_MAX_S, f"enricher resumed {recovery:.1f} s after its restart"


@pytest.mark.parametrize("service", ["fetcher", "enricher", "indexer"])
def test_sigterm_under_load(make_case: Any, row: Row, service: str) -> None:
    row.case = f"sigterm_{service}_under_load"
    case = make_case()
    case.begin()
    case.wait_released(0.3)
    case.wait_indexed(10)
    code, seconds = case.pipeline[service].sigterm(timeout_s=60.0)
    row.shutdown_s[service] = round(seconds, 1)
    assert code == 0, f"{service} exited {code} after SIGTERM:\n{case.pipeline[service].log_tail()}"
    assert seconds <= SHUTDOWN_MAX_S, f"{service} took {seconds:.1f} s to exit after SIGTERM"
    restarted = case.pipeline[service].start()
    if service == "fetcher":  # it polls every 5 s: progress means a new raw article reached the index
        recovery = case.recovery(restarted, "indexed")
    else:
        recovery = case.recovery(restarted, "enriched" if service == "enricher" else "indexed")
    case.finish()
    assert recovery <= RECOVERY_MAX_S, f"{service} resumed {recovery:.1f} s after its restart"
