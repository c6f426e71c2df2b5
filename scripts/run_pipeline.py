"""`make run`: the stack, the offline demo source and the three services, in the foreground.

Starts the backing services (docker compose when a Docker engine answers, the
local stack otherwise), serves the demo site on loopback (or uses --sources),
runs fetcher, enricher and indexer as child processes with their logs in
.state/logs/, and prints a live progress line. Ctrl-C stops everything cleanly,
and the stack too if this command started it.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services"))

from akhbar.devsite import DevSite  # noqa: E402


def _docker_answers() -> bool:
    if os.environ.get("AKHBAR_NO_DOCKER"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _dev_dotenv() -> Path:
    """deploy/.env for a docker-backed `make run`: random Elasticsearch passwords, made once (mode 600)."""
    path = ROOT / "deploy" / ".env"
    if not path.exists():
        lines = [
            "# made by `make run` (scripts/run_pipeline.py); see deploy/.env.example",
            f"ELASTIC_PASSWORD={secrets.token_hex(24)}",
            f"AKHBAR_ES_INDEXER_PASSWORD={secrets.token_hex(24)}",
        ]
        path.touch(mode=0o600)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _dotenv_value(path: Path, name: str) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == name:
            return value.strip().strip("'\"")
    raise SystemExit(f"{path}: {name} is not set (see deploy/.env.example)")


def _stack_up() -> tuple[dict[str, str], list[list[str]]]:
    """Returns the env for the services and the commands that undo what we started."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") and os.environ.get("ELASTICSEARCH_URL"):
        return {}, []
    if _docker_answers():
        # the compose dev stack publishes fixed loopback ports (docker-compose.override.yml): a setting
        # naming another place is refused, not silently replaced
        for name, fixed in (
            ("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
            ("ELASTICSEARCH_URL", "127.0.0.1:9200"),
        ):
            value = os.environ.get(name)
            if value and fixed not in value:
                from akhbar.cli._shared import redact_url

                raise SystemExit(
                    f"{name}={redact_url(value)}: the compose dev stack listens on {fixed}; set both "
                    "KAFKA_BOOTSTRAP_SERVERS and ELASTICSEARCH_URL to use services of your own, "
                    "or AKHBAR_NO_DOCKER=1 for the local stack"
                )
        dotenv = _dev_dotenv()
        compose = [
            "docker",
            "compose",
            "-f",
            str(ROOT / "deploy/docker-compose.yml"),
            "-f",
            str(ROOT / "deploy/docker-compose.override.yml"),  # publishes 9092/9200 on loopback
            "--env-file",
            str(ROOT / "deploy/versions.env"),
            "--env-file",
            str(dotenv),
        ]
        # AKHBAR_CONTACT is required by the fetcher's service definition; only kafka and
        # elasticsearch are started here, so any value satisfies the interpolation.
        compose_env = {**os.environ, "AKHBAR_CONTACT": os.environ.get("AKHBAR_CONTACT", "ops@example.org")}
        subprocess.run(
            [*compose, "up", "-d", "--wait", "kafka", "elasticsearch"], check=True, env=compose_env
        )
        # the services run on this host as the superuser: a development stack, not a deployment
        password = _dotenv_value(dotenv, "ELASTIC_PASSWORD")
        return (
            {
                "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
                "ELASTICSEARCH_URL": f"http://elastic:{password}@127.0.0.1:9200",
            },
            [[*compose, "stop", "kafka", "elasticsearch"]],
        )
    # the local stack starts where the settings point (loopback ports from KAFKA_BOOTSTRAP_SERVERS and
    # ELASTICSEARCH_URL, as `akhbar stack up` does), so the services started below find it
    from click import ClickException

    from akhbar.cli.stack import stack_env
    from akhbar.settings import CommonSettings

    stack = str(ROOT / "deploy/local/stack.sh")
    try:
        wanted = stack_env(CommonSettings(_env_file=ROOT / ".env"), dict(os.environ))  # type: ignore[call-arg]
    except ClickException as err:
        raise SystemExit(err.format_message()) from None
    ports = {**os.environ, **wanted}
    was_up = subprocess.run([stack, "status"], capture_output=True, env=ports).returncode == 0
    subprocess.run([stack, "up"], check=True, env=ports)
    env = dict(
        line.split("=", 1)
        for line in subprocess.run(
            [stack, "env"], capture_output=True, text=True, check=True, env=ports
        ).stdout.split()
    )
    return env, ([] if was_up else [[stack, "down"]])


def service_commands(
    py: str, sources: str, enricher_workers: int, *, env_file: Path | None = None
) -> dict[str, list[str]]:
    """The command of every child, with the hosts and ports the services' own settings give.

    Fails, naming the variables, when two services would bind the same port: fetcher and
    indexer share this environment, so the generic ``AKHBAR_METRICS_PORT`` (which both
    accept when run alone) is refused here.
    """
    from enricher.settings import EnricherSettings
    from fetcher.settings import FetcherSettings
    from indexer.settings import IndexerSettings

    if os.environ.get("AKHBAR_METRICS_PORT"):
        raise SystemExit(
            "AKHBAR_METRICS_PORT is ambiguous here (fetcher and indexer run in one environment): "
            "set AKHBAR_FETCHER_METRICS_PORT and/or AKHBAR_INDEXER_METRICS_PORT instead"
        )
    fetcher = FetcherSettings(_env_file=env_file)  # type: ignore[call-arg]
    indexer = IndexerSettings(_env_file=env_file)  # type: ignore[call-arg]
    enricher = EnricherSettings(_env_file=env_file)  # type: ignore[call-arg]
    ports = {
        "AKHBAR_FETCHER_METRICS_PORT": fetcher.metrics_port,
        "AKHBAR_INDEXER_METRICS_PORT": indexer.metrics_port,
        **{f"AKHBAR_WEB_PORT + {i}": enricher.web_port + i for i in range(enricher_workers)},
    }
    if enricher.web_port + enricher_workers - 1 > 65535:
        raise SystemExit(f"AKHBAR_WEB_PORT={enricher.web_port} leaves no room for {enricher_workers} workers")
    seen: dict[int, str] = {}
    for name, port in ports.items():
        if port and port in seen:
            raise SystemExit(f"{seen[port]} and {name} are both {port}: give each service its own port")
        seen[port] = name
    # every child through the one CLI (`akhbar run …`, D15); the services' own `python -m` entry points
    # stay for compose and the fault suite
    akhbar = [py, "-m", "akhbar.cli", "run"]
    commands: dict[str, list[str]] = {
        "fetcher": [*akhbar, "fetcher", "--sources", sources],
        "indexer": [*akhbar, "indexer"],
    }
    for i in range(enricher_workers):
        commands[f"enricher-{i}"] = [
            *akhbar,
            "enricher",
            "--loglevel",
            "warn",
            "--web-port",
            str(enricher.web_port + i),
            "--web-host",
            enricher.web_host,
        ]
    return commands


def _progress(env: dict[str, str], raw: str, enriched: str, dlqs: list[str], index: str) -> tuple[int, str]:
    from elasticsearch import Elasticsearch
    from kafka import KafkaConsumer, TopicPartition

    def total(consumer: KafkaConsumer, topic: str) -> int:
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in parts]
        return sum(consumer.end_offsets(tps).values()) if tps else 0

    consumer = KafkaConsumer(bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"].split(","))
    try:
        counts = [total(consumer, raw), total(consumer, enriched), sum(total(consumer, t) for t in dlqs)]
    finally:
        consumer.close()
    es = Elasticsearch(env["ELASTICSEARCH_URL"], request_timeout=5)
    try:
        indexed = int(es.count(index=index, ignore_unavailable=True)["count"])
    except Exception:
        indexed = 0
    return indexed, (
        f"raw {counts[0]:>6} │ enriched {counts[1]:>6} │ indexed {indexed:>6} │ dead-lettered {counts[2]:>4}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sources", help="sources YAML (default: the bundled offline demo source)")
    parser.add_argument(
        "--until-indexed",
        type=int,
        default=None,
        help="stop by itself once this many documents are indexed (smoke tests)",
    )
    parser.add_argument("--timeout-s", type=float, default=None, help="stop after this many seconds")
    parser.add_argument(
        "--enricher-workers",
        type=int,
        default=int(os.environ.get("AKHBAR_ENRICHER_WORKERS", "0")) or (os.cpu_count() or 1),
        help="faust worker processes (default: one per core)",
    )
    args = parser.parse_args()
    service_commands(sys.executable, "-", args.enricher_workers, env_file=ROOT / ".env")  # ports, first

    print("== starting the stack", flush=True)
    stack_env, undo = _stack_up()
    env = {**os.environ, **stack_env, "PYTHONUNBUFFERED": "1"}
    env.setdefault("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    env.setdefault("ELASTICSEARCH_URL", "http://127.0.0.1:9200")
    logs = ROOT / ".state" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    site = None
    sources = args.sources
    if sources is None:
        # A fixed port keeps the demo URLs, hence the article ids, the same from run to run.
        port = int(os.environ.get("AKHBAR_DEMO_PORT", "18080"))
        try:
            site = DevSite(ROOT / "deploy/demo/site", port=port).start()
        except OSError:
            site = DevSite(ROOT / "deploy/demo/site").start()
        text = (
            (ROOT / "deploy/demo/site/sources.yaml").read_text(encoding="utf-8").replace("{base}", site.base)
        )
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8") as tmp:
            tmp.write(text)
        sources = tmp.name
        print(f"== offline demo source on {site.base}/feed.rss", flush=True)
    env.setdefault("AKHBAR_STATE_PATH", str(ROOT / ".state" / "fetcher.sqlite3"))
    commands = service_commands(sys.executable, sources, args.enricher_workers, env_file=ROOT / ".env")
    children: dict[str, subprocess.Popen[bytes]] = {}
    for name, cmd in commands.items():
        log = (logs / f"{name}.log").open("ab")
        # static group membership: a restarted worker gets its partitions back at once (D13)
        child_env = {
            **env,
            "AKHBAR_INSTANCE_ID": env.get("AKHBAR_INSTANCE_ID", socket.gethostname()) + f"-{name}",
        }
        children[name] = subprocess.Popen(
            cmd, cwd=ROOT, env=child_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        print(f"== {name} started (pid {children[name].pid}, log {log.name})", flush=True)

    stopping = {"flag": False}

    def on_signal(*_: object) -> None:
        stopping["flag"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    from indexer.settings import IndexerSettings

    # topic and index names from the settings the services read (environment and .env alike)
    names = IndexerSettings(_env_file=ROOT / ".env")  # type: ignore[call-arg]
    dlqs = [names.topic_dlq_fetcher, names.topic_dlq_enricher, names.topic_dlq_indexer]
    started = time.monotonic()
    rc = 0
    try:
        while not stopping["flag"]:
            dead = [n for n, p in children.items() if p.poll() is not None]
            if dead:
                print(f"\n!! {', '.join(dead)} exited; see .state/logs/", flush=True)
                rc = 1
                break
            try:
                indexed, line = _progress(env, names.topic_raw, names.topic_enriched, dlqs, names.read_alias)
            except Exception as err:  # the stack may still be warming up
                indexed, line = 0, f"waiting for services ({type(err).__name__})"
            print(f"\r{time.strftime('%H:%M:%S')} │ {line}   ", end="", flush=True)
            if args.until_indexed is not None and indexed >= args.until_indexed:
                print("\n== reached the requested number of indexed documents", flush=True)
                break
            if args.timeout_s is not None and time.monotonic() - started > args.timeout_s:
                print("\n!! timeout", flush=True)
                rc = 1
                break
            time.sleep(1.0)
    finally:
        print("\n== stopping services", flush=True)
        for p in children.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for name, p in children.items():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"!! {name} did not stop in time; killing", flush=True)
                os.killpg(p.pid, signal.SIGKILL)
        if site is not None:
            site.stop()
        for cmd in undo:
            print("== stopping the stack", flush=True)
            subprocess.run(cmd, check=False)
    return rc


if __name__ == "__main__":
    sys.exit(main())
