"""Two defences for kafka-python 3.0.12: a bounded cross-thread wait, and a group join that finishes.

In kafka-python 3.x every network call of a producer or consumer runs on the client's IO thread;
the caller waits in ``NetworkSelector.run()`` on a ``threading.Event`` *without a timeout*. CI saw
a consumer's ``poll(timeout_ms=100)`` block there for 600 s while the IO thread sat idle in
``select()``: the wake-up that should have made the loop run the scheduled call never arrived.
Upstream bounded that wait after 3.0.12 (dpkp/kafka-python#3123: "event.wait() should not block
forever inside net.run()"), but no release has it yet.

Until one does, :func:`apply` replaces ``NetworkSelector.run`` for the pinned 3.0.12 only: the
caller re-sends the wake-up every ``NUDGE_S`` while it waits (a lost wake-up then costs
half a second, not the process), and gives up after ``RUN_TIMEOUT_S`` with ``KafkaTimeoutError``
(translated to ``BrokerUnavailable`` by :mod:`akhbar.kafka`). Any other version is left alone.

The second defence closes a join that 3.0.12 can leave half done for ever (seen in about half the
runs of the fault suite's SIGTERM case, and most likely the "stopped heart-beating after a
rebalance" seen in CI on 2026-11-29). When the group leader rejoins because the topic metadata
changed (the first metadata answer after subscribing lists the topic's partitions), the metadata
mismatch is the only thing that says "rejoin"; ``_perform_assignment`` clears it as soon as the
leader has computed the assignment, *before* the SyncGroup answer arrives. If ``poll(timeout_ms=100)``
runs out in that window, the join task is left in flight and the next poll asks ``need_rejoin()``,
gets False and never awaits it: the member stays REBALANCING with heart-beats disabled, keeps its
old assignment on paper and never fetches (the Java client counts a pending join as "rejoin needed
or pending"). :func:`apply` makes ``need_rejoin`` say True while a join task is pending, as Java does.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import kafka
from kafka.coordinator import consumer as _consumer_coordinator
from kafka.errors import KafkaTimeoutError
from kafka.net import selector as _selector

PATCHED_VERSION = "3.0.12"
NUDGE_S = 0.5
RUN_TIMEOUT_S = 300.0

_original_run = _selector.NetworkSelector.run


def _bounded_run(self: Any, coro: Any, *args: Any) -> Any:
    # The paths without a cross-thread wait (no IO thread, called on the IO thread, closed or
    # crashed loop) keep the library's own behaviour.
    if self._closed or self._io_thread is None or self._exception:
        return _original_run(self, coro, *args)
    if threading.current_thread() is self._io_thread:
        return _original_run(self, coro, *args)

    event = threading.Event()
    state: dict[str, Any] = {"value": None, "exception": None}

    async def waiter() -> None:
        try:
            state["value"] = await self._invoke(coro, *args)
        except BaseException as exc:  # delivered to the caller below, like the library does
            if state["exception"] is None:
                state["exception"] = exc
        finally:
            with self._pending_waiters_lock:
                self._pending_waiters.pop(event, None)
            event.set()

    with self._pending_waiters_lock:
        self._pending_waiters[event] = state
    self.call_soon_threadsafe(waiter)
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while not event.wait(NUDGE_S):
        if time.monotonic() > deadline:
            with self._pending_waiters_lock:
                self._pending_waiters.pop(event, None)
            raise KafkaTimeoutError(f"kafka-python IO thread did not run a call within {RUN_TIMEOUT_S:.0f} s")
        self.wakeup()  # a lost wake-up leaves the loop in select(); send another
    if state["exception"] is not None:
        raise state["exception"]
    return state["value"]


_original_need_rejoin = _consumer_coordinator.ConsumerCoordinator.need_rejoin


def _need_rejoin_or_pending(self: Any) -> bool:
    # A join task left by a poll that timed out is awaited (or, when done, replaced by a fresh
    # JoinGroup) on the next poll instead of being forgotten half way.
    return bool(_original_need_rejoin(self)) or getattr(self, "_join_task", None) is not None


def apply() -> bool:
    """Install both defences; True when they are in place (idempotent)."""
    if kafka.__version__ != PATCHED_VERSION:
        return False
    _selector.NetworkSelector.run = _bounded_run
    _consumer_coordinator.ConsumerCoordinator.need_rejoin = _need_rejoin_or_pending
    return True


def group_member_stable(consumer: Any) -> bool | None:
    """Whether a group consumer knows its coordinator and holds a STABLE membership.

    A 3.0.12 consumer has been seen (CI, 2026-11-29) to stop heart-beating right after a rebalance
    and never rejoin: the broker dropped it on session expiry, the client kept polling with no
    assignment and no coordinator, for ever. A member without partitions is normal when a group has
    more members than partitions, but then it is STABLE with a known coordinator, so callers use this
    to tell the two apart. Reads two attributes, no I/O. None when the internals are not the ones
    this was written for (another kafka-python version): callers then must not act on it.
    """
    try:
        from kafka.structs import MemberState

        coordinator = consumer._coordinator
        return coordinator.coordinator_id is not None and coordinator.state == MemberState.STABLE
    except (AttributeError, ImportError):
        return None
