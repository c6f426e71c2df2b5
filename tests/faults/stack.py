"""Control of the local stack the suite runs against (deploy/local), through its own variables.

The stack is found the way deploy/local/*.sh find it: ``AKHBAR_STACK_DIR`` (default
``<repo>/.stack``), ``KAFKA_PORT`` (9092), ``KAFKA_CONTROLLER_PORT`` (9093), ``ES_PORT`` (9200).
It is controllable only when the broker's pidfile names a live process and the ports agree with
``KAFKA_BOOTSTRAP_SERVERS`` / ``ELASTICSEARCH_URL``: the suite never signals a process it did not
find through that stack's own files.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from .procs import ROOT

LOCAL = ROOT / "deploy" / "local"


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


class StackError(RuntimeError):
    """The stack cannot be controlled (missing, another stack's ports, no pidfile)."""


class Stack:
    def __init__(self, kafka_bootstrap: str, es_url: str) -> None:
        self.dir = Path(os.environ.get("AKHBAR_STACK_DIR") or ROOT / ".stack").resolve()
        self.kafka_port = int(os.environ.get("KAFKA_PORT", "9092"))
        self.es_port = int(os.environ.get("ES_PORT", "9200"))
        self.env = {
            **os.environ,
            "AKHBAR_STACK_DIR": str(self.dir),
            "KAFKA_PORT": str(self.kafka_port),
            "KAFKA_CONTROLLER_PORT": os.environ.get("KAFKA_CONTROLLER_PORT", "9093"),
            "ES_PORT": str(self.es_port),
        }
        bootstrap_port = int(kafka_bootstrap.split(",")[0].rpartition(":")[2])
        es_port = urlsplit(es_url).port or 9200
        if bootstrap_port != self.kafka_port or es_port != self.es_port:
            raise StackError(
                f"KAFKA_BOOTSTRAP_SERVERS={kafka_bootstrap} / ELASTICSEARCH_URL={es_url} are not the stack "
                f"in {self.dir} (KAFKA_PORT={self.kafka_port}, ES_PORT={self.es_port}): set those variables"
            )
        self._frozen_pid: int | None = None
        self.kafka_pid()
        self.es_pid()

    # -- Kafka --------------------------------------------------------------------------
    @property
    def kafka_pidfile(self) -> Path:
        return self.dir / "kafka" / "kafka.pid"

    def kafka_pid(self) -> int:
        try:
            pid = int(self.kafka_pidfile.read_text().strip())
        except (OSError, ValueError) as err:
            raise StackError(f"no broker pidfile at {self.kafka_pidfile}: {err}") from err
        cmdline = Path(f"/proc/{pid}/cmdline")
        if not cmdline.exists() or b"kafka.Kafka" not in cmdline.read_bytes():
            raise StackError(f"pid {pid} in {self.kafka_pidfile} is not a running Kafka broker")
        return pid

    def kill_kafka(self) -> float:
        """kill -9 the broker; returns when it is gone (monotonic time of the kill)."""
        pid = self.kafka_pid()
        at = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        while Path(f"/proc/{pid}").exists() and time.monotonic() - at < 30:
            time.sleep(0.1)
        return at

    def start_kafka(self) -> float:
        """deploy/local/kafka.sh up; returns the monotonic time the broker answers again."""
        run = subprocess.run(
            [str(LOCAL / "kafka.sh"), "up"], env=self.env, capture_output=True, text=True, timeout=180
        )
        if run.returncode != 0:
            raise StackError(f"kafka.sh up failed: {run.stdout[-2000:]}{run.stderr[-2000:]}")
        return time.monotonic()

    # -- Elasticsearch ------------------------------------------------------------------
    def _es(self, command: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(LOCAL / "es.sh"), command], env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def es_pid(self) -> int:
        status = self._es("status", timeout=30)
        match = re.search(r"running: pid (\d+)", status.stdout)
        if status.returncode != 0 or not match:
            raise StackError(
                f"es.sh status (stack {self.dir}): {status.stdout.strip()} {status.stderr.strip()}"
            )
        return int(match.group(1))

    def es_down(self) -> float:
        run = self._es("down")
        if run.returncode != 0 or port_open(self.es_port):
            raise StackError(f"es.sh down failed: {run.stderr[-2000:]}")
        return time.monotonic()

    def es_up(self) -> float:
        """deploy/local/es.sh up; returns the monotonic time the node answers with green/yellow health."""
        run = self._es("up")
        if run.returncode != 0:
            raise StackError(f"es.sh up failed: {run.stderr[-3000:]}")
        return time.monotonic()

    def es_freeze(self) -> float:
        """SIGSTOP the node: connections hang instead of being refused (a wedged node)."""
        self._frozen_pid = self.es_pid()
        os.kill(self._frozen_pid, signal.SIGSTOP)
        return time.monotonic()

    def es_thaw(self) -> float:
        """SIGCONT, then wait until the node answers; returns that monotonic time."""
        pid = self._frozen_pid or self.es_pid()
        os.kill(pid, signal.SIGCONT)
        self._frozen_pid = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self._es_answers():
                return time.monotonic()
            time.sleep(0.2)
        raise StackError("Elasticsearch did not answer within 120 s of SIGCONT")

    def _es_answers(self) -> bool:
        try:
            url = f"http://127.0.0.1:{self.es_port}/_cluster/health?timeout=1s"
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def ensure_up(self) -> None:
        """Leave the stack as found: both up (used after a case that took one down)."""
        if self._frozen_pid is not None:
            os.kill(self._frozen_pid, signal.SIGCONT)
            self._frozen_pid = None
        if not port_open(self.kafka_port):
            self.start_kafka()
        if not port_open(self.es_port):
            self.es_up()
