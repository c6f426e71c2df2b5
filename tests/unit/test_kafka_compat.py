"""The bounded wait around kafka-python 3.0.12's NetworkSelector.run (akhbar.kafka_compat).

No broker needed: a real NetworkSelector with its IO thread, and a wake-up that gets lost."""

from __future__ import annotations

import threading

import kafka
import pytest
from kafka.errors import KafkaTimeoutError
from kafka.net.selector import NetworkSelector

from akhbar import kafka_compat

pytestmark = pytest.mark.skipif(
    kafka.__version__ != kafka_compat.PATCHED_VERSION, reason="the backport targets kafka-python 3.0.12"
)


def _selector_losing_first_wakeup() -> NetworkSelector:
    net = NetworkSelector()
    net.start()
    real = net.wakeup
    lost = threading.Event()

    def wakeup() -> None:
        if not lost.is_set():  # the first wake-up never reaches the loop
            lost.set()
            return
        real()

    net.wakeup = wakeup  # type: ignore[method-assign]
    return net


def _run_in_thread(net: NetworkSelector, coro) -> dict:  # type: ignore[no-untyped-def]
    out: dict = {}

    def call() -> None:
        try:
            out["value"] = net.run(coro)
        except BaseException as exc:
            out["error"] = exc

    t = threading.Thread(target=call, daemon=True)
    t.start()
    t.join(10)
    out["returned"] = not t.is_alive()
    return out


def test_lost_wakeup_hangs_the_library_and_not_the_patched_run() -> None:
    async def answer() -> int:
        return 42

    assert kafka_compat.apply()
    net = _selector_losing_first_wakeup()
    try:
        assert _run_in_thread(net, answer) == {"value": 42, "returned": True}
    finally:
        net.close()

    # the library's own run() waits forever on the same lost wake-up
    net = _selector_losing_first_wakeup()
    try:
        out = _run_in_thread_with(kafka_compat._original_run, net, answer, join_s=2)
        assert out == {"returned": False}
    finally:
        net.close()  # fails the pending waiter, so the stuck thread ends


def _run_in_thread_with(run, net: NetworkSelector, coro, join_s: float) -> dict:  # type: ignore[no-untyped-def]
    out: dict = {}

    def call() -> None:
        try:
            out["value"] = run(net, coro)
        except BaseException as exc:
            out["error"] = exc

    t = threading.Thread(target=call, daemon=True)
    t.start()
    t.join(join_s)
    out["returned"] = not t.is_alive()
    return out


def test_a_call_that_never_runs_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    async def never() -> None:
        return None

    monkeypatch.setattr(kafka_compat, "RUN_TIMEOUT_S", 1.0)
    assert kafka_compat.apply()
    net = NetworkSelector()
    net.start()
    net.wakeup = lambda: None  # type: ignore[method-assign]  # nothing ever wakes the loop
    try:
        out = _run_in_thread(net, never)
        assert out["returned"] and isinstance(out["error"], KafkaTimeoutError)
        assert not net._pending_waiters
    finally:
        del net.wakeup  # the real one again, so close() can stop the loop
        net.close()
