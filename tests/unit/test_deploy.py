"""The deployment files agree with the Compose Specification and with the code.

No Docker engine is needed: the compose files are validated against the Compose
Specification's JSON schema as the reference implementation ships it (``schema/compose-spec.json``
of the Go module ``github.com/compose-spec/compose-go/v2`` at :data:`COMPOSE_GO`, Apache-2.0,
fetched into the Go module cache by ``go mod download``: the schema docker compose itself
validates with), and every name, port and version in them is checked against the settings
classes, deploy/versions.env and the metrics the services define.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from akhbar.limits import kafka_limit
from akhbar.provision import ProvisionSettings, indexer_role, topic_configs
from akhbar.settings import CommonSettings
from enricher.settings import EnricherSettings
from fetcher.settings import FetcherSettings
from indexer.settings import IndexerSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SETTINGS: dict[str, type[BaseSettings]] = {
    "init": ProvisionSettings,
    "fetcher": FetcherSettings,
    "enricher": EnricherSettings,
    "indexer": IndexerSettings,
}
# interpolated by docker-compose.yml, read by no service (documented in .env.example)
COMPOSE_ONLY = {"AKHBAR_VERSION", "AKHBAR_ENRICHER_REPLICAS"}
INTERPOLATION = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")


def _env_names(cls: type[BaseSettings]) -> dict[str, str]:
    """Every environment variable the class reads -> its field name."""
    names: dict[str, str] = {}
    for field, info in cls.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.update({str(choice): field for choice in alias.choices})
        elif isinstance(alias, str):
            names[alias] = field
        else:
            names[f"AKHBAR_{field.upper()}"] = field
    return names


def _compose(name: str = "docker-compose.yml") -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))


def _env_example() -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^#?([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            entries[match.group(1)] = match.group(2)
    return entries


def _pins() -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in (DEPLOY / "versions.env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    return {k.strip(): v.strip() for k, v in pairs}


# ---- (a) the Compose Specification ----

COMPOSE_GO = "github.com/compose-spec/compose-go/v2@v2.9.0"  # newest that Go 1.26.8 here accepts


@functools.cache
def _compose_schema() -> dict[str, Any]:
    """The schema from the compose-go module (go mod download caches it; no network after the first time)."""
    go = shutil.which("go")
    if go is None:
        if os.environ.get("CI"):
            pytest.fail("the go command is needed to fetch the Compose Specification schema")
        pytest.skip("no go command: cannot fetch the Compose Specification schema")
    done = subprocess.run(
        [go, "mod", "download", "-json", COMPOSE_GO], capture_output=True, text=True, timeout=300
    )
    info = json.loads(done.stdout or "{}")
    if not info.get("Dir"):
        pytest.fail(f"go mod download {COMPOSE_GO} failed: {info.get('Error') or done.stderr[-500:]}")
    return json.loads((Path(info["Dir"]) / "schema" / "compose-spec.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["docker-compose.yml", "docker-compose.override.yml"])
def test_compose_file_is_valid_against_the_compose_specification(name: str) -> None:
    schema = _compose_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    # the schema names draft-07 without the trailing "#" jsonschema looks up: say it explicitly
    jsonschema.Draft7Validator(schema).validate(_compose(name))


def test_the_schema_check_would_catch_a_mistake() -> None:
    schema = _compose_schema()
    broken = _compose()
    broken["services"]["indexer"]["healthcheck"]["intervall"] = "15s"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(broken)


def test_override_only_adds_loopback_ports_to_known_services() -> None:
    base, override = _compose()["services"], _compose("docker-compose.override.yml")["services"]
    for name, service in override.items():
        assert name in base
        assert set(service) == {"ports"}, name
        for port in service["ports"]:
            assert str(port).startswith("127.0.0.1:"), (name, port)
    assert not any("ports" in s for s in base.values()), "published ports belong in the override"


# ---- (b) names, ports and versions match the code ----


def test_every_akhbar_variable_given_to_a_service_is_one_of_its_settings() -> None:
    for name, service in _compose()["services"].items():
        env = service.get("environment") or {}
        if name not in SETTINGS:
            assert not [k for k in env if k.startswith("AKHBAR_")], name
            continue
        known = _env_names(SETTINGS[name])
        for key in env:
            if key.startswith("AKHBAR_") or key in ("KAFKA_BOOTSTRAP_SERVERS", "ELASTICSEARCH_URL"):
                assert key in known, f"{name}: {key} is not a field of {SETTINGS[name].__name__}"


def test_every_interpolated_and_example_variable_is_a_setting_or_documented_compose_only() -> None:
    every = set().union(*(_env_names(cls) for cls in SETTINGS.values()))
    text = (DEPLOY / "docker-compose.yml").read_text(encoding="utf-8")
    interpolated = {v for v in INTERPOLATION.findall(text) if v.startswith("AKHBAR_")}
    example = {k for k in _env_example() if k.startswith("AKHBAR_")}
    assert interpolated - every - COMPOSE_ONLY == set()
    assert example - every - COMPOSE_ONLY == set()
    assert set(INTERPOLATION.findall(text)) <= set(_env_example()) | set(_pins())


def test_env_example_lists_every_field_of_every_service_with_its_default() -> None:
    example = _env_example()
    classes: list[type[BaseSettings]] = [*SETTINGS.values(), CommonSettings]
    for cls in classes:
        for field, info in cls.model_fields.items():
            alias = info.validation_alias
            # a field read under several names is listed under its first (the specific) one
            var = str(alias.choices[0]) if isinstance(alias, AliasChoices) else f"AKHBAR_{field.upper()}"
            assert var in example, f"{var} ({cls.__name__}.{field}) missing from deploy/.env.example"
            if example[var] and info.default is not None:
                assert example[var] == str(info.default), var


def test_compose_passes_every_tunable_setting_to_its_service() -> None:
    """Without this an operator's deploy/.env line would silently not reach the container."""
    fixed_or_unset = {"metrics_port", "metrics_host", "web_port", "web_host"}
    index_fields = {"index_prefix", "index_shards", "index_replicas", "refresh_interval"}
    services = _compose()["services"]
    for name, cls in SETTINGS.items():
        env = services[name]["environment"]
        given = {field for var, field in _env_names(cls).items() if var in env}
        wanted = set(cls.model_fields) - fixed_or_unset
        if name == "init":  # the indexer's batching and consumer knobs are no business of the init job
            wanted -= set(IndexerSettings.model_fields) - set(CommonSettings.model_fields) - index_fields
        if name in ("fetcher", "enricher"):  # they never talk to Elasticsearch
            wanted.discard("elasticsearch_url")
        assert wanted - given == set(), f"{name} does not get {sorted(wanted - given)}"


