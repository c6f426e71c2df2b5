"""testcontainers for the images deploy/ pins, used by tests/conftest.py when a Docker engine answers.

testcontainers' own KafkaContainer drives Confluent images; ours is the official
``apache/kafka`` image, so this starts it the way Testcontainers for Java does: the
container waits for a start script, which we copy in once the mapped port is known,
so the advertised listener names the host's port.
"""

from __future__ import annotations

from testcontainers.core.container import DockerContainer
from testcontainers.core.waiting_utils import wait_for_logs

_START = "/tmp/akhbar-start.sh"


class ApacheKafkaContainer(DockerContainer):
    """Single-node KRaft broker+controller from ``apache/kafka:<version>``."""

    def __init__(self, image: str) -> None:
        super().__init__(image)
        self.with_exposed_ports(9092)
        self.with_envs(
            KAFKA_NODE_ID="1",
            KAFKA_PROCESS_ROLES="broker,controller",
            KAFKA_LISTENERS="PLAINTEXT://0.0.0.0:9092,BROKER://0.0.0.0:9093,CONTROLLER://0.0.0.0:9094",
            KAFKA_LISTENER_SECURITY_PROTOCOL_MAP="PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT",
            KAFKA_INTER_BROKER_LISTENER_NAME="BROKER",
            KAFKA_CONTROLLER_LISTENER_NAMES="CONTROLLER",
            KAFKA_CONTROLLER_QUORUM_VOTERS="1@localhost:9094",
            KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR="1",
            KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR="1",
            KAFKA_TRANSACTION_STATE_LOG_MIN_ISR="1",
            KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS="0",
            KAFKA_NUM_PARTITIONS="3",
        )
        self.with_command(
            [
                "sh",
                "-c",
                f"while [ ! -f {_START} ]; do sleep 0.1; done; . {_START}; exec /etc/kafka/docker/run",
            ]
        )

    def start(self) -> ApacheKafkaContainer:
        super().start()
        advertised = f"PLAINTEXT://{self.get_bootstrap_server()},BROKER://localhost:9093"
        self.copy_into_container(f"export KAFKA_ADVERTISED_LISTENERS={advertised}\n".encode(), _START)
        wait_for_logs(self, "Kafka Server started", timeout=120)
        return self

    def get_bootstrap_server(self) -> str:
        return f"{self.get_container_host_ip()}:{self.get_exposed_port(9092)}"
