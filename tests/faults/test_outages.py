"""Dependencies lost under load: Elasticsearch down, the broker killed (-9) and restarted."""

from __future__ import annotations

import time
from typing import Any

import pytest

from .harness import BROKER_DOWN_S, ES_DOWN_S, ES_MODE, RATE, RECOVERY_MAX_S, Row
from .stack import Stack

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]


def test_elasticsearch_down(make_case: Any, row: Row, stack: Stack) -> None:
    """``down``: es.sh down/up (refused connections; the restart alone takes ~35 s here, so the
    full-size run uses it). ``stop``: SIGSTOP/SIGCONT (connections hang: a wedged node), CI size."""
    row.case = f"elasticsearch_{ES_MODE}_{ES_DOWN_S:.0f}s"
    case = make_case()
    case.begin()
    case.wait_released(0.2)
    case.wait_indexed(10)
    down_at = stack.es_down() if ES_MODE == "down" else stack.es_freeze()
    # Fetcher and enricher keep going; the indexer pauses without committing or dead-lettering.
    remaining = ES_DOWN_S - (time.monotonic() - down_at)
    if remaining > 0:
        time.sleep(remaining)
    case.pipeline.check_alive()
    up_at = stack.es_up() if ES_MODE == "down" else stack.es_thaw()  # once the node answers
    how = "es.sh down → up" if ES_MODE == "down" else "SIGSTOP → SIGCONT"
    row.note = f"Elasticsearch unavailable {up_at - down_at:.0f} s ({how}, until it answers)"
    recovery = case.recovery(up_at, "indexed")
    case.finish()
    assert recovery <= RECOVERY_MAX_S, f"indexing resumed {recovery:.1f} s after Elasticsearch answered"


def test_broker_kill9_and_restart(make_case: Any, row: Row, stack: Stack) -> None:
    """From the kill on, the feed lists only the last 15 s of articles, less than the outage (the
    broker's restart alone takes longer here): what scrolls off meanwhile is kept by the fetcher's
    outbox. (Before the kill it lists every article, so a slow start loses nothing at the source.)"""
    row.case = f"broker_kill9_{BROKER_DOWN_S:.0f}s"
    window = int(RATE * 15)
    case = make_case()
    case.begin()
    case.wait_released(0.3)
    case.wait_indexed(10)
    released_at_kill = case.site.released()
    case.site.window = window
    killed_at = stack.kill_kafka()
    remaining = BROKER_DOWN_S - (time.monotonic() - killed_at)
    if remaining > 0:
        time.sleep(remaining)
    case.pipeline.check_alive()
    up_at = stack.start_kafka()
    released = case.site.released() - released_at_kill
    row.note = (
        f"broker down {up_at - killed_at:.0f} s (kill -9 → kafka.sh up answering); {released} articles "
        f"released meanwhile while the feed listed only the newest {window} ({window / RATE:.0f} s)"
    )
    recovery = case.recovery(up_at, "indexed")
    case.finish()
    assert recovery <= RECOVERY_MAX_S, f"indexing resumed {recovery:.1f} s after the broker answered"