def test_ports_in_compose_are_the_settings_defaults() -> None:
    services = _compose()["services"]
    ports = {
        "fetcher": ("AKHBAR_FETCHER_METRICS_PORT", FetcherSettings.model_fields["metrics_port"].default),
        "indexer": ("AKHBAR_INDEXER_METRICS_PORT", IndexerSettings.model_fields["metrics_port"].default),
        "enricher": ("AKHBAR_WEB_PORT", EnricherSettings.model_fields["web_port"].default),
    }
    prometheus = (DEPLOY / "monitoring/prometheus.yml").read_text(encoding="utf-8")
    override = _compose("docker-compose.override.yml")["services"]
    for name, (var, default) in ports.items():
        service = services[name]
        assert service["environment"][var] == str(default)
        assert service["healthcheck"]["test"][-1] == f"http://127.0.0.1:{default}/readyz"
        assert re.search(rf"{name}:{default}\b|names: \[\"{name}\"\][^-]*port: {default}", prometheus), name
        websub = FetcherSettings.model_fields["websub_port"].default
        for published in override.get(name, {}).get("ports", []):
            # the fetcher also publishes its WebSub callback, at its default port
            assert published.endswith(f":{default}") or (name, published) == (
                "fetcher",
                f"127.0.0.1:{websub}:{websub}",
            ), published
    assert services["fetcher"]["environment"]["AKHBAR_WEBSUB_PORT"] == str(
        FetcherSettings.model_fields["websub_port"].default
    )
    assert services["fetcher"]["environment"]["AKHBAR_WEBSUB_HOST"] == "0.0.0.0"
    host_vars = {
        "fetcher": "AKHBAR_METRICS_HOST",
        "indexer": "AKHBAR_METRICS_HOST",
        "enricher": "AKHBAR_WEB_HOST",
    }
    for name, var in host_vars.items():
        assert services[name]["environment"][var] == "0.0.0.0"
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^EXPOSE 9101 8095 6066 9103$", dockerfile, re.M)


def test_instance_id_is_per_container_in_compose() -> None:
    """One literal id for every replica would make them fence each other off: only `hostname`."""
    services = _compose()["services"]
    for name in ("fetcher", "enricher", "indexer"):
        assert services[name]["environment"].get("AKHBAR_INSTANCE_ID") == "hostname", name
    assert services["enricher"]["deploy"]["replicas"] == "${AKHBAR_ENRICHER_REPLICAS:-2}"


