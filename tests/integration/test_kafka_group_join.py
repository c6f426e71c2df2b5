"""A group join that a short poll cuts in half still finishes (akhbar.kafka_compat, kafka-python 3.0.12).

The leader of a group rejoins when the topic's metadata changes (here: partitions are added). In
3.0.12 only the metadata mismatch says "rejoin", and the leader clears it when it computes the
assignment, before the SyncGroup answer. A ``poll(timeout_ms=3)`` that runs out in between left the
member REBALANCING for ever, heart-beats off, never reading the new partitions: the fault suite's
"silent indexer". Measured before the defence: 3 runs of 3, stuck for the whole 40 s; with it,
every partition is read within about 2 s.
"""

from __future__ import annotations

import time

import pytest
from kafka.admin import KafkaAdminClient, NewPartitions, NewTopic
from kafka.structs import MemberState

from akhbar import kafka_compat
from akhbar.kafka import make_consumer, make_producer
from akhbar.settings import CommonSettings

pytestmark = pytest.mark.kafka


@pytest.mark.skipif(not kafka_compat.apply(), reason="the defence targets kafka-python 3.0.12's coordinator")
@pytest.mark.parametrize("poll_ms", [3, 100])
def test_a_rejoin_cut_short_by_poll_timeouts_completes_and_reads_new_partitions(
    kafka_bootstrap: str, unique_name: str, poll_ms: int
) -> None:
    settings = CommonSettings(kafka_bootstrap_servers=kafka_bootstrap, instance_id=unique_name)
    topic = f"{unique_name}.join"
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics([NewTopic(topic, 2, 1)])
    consumer = make_consumer(settings, group_id=unique_name, client_id="join", metadata_max_age_ms=1000)
    producer = make_producer(settings, client_id="join")
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 30
        while len(consumer.assignment()) < 2 and time.monotonic() < deadline:
            consumer.poll(timeout_ms=100)
        assert sorted(tp.partition for tp in consumer.assignment()) == [0, 1]

        admin.create_partitions({topic: NewPartitions(total_count=4)})
        for partition in range(4):
            producer.send(topic, value=f"m{partition}".encode(), partition=partition)
        producer.flush(timeout=30)

        read: dict[int, list[bytes]] = {}
        deadline = time.monotonic() + 30
        while len(read) < 4 and time.monotonic() < deadline:
            for tp, messages in consumer.poll(timeout_ms=poll_ms).items():
                read.setdefault(tp.partition, []).extend(m.value for m in messages)
        assert read == {p: [f"m{p}".encode()] for p in range(4)}
        assert sorted(tp.partition for tp in consumer.assignment()) == [0, 1, 2, 3]
        assert consumer._coordinator.state is MemberState.STABLE
    finally:
        consumer.close(autocommit=False)
        producer.close()
        admin.delete_topics([topic])
        admin.close()
