"""The shipped default sources file validates, through the library and through the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fetcher.sources import SourceKind, load_sources

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "deploy" / "sources" / "default.yaml"


def test_default_sources_load_and_are_public_feeds() -> None:
    sources = load_sources(DEFAULT)
    assert [s.name for s in sources] == [
        "bbc-arabic",
        "dw-arabic",
        "france24-arabic",
        "un-news-arabic",
        "rt-arabic",
    ]
    for source in sources:
        assert source.kind is SourceKind.FEED
        assert source.language == "ar"
        assert not source.allow_private_addresses
        assert source.poll_interval_s >= 600
        assert all(str(u).startswith("https://") for u in source.urls)
    assert str(sources[1].urls[0]) == "https://rss.dw.com/rdf/rss-ar-all"


def test_validate_command_accepts_the_file() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fetcher", "validate", "--sources", str(DEFAULT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{DEFAULT}: 5 sources OK"


def test_validate_command_names_the_bad_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "sources:\n  - name: x\n    kind: rss\n    urls: ['https://a.example/f']\n", encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-m", "fetcher", "validate", "--sources", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"{bad}:2: source 'x': kind:" in done.stderr