def test_image_versions_are_the_pins() -> None:
    pins, services = _pins(), _compose()["services"]
    assert pins["KAFKA_VERSION"] == "4.0.2" and pins["ELASTICSEARCH_VERSION"] == "9.2.4"  # D1
    expected = {
        "kafka": "apache/kafka:${KAFKA_VERSION:?",
        "elasticsearch": "docker.elastic.co/elasticsearch/elasticsearch:${ELASTICSEARCH_VERSION:?",
        "kibana": "docker.elastic.co/kibana/kibana:${ELASTICSEARCH_VERSION:?",
        "prometheus": "prom/prometheus:${PROMETHEUS_VERSION:?",
        "grafana": "grafana/grafana:${GRAFANA_VERSION:?",
    }
    for name, prefix in expected.items():
        assert services[name]["image"].startswith(prefix), name
    for var in ("PROMETHEUS_VERSION", "GRAFANA_VERSION"):
        assert re.fullmatch(r"v?\d+\.\d+\.\d+", pins[var]), var


def test_one_image_built_once_for_init_and_the_three_services() -> None:
    services = _compose()["services"]
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    ours = ["init", "fetcher", "enricher", "indexer"]
    assert {services[n]["image"] for n in ours} == {f"akhbar:${{AKHBAR_VERSION:-{version}}}"}
    assert [n for n, s in services.items() if "build" in s] == ["init"]


