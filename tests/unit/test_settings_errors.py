"""Log levels are validated like every other setting: a bad one names its variable and exits 2."""

from __future__ import annotations

import pytest

from akhbar.settings import CommonSettings, settings_or_exit
from fetcher.settings import FetcherSettings


def test_a_bad_log_level_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AKHBAR_CLIENT_LOG_LEVEL", "chatty")
    with pytest.raises(SystemExit) as exit_info:
        settings_or_exit(FetcherSettings)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "error: invalid setting AKHBAR_CLIENT_LOG_LEVEL='chatty': Value error, 'chatty' is not a log "
        "level; use one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
    )


def test_log_levels_are_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AKHBAR_LOG_LEVEL", " debug ")
    assert CommonSettings().log_level == "DEBUG" and CommonSettings().client_log_level == "WARNING"
