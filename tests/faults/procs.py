"""The three services as real processes, with per-case topics, groups, index prefix and ports."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("fetcher", "enricher", "indexer")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WaitTimeout(AssertionError):
    """A condition was not met in time (every service still running)."""


@dataclass
class Names:
    """Everything a case owns on the shared stack."""

    prefix: str

    @property
    def raw(self) -> str:
        return f"{self.prefix}.raw"

    @property
    def enriched(self) -> str:
        return f"{self.prefix}.enriched"

    def dlq(self, stage: str) -> str:
        return f"{self.prefix}.dlq.{stage}"

    @property
    def dlqs(self) -> list[str]:
        return [self.dlq(s) for s in SERVICES]

    @property
    def topics(self) -> list[str]:
        return [self.raw, self.enriched, *self.dlqs]


def _get(url: str, timeout: float = 2.0) -> tuple[int, dict[str, Any] | str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            body = r.read().decode("utf-8", "replace")
            code = r.status
    except urllib.error.HTTPError as err:
        body, code = err.read().decode("utf-8", "replace"), err.code
    except OSError as err:
        return 0, str(err)
    try:
        return code, json.loads(body)
    except ValueError:
        return code, body


@dataclass
class Service:
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log_dir: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kind: str = ""  # fetcher, enricher or indexer; the name too unless there are replicas

    def __post_init__(self) -> None:
        self.kind = self.kind or self.name

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.{self.starts}.log"

    def start(self) -> float:
        """Spawn the process; returns the monotonic time it was spawned."""
        assert self.proc is None or self.proc.poll() is not None, f"{self.name} already runs"
        self.starts += 1
        with self.log_path.open("wb") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        return time.monotonic()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        assert self.proc is not None and self.alive(), f"{self.name} is not running"
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def sigterm(self, timeout_s: float = 60.0) -> tuple[int | None, float]:
        """SIGTERM and wait; (exit code or None if it had to be killed, seconds to exit)."""
        assert self.proc is not None and self.alive(), f"{self.name} is not running"
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code: int | None = self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
            code = None
        return code, time.monotonic() - started

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def readyz(self) -> tuple[int, dict[str, Any] | str]:
        return _get(self.url("/readyz"))

    def livez(self) -> tuple[int, dict[str, Any] | str]:
        return _get(self.url("/livez"))

    def metrics(self) -> tuple[int, str]:
        code, body = _get(self.url("/metrics"))
        return code, body if isinstance(body, str) else json.dumps(body)

    def log_tail(self, chars: int = 3000) -> str:
        parts = []
        for n in range(1, self.starts + 1):
            p = self.log_dir / f"{self.name}.{n}.log"
            if p.exists():
                parts.append(f"--- {p.name} ---\n" + p.read_text("utf-8", "replace")[-chars:])
        return "\n".join(parts)

    def logs(self) -> str:
        return "\n".join(
            (self.log_dir / f"{self.name}.{n}.log").read_text("utf-8", "replace")
            for n in range(1, self.starts + 1)
            if (self.log_dir / f"{self.name}.{n}.log").exists()
        )


class Pipeline:
    """Fetcher, enricher and indexer for one case; ``stop()`` SIGTERMs whatever still runs.

    ``replicas={"indexer": 2}`` runs two indexers, named ``indexer-0`` and ``indexer-1``, each with
    its own instance id, metrics port, state file and faust data dir; replicated fetchers are the
    shards of the sources file (AKHBAR_FETCHER_SHARD / _SHARDS). Methods taking names accept a kind
    (``"indexer"``: every replica) or one instance's name.
    """

    def __init__(
        self,
        names: Names,
        *,
        kafka: str,
        es_url: str,
        work: Path,
        sources_yaml: str,
        extra_env: dict[str, str] | None = None,
        replicas: Mapping[str, int] | None = None,
    ) -> None:
        self.names = names
        self.work = work
        (work / "logs").mkdir(parents=True, exist_ok=True)
        sources = work / "sources.yaml"
        sources.write_text(sources_yaml, encoding="utf-8")
        common = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AKHBAR_")},
            "KAFKA_BOOTSTRAP_SERVERS": kafka,
            "ELASTICSEARCH_URL": es_url,
            "AKHBAR_TOPIC_RAW": names.raw,
            "AKHBAR_TOPIC_ENRICHED": names.enriched,
            "AKHBAR_TOPIC_DLQ_FETCHER": names.dlq("fetcher"),
            "AKHBAR_TOPIC_DLQ_ENRICHER": names.dlq("enricher"),
            "AKHBAR_TOPIC_DLQ_INDEXER": names.dlq("indexer"),
            "AKHBAR_INDEX_PREFIX": names.prefix,
            "AKHBAR_GROUP_ID": f"{names.prefix}-indexer",
            "AKHBAR_APP_ID": f"{names.prefix}-enricher",
            "AKHBAR_DATA_DIR": str(work / "faust"),
            "AKHBAR_STATE_PATH": str(work / "fetcher.sqlite3"),
            "AKHBAR_MAX_BATCH_TIME_MS": "200",
            "AKHBAR_SESSION_TIMEOUT_MS": "10000",
            "AKHBAR_POLITENESS_DELAY_S": "0",
            "AKHBAR_MAX_ARTICLES_PER_POLL": "100000",
            "AKHBAR_TOTAL_TIMEOUT_S": "8",
            "AKHBAR_REQUEST_TIMEOUT_S": "5",
            "AKHBAR_CONNECT_TIMEOUT_S": "2",
            "AKHBAR_MAX_RETRIES": "1",
            "AKHBAR_LOG_LEVEL": "INFO",
            # FAULTS_CLIENT_LOG_LEVEL=DEBUG: every fetch and heartbeat of the clients in the logs
            "AKHBAR_CLIENT_LOG_LEVEL": os.environ.get("FAULTS_CLIENT_LOG_LEVEL", "WARNING"),
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.services: dict[str, Service] = {}
        for kind in SERVICES:
            count = (replicas or {}).get(kind, 1)
            for k in range(count):
                name = kind if count == 1 else f"{kind}-{k}"
                env = {**common, "AKHBAR_INSTANCE_ID": f"{names.prefix}-{name}"}
                if count > 1:
                    (work / "faust" / name).mkdir(parents=True, exist_ok=True)
                    env |= {
                        "AKHBAR_STATE_PATH": str(work / f"{name}.sqlite3"),
                        "AKHBAR_DATA_DIR": str(work / "faust" / name),
                    }
                    if kind == "fetcher":
                        env |= {"AKHBAR_FETCHER_SHARD": str(k), "AKHBAR_FETCHER_SHARDS": str(count)}
                self.services[name] = self._service(kind, name, env, sources, work)

    @staticmethod
    def _service(kind: str, name: str, env: dict[str, str], sources: Path, work: Path) -> Service:
        py = sys.executable
        port = free_port()
        env = {**env, "AKHBAR_METRICS_PORT": str(port)}
        if kind == "fetcher":
            argv = [py, "-m", "fetcher", "--sources", str(sources), "run"]
        elif kind == "enricher":
            argv = [py, "-m", "enricher", "worker", "--loglevel", "warn"]
            argv += ["--web-port", str(port), "--web-host", "127.0.0.1"]
            env["AKHBAR_WEB_PORT"] = str(port)
        else:
            argv = [py, "-m", "indexer", "run"]
        return Service(name, argv, env, port, work / "logs", kind=kind)

    def __getitem__(self, name: str) -> Service:
        return self.services[name]

    def select(self, *names: str) -> list[Service]:
        """The services named (by kind or instance name), in pipeline order; all of them by default."""
        return [s for s in self.services.values() if not names or s.name in names or s.kind in names]

    def start(self, *names: str) -> None:
        for s in self.select(*names):
            s.start()

    def check_alive(self, allow: tuple[str, ...] = ()) -> None:
        for s in self.services.values():
            if s.name in allow or s.kind in allow or s.proc is None:
                continue
            if s.proc.poll() is not None:
                raise AssertionError(f"{s.name} exited with {s.proc.returncode}:\n{s.log_tail()}")

    def wait(
        self, predicate: Callable[[], bool], timeout_s: float, what: str, allow_dead: tuple[str, ...] = ()
    ) -> float:
        """Poll ``predicate`` every 0.25 s; returns the seconds it took. Fails if a service died."""
        started = time.monotonic()
        while True:
            if predicate():
                return time.monotonic() - started
            self.check_alive(allow_dead)
            if time.monotonic() - started > timeout_s:
                raise WaitTimeout(f"timed out after {timeout_s:.0f} s waiting for {what}")
            time.sleep(0.25)

    def wait_ready(self, *names: str, timeout_s: float = 90.0) -> None:
        for s in self.select(*names):
            self.wait(lambda s=s: s.readyz()[0] == 200, timeout_s, f"{s.name} /readyz 200")  # type: ignore[misc]

    def not_ready(self) -> dict[str, Any]:
        """Services whose /readyz is not 200, with its answer."""
        out: dict[str, Any] = {}
        for s in self.services.values():
            code, body = s.readyz()
            if code != 200:
                out[s.name] = (code, body)
        return out

    def stop(self) -> dict[str, tuple[int | None, float]]:
        """SIGTERM every running service (in pipeline order); exit code and seconds per service."""
        out: dict[str, tuple[int | None, float]] = {}
        for s in self.services.values():
            if s.alive():
                out[s.name] = s.sigterm(timeout_s=30.0)
        return out
