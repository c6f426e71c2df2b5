from __future__ import annotations

from pathlib import Path

import pytest

from fetcher.sources import SourceKind, SourcesFileError, load_sources

ROOT = Path(__file__).resolve().parents[2]


def test_valid_file(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(
        "sources:\n"
        "  - name: bbc-arabic\n    kind: feed\n    urls: ['https://feeds.example.org/arabic/rss.xml']\n"
        "    poll_interval_s: 120\n    headers: {X-Token: abc}\n    timezone: Asia/Amman\n"
        "  - name: agg\n    kind: sitemap_index\n    urls: ['https://agg.example.org/sitemap.xml']\n"
        "    aggregator: true\n",
        encoding="utf-8",
    )
    sources = load_sources(f)
    assert [s.name for s in sources] == ["bbc-arabic", "agg"]
    assert sources[0].headers == {"X-Token": "abc"}
    assert sources[0].poll_interval_s == 120
    assert sources[1].kind is SourceKind.SITEMAP_INDEX and sources[1].aggregator


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "sources:\n  - name: ok\n    kind: feed\n    urls: ['https://a.example.org/f']\n"
            "  - name: bad\n    kind: podcast\n    urls: ['https://a.example.org/f']\n",
            ":5: source 'bad': kind: Input should be",
        ),
        (
            "sources:\n  - name: tz\n    kind: feed\n    urls: ['https://a.example.org/f']\n    timezone: Mars/Base\n",
            ":2: source 'tz': timezone: Value error, unknown timezone 'Mars/Base'",
        ),
        ("sources:\n  - name: x\n    kind: feed\n    urls: ['not a url']\n", ":2: source 'x': urls.0:"),
        (
            "sources:\n  - name: d\n    kind: feed\n    urls: ['https://a.example.org/f']\n"
            "  - name: d\n    kind: feed\n    urls: ['https://a.example.org/g']\n",
            ":5: duplicate source name 'd' (first at line 2)",
        ),
        (
            "sources:\n  - name: typo\n    kind: feed\n    url: ['https://a.example.org/f']\n",
            ":2: source 'typo':",
        ),
        ("sources: [\n", "not valid YAML"),
        ("feeds: []\n", "expected a top-level 'sources:' list"),
    ],
)
def test_errors_name_the_line(tmp_path: Path, body: str, message: str) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(SourcesFileError) as info:
        load_sources(f)
    assert message in str(info.value)
    assert str(info.value).startswith(str(f))


def test_bundled_demo_sources_are_valid(tmp_path: Path) -> None:
    text = (
        (ROOT / "deploy/demo/site/sources.yaml")
        .read_text(encoding="utf-8")
        .replace("{base}", "http://127.0.0.1:1")
    )
    f = tmp_path / "demo.yaml"
    f.write_text(text, encoding="utf-8")
    (demo,) = load_sources(f)
    assert demo.name == "demo" and demo.allow_private_addresses
