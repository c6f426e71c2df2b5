"""A bad setting stops a service at start with one line naming the variable, exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from akhbar.settings import CommonSettings, env_name, load_settings
from fetcher.settings import FetcherSettings
from indexer.settings import IndexerSettings


def test_env_names_follow_prefix_and_aliases() -> None:
    assert env_name(IndexerSettings, "max_batch_size") == "AKHBAR_MAX_BATCH_SIZE"
    assert env_name(CommonSettings, "elasticsearch_url") == "ELASTICSEARCH_URL / AKHBAR_ELASTICSEARCH_URL"
    assert env_name(CommonSettings, "kafka_bootstrap_servers").startswith("KAFKA_BOOTSTRAP_SERVERS")


def test_load_settings_names_every_bad_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AKHBAR_FETCH_CONCURRENCY", "zero")
    monkeypatch.setenv("AKHBAR_CLIENT_LOG_LEVEL", "chatty")
    with pytest.raises(SystemExit) as exit_info:
        load_settings(FetcherSettings, "fetcher")
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert sorted(lines) == [
        "fetcher: invalid setting AKHBAR_CLIENT_LOG_LEVEL: Value error, 'chatty' is not a log level; "
        "use one of DEBUG, INFO, WARNING, ERROR, CRITICAL (got 'chatty')",
        "fetcher: invalid setting AKHBAR_FETCH_CONCURRENCY: Input should be a valid integer, unable to "
        "parse string as an integer (got 'zero')",
    ]


def test_log_levels_are_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AKHBAR_LOG_LEVEL", " debug ")
    assert CommonSettings().log_level == "DEBUG" and CommonSettings().client_log_level == "WARNING"


@pytest.mark.parametrize(("module", "argv"), [("indexer", ["run"]), ("fetcher", ["run"])])
def test_a_service_started_with_a_bad_setting_exits_2_without_a_traceback(
    module: str, argv: list[str]
) -> None:
    env = {"AKHBAR_SESSION_TIMEOUT_MS": "-5", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", module, *argv], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"{module}: invalid setting AKHBAR_SESSION_TIMEOUT_MS: Input should be greater than or equal "
        "to 6000 (got '-5')"
    )