def test_data_stays_on_volumes_and_security_is_on() -> None:
    services = _compose()["services"]
    kafka = services["kafka"]
    assert kafka["environment"]["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"
    assert "kafka-data:/var/lib/kafka/data" in kafka["volumes"]
    es = services["elasticsearch"]["environment"]
    assert es["xpack.security.enabled"] == "true"
    assert es["ELASTIC_PASSWORD"].startswith("${ELASTIC_PASSWORD:?")
    # only the init job holds the superuser; the indexer uses its own user; the others no ES at all
    assert "elastic:${ELASTIC_PASSWORD" in services["init"]["environment"]["ELASTICSEARCH_URL"]
    assert "ELASTIC_PASSWORD" not in services["indexer"]["environment"]["ELASTICSEARCH_URL"]
    for name in ("fetcher", "enricher"):
        assert "ELASTICSEARCH_URL" not in services[name]["environment"]
    role = indexer_role(IndexerSettings())
    assert "all" not in role["cluster"] and "manage" not in role["cluster"]  # type: ignore[operator]


def test_operational_limits_on_every_long_running_service() -> None:
    services = _compose()["services"]
    for name, service in services.items():
        assert service["logging"]["driver"] == "json-file", name
        assert {"max-size", "max-file"} <= set(service["logging"]["options"]), name
        assert service["deploy"]["resources"]["limits"]["memory"], name
        if name == "init":
            assert service["restart"] == "no"
            continue
        assert service["restart"] == "unless-stopped", name
        assert service.get("stop_grace_period"), name
        assert service.get("healthcheck", {}).get("test"), name
    es = services["elasticsearch"]
    assert es["ulimits"]["memlock"] == {"soft": -1, "hard": -1}
    assert es["ulimits"]["nofile"]["soft"] >= 65536
    for name in ("fetcher", "enricher", "indexer"):
        assert services[name]["depends_on"]["init"] == {"condition": "service_completed_successfully"}
    assert services["kibana"]["profiles"] == ["kibana"]
    assert services["prometheus"]["profiles"] == services["grafana"]["profiles"] == ["monitoring"]


def test_init_job_topics_are_explicit_and_match_the_size_policy() -> None:
    settings = ProvisionSettings(max_message_bytes=2 * 1_048_576)
    configs = topic_configs(settings)
    assert set(configs) == set(settings.all_topics())
    for cfg in configs.values():
        assert cfg["max.message.bytes"] == str(kafka_limit(2 * 1_048_576)) == str(2 * 1_048_576 + 64 * 1024)
        assert cfg["cleanup.policy"] in ("delete", "compact") and "retention.ms" in cfg
    assert configs[settings.topic_enriched] == {
        "cleanup.policy": "compact",
        "retention.ms": "-1",
        "max.message.bytes": str(kafka_limit(2 * 1_048_576)),
    }


def test_placeholder_passwords_are_refused() -> None:
    with pytest.raises(ValueError, match="placeholder"):
        ProvisionSettings(es_indexer_password="changeme")  # type: ignore[arg-type]


# ---- Prometheus rules and dashboard ----


def _defined_metrics() -> set[str]:
    names: set[str] = set()
    pattern = re.compile(r"\b(?:Counter|Gauge|Histogram|Summary)\(\s*\"(akhbar_[a-z0-9_]+)\"", re.S)
    for path in (ROOT / "services").rglob("*.py"):
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return names


def _used_metrics(text: str) -> set[str]:
    return {re.sub(r"_(bucket|sum|count)$", "", m) for m in re.findall(r"\bakhbar_[a-z0-9_]+", text)}


def test_alert_rules_load_and_use_only_metrics_the_code_defines() -> None:
    rules = yaml.safe_load((DEPLOY / "monitoring/alerts.yml").read_text(encoding="utf-8"))
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    assert all(rule.get("alert") and rule.get("expr") for g in rules["groups"] for rule in g["rules"])
    used = _used_metrics("\n".join(exprs))
    assert used - _defined_metrics() == set()
    for wanted in (
        "akhbar_consumer_lag",
        "akhbar_indexer_paused",
        "akhbar_dead_letter_brake_engaged",
        "akhbar_ready",
        "akhbar_fetcher_articles_total",
        "akhbar_fetcher_fetched_total",
        "akhbar_indexer_consumer_rebuilds_total",
        "akhbar_kafka_producer_rebuilds_total",
        "akhbar_indexer_documents_total",
    ):
        assert wanted in used, wanted


def test_dashboard_is_provisioned_and_uses_only_defined_metrics() -> None:
    dashboard = json.loads((DEPLOY / "monitoring/grafana/dashboards/akhbar.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert _used_metrics("\n".join(exprs)) - _defined_metrics() == set()
    provider = yaml.safe_load((DEPLOY / "monitoring/grafana/provisioning/dashboards/akhbar.yml").read_text())
    mount = "./monitoring/grafana/dashboards:" + provider["providers"][0]["options"]["path"] + ":ro"
    assert mount in _compose()["services"]["grafana"]["volumes"]


# ---- the Dockerfile (read, not built: no Docker engine here) ----


def _stages() -> list[list[str]]:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    instructions = [
        line.strip()
        for line in re.sub(r"\\\n", " ", text).splitlines()
        if line.strip() and not line.startswith("#")
    ]
    stages: list[list[str]] = [[]]
    for line in instructions:
        if line.upper().startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    return stages


def test_dockerfile_is_pinned_multi_stage_non_root_with_a_healthcheck() -> None:
    preamble, *stages = _stages()
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", "\n".join(preamble), re.M))
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", args["PYTHON_IMAGE"])
    assert len(stages) >= 2 and all(s[0].startswith("FROM ${PYTHON_IMAGE}") for s in stages)
    final = stages[-1]
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert any(line.startswith("HEALTHCHECK ") and "/app/healthcheck.py" in line for line in final)
    assert any(line.startswith("EXPOSE ") for line in final)


def test_models_reach_the_image_once() -> None:
    """Only the build stage copies the source (with the models); the runtime takes the installed venv."""
    *_, final = _stages()
    copies = [line for line in final if line.startswith("COPY ")]
    assert not [c for c in copies if "services" in c or "models" in c], copies
    assert sum("--from=build" in c for c in copies) == 1
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["tool"]["setuptools"]["package-data"]["enricher"] == [
        "models/*/*",
        "ner/data/*",
        "entities/data/*",
    ]


def test_every_data_file_of_a_package_is_installed_with_it() -> None:
    """A non-editable install (the image) gets only what package-data names: every file a package
    reads (models, the tagger's word lists and rules) must match one of its patterns."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]
    missing = []
    for package in sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists()):
        base = ROOT / "services" / package
        for path in base.rglob("*"):
            if not path.is_file() or path.suffix in {".py", ".pyc", ".typed"} or "__pycache__" in path.parts:
                continue
            rel = path.relative_to(base).as_posix()
            if not any(fnmatch.fnmatch(rel, pattern) for pattern in patterns.get(package, [])):
                missing.append(f"{package}/{rel}")
    assert missing == []


def test_build_backend_supports_the_pep_639_licence_string() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["license"] == "Apache-2.0"
    pin = next(r for r in pyproject["build-system"]["requires"] if r.startswith("setuptools"))
    assert tuple(int(x) for x in re.search(r">=(\d+)", pin).group(1).split(".")) >= (77,)  # type: ignore[union-attr]


def test_dockerignore_keeps_the_context_small_and_secret_free() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for pattern in (".venv", ".stack*", ".state", ".git", "**/__pycache__", ".mypy_cache", ".env"):
        assert pattern in ignored, pattern
    assert "!deploy/healthcheck.py" in ignored


def test_healthcheck_script_answers_for_a_live_and_a_dead_url(tmp_path: Path) -> None:
    import http.server
    import threading

    sys.path.insert(0, str(DEPLOY))
    try:
        import healthcheck
    finally:
        sys.path.remove(str(DEPLOY))

    class Live(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/livez" else 503)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Live)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        assert healthcheck.main([f"{base}/livez"]) == 0
        assert healthcheck.main([f"{base}/readyz"]) == 1
        assert healthcheck.main(["http://127.0.0.1:1/livez"]) == 1
    finally:
        server.shutdown()


# ---- item 5: every host and port setting honoured ----


def test_fetcher_and_indexer_have_their_own_metrics_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AKHBAR_FETCHER_METRICS_PORT", "19101")
    monkeypatch.setenv("AKHBAR_INDEXER_METRICS_PORT", "19103")
    monkeypatch.setenv("AKHBAR_METRICS_PORT", "19999")  # the specific variable wins
    assert FetcherSettings(_env_file=None).metrics_port == 19101  # type: ignore[call-arg]
    assert IndexerSettings(_env_file=None).metrics_port == 19103  # type: ignore[call-arg]
    monkeypatch.delenv("AKHBAR_FETCHER_METRICS_PORT")
    monkeypatch.delenv("AKHBAR_INDEXER_METRICS_PORT")
    # alone in its environment, a service still honours the generic variable
    assert FetcherSettings(_env_file=None).metrics_port == 19999  # type: ignore[call-arg]
    monkeypatch.delenv("AKHBAR_METRICS_PORT")
    assert FetcherSettings(_env_file=None).metrics_port == 9101  # type: ignore[call-arg]
    assert IndexerSettings(_env_file=None).metrics_port == 9103  # type: ignore[call-arg]
    assert "metrics_port" not in CommonSettings.model_fields  # the enricher has AKHBAR_WEB_PORT
    assert CommonSettings.model_fields["metrics_host"].default == "127.0.0.1"  # loopback outside compose
    assert EnricherSettings.model_fields["web_host"].default == "127.0.0.1"


def _run_pipeline() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("run_pipeline", ROOT / "scripts/run_pipeline.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _clear_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "AKHBAR_METRICS_PORT",
        "AKHBAR_FETCHER_METRICS_PORT",
        "AKHBAR_INDEXER_METRICS_PORT",
        "AKHBAR_WEB_PORT",
        "AKHBAR_WEB_HOST",
    ):
        monkeypatch.delenv(var, raising=False)


def test_make_run_takes_the_enricher_web_port_and_host_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear_ports(monkeypatch)
    run = _run_pipeline()
    monkeypatch.setenv("AKHBAR_WEB_PORT", "17000")
    monkeypatch.setenv("AKHBAR_WEB_HOST", "127.0.0.2")
    commands = run.service_commands("python", "s.yaml", 3)
    for i in range(3):
        cmd = commands[f"enricher-{i}"]
        assert cmd[cmd.index("--web-port") + 1] == str(17000 + i)
        assert cmd[cmd.index("--web-host") + 1] == "127.0.0.2"
    monkeypatch.delenv("AKHBAR_WEB_PORT")
    monkeypatch.delenv("AKHBAR_WEB_HOST")
    cmd = run.service_commands("python", "s.yaml", 1)["enricher-0"]
    assert cmd[cmd.index("--web-port") + 1] == "6066" and cmd[cmd.index("--web-host") + 1] == "127.0.0.1"


def test_make_run_refuses_ports_that_would_collide(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear_ports(monkeypatch)
    run = _run_pipeline()
    monkeypatch.setenv("AKHBAR_METRICS_PORT", "9200")
    with pytest.raises(SystemExit, match="AKHBAR_FETCHER_METRICS_PORT"):
        run.service_commands("python", "s.yaml", 1)
    monkeypatch.delenv("AKHBAR_METRICS_PORT")
    monkeypatch.setenv("AKHBAR_INDEXER_METRICS_PORT", "6067")
    with pytest.raises(
        SystemExit, match=r"AKHBAR_INDEXER_METRICS_PORT and AKHBAR_WEB_PORT \+ 1 are both 6067"
    ):
        run.service_commands("python", "s.yaml", 2)
    assert "enricher-0" in run.service_commands("python", "s.yaml", 1)  # 6066 alone: fine
