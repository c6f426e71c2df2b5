"""Control of a multi-node local stack (deploy/local with KAFKA_NODES / ES_NODES) for tests/faults/scale.

Found the way deploy/local/*.sh find it: ``AKHBAR_STACK_DIR``, ``KAFKA_NODES``, ``KAFKA_PORT``
(node 1; node i on KAFKA_PORT+i-1), ``ES_NODES``, ``ES_PORT``. A broker is signalled only when
its own pidfile names a live ``kafka.Kafka`` process of that node (as tests/faults/stack.py does).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from ..procs import ROOT
from ..stack import LOCAL, StackError, port_open


class Cluster:
    def __init__(self) -> None:
        self.dir = Path(os.environ.get("AKHBAR_STACK_DIR") or ROOT / ".stack").resolve()
        self.kafka_nodes = int(os.environ.get("KAFKA_NODES", "1"))
        self.kafka_port = int(os.environ.get("KAFKA_PORT", "9092"))
        self.es_nodes = int(os.environ.get("ES_NODES", "1"))
        self.es_port = int(os.environ.get("ES_PORT", "9200"))
        self.env = {**os.environ, "AKHBAR_STACK_DIR": str(self.dir)}

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.broker_port(i)}" for i in self.brokers)

    @property
    def es_url(self) -> str:
        return f"http://127.0.0.1:{self.es_port}"

    @property
    def brokers(self) -> range:
        """Node ids (= broker ids, node.id in server.properties): 1..KAFKA_NODES."""
        return range(1, self.kafka_nodes + 1)

    def broker_port(self, node: int) -> int:
        return self.kafka_port + node - 1

    def check(self) -> None:
        """Every broker runs from this stack's files and the ES cluster has all its nodes."""
        for node in self.brokers:
            self.broker_pid(node)
        health = self.es_health()
        if health.get("number_of_nodes") != self.es_nodes:
            raise StackError(f"Elasticsearch at {self.es_url} has {health.get('number_of_nodes')} nodes")

    def es_health(self) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(f"{self.es_url}/_cluster/health", timeout=5) as r:
                return dict(json.loads(r.read()))
        except OSError as err:
            raise StackError(f"no Elasticsearch at {self.es_url}: {err}") from err

    # -- brokers ------------------------------------------------------------------------
    def broker_pidfile(self, node: int) -> Path:
        home = self.dir / "kafka" if self.kafka_nodes == 1 else self.dir / "kafka" / f"node-{node}"
        return home / "kafka.pid"

    def broker_pid(self, node: int) -> int:
        pidfile = self.broker_pidfile(node)
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError) as err:
            raise StackError(f"no pidfile for broker {node} at {pidfile}: {err}") from err
        cmdline = Path(f"/proc/{pid}/cmdline")
        if not cmdline.exists() or b"kafka.Kafka" not in cmdline.read_bytes():
            raise StackError(f"pid {pid} in {pidfile} is not a running Kafka broker")
        if str(pidfile.parent).encode() not in cmdline.read_bytes():
            raise StackError(f"pid {pid} in {pidfile} is another node's broker")
        return pid

    def kill_broker(self, node: int) -> float:
        """kill -9 one broker; returns the monotonic time of the kill, once it is gone."""
        pid = self.broker_pid(node)
        at = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        while Path(f"/proc/{pid}").exists() and time.monotonic() - at < 30:
            time.sleep(0.1)
        return at

    def start_brokers(self) -> float:
        """kafka.sh up (starts only the nodes not running); the monotonic time they all answer."""
        run = subprocess.run(
            [str(LOCAL / "kafka.sh"), "up"], env=self.env, capture_output=True, text=True, timeout=300
        )
        if run.returncode != 0:
            raise StackError(f"kafka.sh up failed: {run.stdout[-2000:]}{run.stderr[-2000:]}")
        return time.monotonic()

    def ensure_up(self) -> None:
        """Leave the stack as found: every broker up (after a case that killed one)."""
        if not all(port_open(self.broker_port(n)) for n in self.brokers):
            self.start_brokers()
