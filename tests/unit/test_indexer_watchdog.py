"""The indexer replaces a consumer wedged in its group join, and only that one.

Unit level on purpose: a wedged kafka-python group join cannot be produced on demand against a real
broker (it showed up once in about ten CI runs), so the consumer here is a stand-in with the few
methods and the two coordinator attributes the watchdog reads. The indexer's Kafka behaviour itself
is covered against real Kafka in tests/integration/test_indexer.py.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from kafka.structs import MemberState, TopicPartition

from akhbar.errors import BrokerUnavailable
from indexer.pipeline import BatchIndexer
from indexer.settings import IndexerSettings

TOPIC = "t.enriched"


class StandInConsumer:
    def __init__(self, *, assigned: bool, coordinator_id: int | None, state: Any) -> None:
        self._assigned = {TopicPartition(TOPIC, 0)} if assigned else set()
        self._coordinator = SimpleNamespace(coordinator_id=coordinator_id, state=state)
        self.polls = 0
        self.closed = False
        self.subscribed: tuple[list[str], Any] | None = None
        self.on_poll: Any = None

    def poll(self, timeout_ms: int, max_records: int) -> dict:
        self.polls += 1
        if self.on_poll is not None:
            self.on_poll(self)
        return {}

    def assignment(self) -> set[TopicPartition]:
        return self._assigned

    def subscription(self) -> set[str]:
        return {TOPIC}

    def subscribe(self, topics: list[str], listener: Any = None) -> None:
        self.subscribed = (topics, listener)

    def close(self, autocommit: bool = True, timeout_ms: int | None = None) -> None:
        self.closed = True


class Clock:
    """Each reading is 5 s after the previous one."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        self.t += 5.0
        return self.t


def make_indexer(consumer: StandInConsumer, factory: Any) -> BatchIndexer:
    settings = IndexerSettings(group_stall_s=60.0)
    return BatchIndexer(consumer, None, None, settings, clock=Clock(), consumer_factory=factory)  # type: ignore[arg-type]


def test_a_wedged_consumer_is_replaced_and_the_new_one_subscribes() -> None:
    wedged = StandInConsumer(assigned=False, coordinator_id=None, state=MemberState.UNJOINED)
    fresh = StandInConsumer(assigned=True, coordinator_id=1, state=MemberState.STABLE)
    made: list[StandInConsumer] = []

    def factory() -> StandInConsumer:
        made.append(fresh)
        return fresh

    indexer = make_indexer(wedged, factory)
    indexer.run(idle_exit_s=10.0)  # the fresh consumer has partitions and no records: idle exit
    assert made == [fresh] and wedged.closed and indexer.consumer is fresh
    assert fresh.subscribed is not None and fresh.subscribed[0] == [TOPIC]
    assert fresh.subscribed[1] is not None  # the rebalance listener goes along
    assert 12 <= wedged.polls <= 14  # rebuilt once more than 60 s (5 s a poll) passed unassigned


def test_a_stable_member_without_partitions_is_left_alone() -> None:
    """More group members than partitions: a STABLE member may have none, for ever."""
    idle = StandInConsumer(assigned=False, coordinator_id=1, state=MemberState.STABLE)
    indexer = make_indexer(idle, lambda: pytest.fail("a stable member must not be replaced"))
    idle.on_poll = lambda c: indexer.stop() if c.polls >= 100 else None  # 500 s without partitions
    indexer.run(idle_exit_s=10.0)
    assert idle.polls == 100 and not idle.closed


def test_without_a_factory_a_wedged_consumer_stops_the_process() -> None:
    wedged = StandInConsumer(assigned=False, coordinator_id=1, state=MemberState.REBALANCING)
    indexer = make_indexer(wedged, None)
    with pytest.raises(BrokerUnavailable, match="wedged in its group join"):
        indexer.run(idle_exit_s=10.0)
