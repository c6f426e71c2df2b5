"""A WebSub hub that misbehaves under load: forged pushes, then silence, then the fetcher killed.

The stream's feed advertises the site's hub and the fetcher has a callback (D22). In turn: the
hub signs its pushes with a wrong secret (the fetcher must acknowledge and ignore them: its polls
find those articles), falls silent (polls only), the fetcher is killed -9 and restarted on the same
state file and callback (the subscription survives: no new request to the hub), and the hub pushes
again. Audited like every stream case: every article indexed once, nothing lost.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from .harness import RATE, RECOVERY_MAX_S, Row
from .procs import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]


def test_websub_forged_then_silent_hub_and_fetcher_kill9(make_case: Any, row: Row) -> None:
    port = free_port()
    case = make_case(
        hub=True,
        extra_env={
            "AKHBAR_WEBSUB_CALLBACK_URL": f"http://127.0.0.1:{port}/websub",
            "AKHBAR_WEBSUB_HOST": "127.0.0.1",
            "AKHBAR_WEBSUB_PORT": str(port),
        },
    )
    hub = case.site.hub
    case.begin()
    case.pipeline.wait(lambda: len(hub.active()) == 1, 30, "the hub's verified subscription")
    case.wait_released(0.15)
    case.wait_indexed(5)
    (sub,) = hub.active()
    pushed_before = sub.pushes
    hub.forged = True  # pushes signed with the wrong secret: ignored; polls must find the articles
    case.wait_released(0.35)
    hub.forged, hub.paused = False, True  # a hub that stops pushing: polls only
    case.wait_released(0.5)
    case.pipeline["fetcher"].kill9()
    time.sleep(1.0)
    hub.paused = False
    restarted = case.pipeline["fetcher"].start()
    recovery = case.recovery(restarted, "indexed")
    pushes_after_restart = sub.pushes
    case.wait_released(1.0)
    audit = case.finish()
    requests = [r["hub.mode"] for r in hub.requests]
    row.note = (
        f"{sub.pushes} pushes ({pushed_before} before the forgery); subscription requests {requests}; "
        f"callback answers {sorted(set(sub.answers))}; {len(audit.indexed)} indexed at {RATE:g}/s"
    )
    assert requests == ["subscribe"]  # the restart kept the subscription: no second request
    assert sub.pushes > pushes_after_restart, "the hub pushed again to the restarted fetcher"
    assert set(sub.answers) <= {202, 0}  # 0: refused while the fetcher was down (the hub retries never)
    assert recovery <= RECOVERY_MAX_S, f"indexing resumed {recovery:.1f} s after the fetcher's restart"
