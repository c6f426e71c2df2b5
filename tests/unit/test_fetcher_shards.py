"""Fetcher sharding: every source has exactly one owner, the same one on every run and host."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from akhbar.settings import settings_or_exit
from fetcher.settings import FetcherSettings
from fetcher.shards import owned_sources, shard_of
from fetcher.sources import Source, SourceKind

NAMES = [f"source-{i}" for i in range(200)] + ["bbc-arabic", "aljazeera", "skynews-ar"]


def _source(name: str) -> Source:
    return Source(name=name, kind=SourceKind.FEED, urls=["https://example.org/feed.rss"])  # type: ignore[list-item]


def test_assignment_is_pinned() -> None:
    # sha256 of "shard:name": these values may never change, or fetchers in a rolling upgrade
    # would disagree on who owns a source (a source polled twice, or by nobody)
    assert {n: shard_of(n, 2) for n in ("bbc-arabic", "aljazeera", "skynews-ar")} == {
        "bbc-arabic": 0,
        "aljazeera": 0,
        "skynews-ar": 1,
    }
    assert [shard_of(f"stream-{i}", 2) for i in range(8)] == [0, 0, 1, 1, 1, 1, 0, 0]
    assert shard_of("asharq-al-awsat", 3) == 2


def test_stable_across_processes() -> None:
    code = "from fetcher.shards import shard_of; print([shard_of(f'source-{i}', 4) for i in range(50)])"
    runs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "services")},
        ).stdout
        for seed in ("1", "2")
    }
    assert runs == {str([shard_of(f"source-{i}", 4) for i in range(50)]) + "\n"}


@pytest.mark.parametrize("shards", [1, 2, 3, 5])
def test_shards_cover_every_source_once(shards: int) -> None:
    sources = [_source(n) for n in NAMES]
    owned = [owned_sources(sources, shard, shards) for shard in range(shards)]
    names = [s.name for part in owned for s in part]
    assert sorted(names) == sorted(NAMES)  # all covered, none twice
    assert all(part for part in owned)
    # roughly even: no shard owns more than twice its fair share of 203 sources
    assert max(len(part) for part in owned) <= 2 * len(NAMES) / shards
    # file order is kept within a shard
    assert [s.name for s in owned[0]] == [n for n in NAMES if shard_of(n, shards) == 0]


def test_adding_a_shard_moves_sources_only_to_the_new_one() -> None:
    for n in (1, 2, 3):
        for name in NAMES:
            before, after = shard_of(name, n), shard_of(name, n + 1)
            assert after in (before, n), f"{name} moved from shard {before} to old shard {after}"


def test_bad_shard_arguments() -> None:
    with pytest.raises(ValueError, match=r"0\.\.1"):
        owned_sources([], 2, 2)
    with pytest.raises(ValueError, match="at least 1"):
        shard_of("x", 0)


def test_shard_beyond_shards_is_a_settings_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AKHBAR_FETCHER_SHARDS", "2")
    monkeypatch.setenv("AKHBAR_FETCHER_SHARD", "2")
    with pytest.raises(SystemExit) as exit_info:
        settings_or_exit(FetcherSettings)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "error: invalid setting AKHBAR_FETCHER_SHARD='2': Value error, shard 2 does not exist with "
        "AKHBAR_FETCHER_SHARDS=2 (shards are 0..1)"
    )


def test_defaults_are_one_shard() -> None:
    settings = FetcherSettings()
    assert (settings.fetcher_shard, settings.fetcher_shards) == (0, 1)


def test_a_shard_without_sources_exits_2(tmp_path: Path) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n  - name: bbc-arabic\n    kind: feed\n    urls: ['https://example.org/feed.rss']\n",
        encoding="utf-8",
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "AKHBAR_FETCHER_SHARDS": "2",
        "AKHBAR_FETCHER_SHARD": "1",  # bbc-arabic belongs to shard 0
        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "services"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "fetcher", "--sources", str(sources), "once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "fetcher shard 1 of 2 owns none of the 1 sources" in done.stderr
