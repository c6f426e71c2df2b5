"""``akhbar stack up|down|status|env``: the local Kafka + Elasticsearch of deploy/local/stack.sh.

The stack is started where the settings point: its ports come from KAFKA_BOOTSTRAP_SERVERS
and ELASTICSEARCH_URL (loopback only: the local stack binds 127.0.0.1; stack.sh's KAFKA_PORT /
ES_PORT when those are unset), the Kafka controller takes the next port unless
KAFKA_CONTROLLER_PORT says otherwise, and AKHBAR_STACK_DIR keeps a second stack's files apart.
So ``KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:39092 akhbar stack up`` and the services started with
the same environment find each other.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import click

from akhbar.cli._shared import ES_SETTING, KAFKA_SETTING, CliError, SettingsError, load_settings
from akhbar.settings import CommonSettings

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_REPO = Path(__file__).resolve().parents[3]


def stack_script() -> Path:
    """deploy/local/stack.sh of the source checkout this package runs from."""
    script = _REPO / "deploy" / "local" / "stack.sh"
    if not script.is_file():
        raise CliError(f"the local stack needs a source checkout: {script} not found")
    return script


def stack_env(settings: CommonSettings, environ: dict[str, str]) -> dict[str, str]:
    """KAFKA_PORT, KAFKA_CONTROLLER_PORT and ES_PORT for stack.sh, from the settings; refuses conflicts.

    On ports other than 9092/9200, and unless AKHBAR_STACK_DIR says where, the stack's files go to
    ``.stack-<kafka port>`` so it never shares a log directory with the default stack.

    stack.sh's own KAFKA_PORT / ES_PORT still count when the matching setting is left at its
    default (``KAFKA_PORT=39092 make stack-up`` keeps working); set both and they must agree.
    """
    wanted: dict[str, str] = {}
    explicit = settings.model_fields_set
    if "kafka_bootstrap_servers" in explicit or not environ.get("KAFKA_PORT"):
        servers = [s.strip() for s in settings.kafka_bootstrap_servers.split(",") if s.strip()]
        host, _, port = servers[0].rpartition(":") if servers else ("", "", "")
        if len(servers) != 1 or host.strip("[]") not in _LOOPBACK or not port.isdigit():
            raise SettingsError(
                f"{KAFKA_SETTING}={settings.kafka_bootstrap_servers!r}: the local stack runs one broker "
                "on loopback; give one 127.0.0.1:PORT"
            )
        wanted["KAFKA_PORT"] = port
    if "elasticsearch_url" in explicit or not environ.get("ES_PORT"):
        es = urlsplit(settings.elasticsearch_url)
        if es.hostname not in _LOOPBACK or es.scheme != "http":
            raise SettingsError(
                f"{ES_SETTING}: the local stack serves http on loopback, not {es.scheme}://{es.hostname}"
            )
        wanted["ES_PORT"] = str(es.port or 9200)
    for name, setting in (("KAFKA_PORT", KAFKA_SETTING), ("ES_PORT", ES_SETTING)):
        if name not in wanted:
            wanted[name] = environ[name]
        elif environ.get(name) and environ[name] != wanted[name]:
            raise SettingsError(
                f"{name}={environ[name]} but {setting} says {wanted[name]}: set one of them, or both alike"
            )
    wanted["KAFKA_CONTROLLER_PORT"] = environ.get("KAFKA_CONTROLLER_PORT") or str(
        int(wanted["KAFKA_PORT"]) + 1
    )
    if wanted["KAFKA_CONTROLLER_PORT"] in (wanted["KAFKA_PORT"], wanted["ES_PORT"]):
        raise SettingsError(f"KAFKA_CONTROLLER_PORT={wanted['KAFKA_CONTROLLER_PORT']} collides with a port")
    ports = {k: wanted[k] for k in ("KAFKA_PORT", "KAFKA_CONTROLLER_PORT", "ES_PORT")}
    if not environ.get("AKHBAR_STACK_DIR") and (ports["KAFKA_PORT"], ports["ES_PORT"]) != ("9092", "9200"):
        # a stack on other ports gets its own files: two brokers on one log directory refuse to start
        ports["AKHBAR_STACK_DIR"] = str(_REPO / f".stack-{ports['KAFKA_PORT']}")
    return ports


def _stack(action: str) -> None:
    settings = load_settings(CommonSettings)
    env = {**os.environ, **stack_env(settings, dict(os.environ))}
    code = subprocess.run([str(stack_script()), action], env=env, check=False).returncode
    if code:
        raise click.exceptions.Exit(code)


@click.group()
def stack() -> None:
    """The local Kafka + Elasticsearch without Docker (deploy/local/stack.sh), on the configured ports."""


@stack.command()
def up() -> None:
    """Start Kafka and Elasticsearch (downloads cached in AKHBAR_STACK_DIR; idempotent)."""
    _stack("up")


@stack.command()
def down() -> None:
    """Stop them (data stays)."""
    _stack("down")


@stack.command("status")
def stack_status() -> None:
    """Whether both run; exit code 1 when one does not."""
    _stack("status")


@stack.command()
def env() -> None:
    """Print the variables the services and tests need for this stack."""
    _stack("env")
