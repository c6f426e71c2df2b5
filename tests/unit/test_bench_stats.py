"""The pure parts of `make bench`: percentiles, rates, lag growth, saturation, the results page."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import report, stats  # noqa: E402


def test_nearest_rank_percentiles_are_samples() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert stats.percentile(values, 50) == 50.0
    assert stats.percentile(values, 95) == 95.0
    assert stats.percentile(values, 99) == 99.0
    assert stats.percentile(values, 100) == 100.0
    assert stats.percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert stats.percentile([3.0, 1.0, 2.0], 99) == 3.0  # ceil(0.99 * 3) = 3rd
    assert stats.percentile([7.0], 1) == 7.0
    assert math.isnan(stats.percentile([], 50))
    with pytest.raises(ValueError):
        stats.percentile([1.0], 0)


def test_latency_summary() -> None:
    assert stats.latency_summary([0.5, 1.5, 1.0, 4.0]) == {
        "n": 4,
        "p50": 1.0,
        "p95": 4.0,
        "p99": 4.0,
        "max": 4.0,
        "mean": 1.75,
    }
    assert stats.latency_summary([]) == {"n": 0}


def test_slope_and_rates() -> None:
    assert stats.slope([(0.0, 1.0), (1.0, 3.0), (2.0, 5.0)]) == 2.0
    assert stats.slope([(0.0, 1.0)]) == 0.0
    assert stats.slope([(1.0, 1.0), (1.0, 2.0)]) == 0.0
    counts = [(0.0, 0.0), (1.0, 10.0), (2.0, 20.0), (3.0, 30.0), (4.0, 60.0), (5.0, 70.0)]
    assert stats.rates(counts, 2.0) == [(2.0, 10.0), (4.0, 20.0)]


def _sawtooth(growth_per_s: float, seconds: int = 60, period: int = 5, amplitude: float = 100.0) -> list:
    """A backlog that fills for a poll period and empties at each poll, plus a steady trend."""
    return [(float(t), amplitude * (t % period) / period + growth_per_s * t) for t in range(seconds + 1)]


def test_growth_sees_through_the_poll_sawtooth() -> None:
    assert stats.growth(_sawtooth(0.0)) == pytest.approx(0.0, abs=0.3)
    assert stats.growth(_sawtooth(10.0)) == pytest.approx(10.0, abs=0.3)
    assert stats.growth([(0.0, 1.0)]) == 0.0
    first, mid, last = stats.thirds([(float(t), 0.0) for t in range(10)])
    assert [p[0] for p in first] == [0.0, 1.0, 2.0]
    assert [p[0] for p in mid] == [3.0, 4.0, 5.0]
    assert [p[0] for p in last] == [6.0, 7.0, 8.0, 9.0]


def test_tolerance_covers_what_the_sawtooth_can_fake() -> None:
    assert stats.tolerance(5.0, 5.0, 20.0) == 0.5  # the floor: 5 * (5/20)**2 = 0.3125
    assert stats.tolerance(100.0, 5.0, 50.0) == 5.0  # 5 % of the rate beats 100 * 0.01 = 1
    assert stats.tolerance(20.0, 5.0, 10.0) == 5.0  # 20 * (5/10)**2: a short step proves little
    assert stats.tolerance(20.0, 5.0, 0.0) == math.inf


def test_step_verdict_and_saturation() -> None:
    visible = [(float(t), 20.0 * t) for t in range(61)]
    step = stats.step_of(20.0, _sawtooth(0.0), visible, 5.0)
    assert step.throughput == pytest.approx(20.0)
    assert step.tolerance == 1.25  # 60 s in thirds of 20 s: 20 * (5/20)**2 = 1.25 > 5 % of 20
    assert step.sustained()
    growing = stats.step_of(20.0, _sawtooth(3.0), visible, 5.0)
    assert growing.backlog_growth == pytest.approx(3.0, abs=0.3) and not growing.sustained()
    overloaded = stats.Step(rate=60.0, backlog_growth=25.0, throughput=35.0, tolerance=3.0)
    assert not overloaded.sustained()
    assert stats.Step(rate=5.0, backlog_growth=0.4, throughput=5.0).sustained()  # under the 0.5/s floor
    steps = [
        stats.Step(5.0, 0.0, 5.0),
        stats.Step(20.0, 0.2, 20.0),
        stats.Step(50.0, 2.0, 49.0, 2.5),
        overloaded,
        stats.Step(80.0, 0.0, 80.0),  # above a failed step: not counted
    ]
    assert stats.saturation(steps) == 50.0
    assert stats.saturation([overloaded]) is None
    assert stats.per_day_per_core(100, 2.0) == 4_320_000.0


def _results() -> dict:
    phase = {
        "label": "20/s",
        "rate": 20.0,
        "count": 600,
        "start": 1000.0,
        "release_end": 1030.0,
        "drained": 1033.0,
        "freshness": {"n": 600, "p50": 3.1, "p95": 5.2, "p99": 5.6, "max": 6.0, "mean": 3.2},
        "after_fetch": {"n": 600, "p50": 0.9, "p95": 1.4, "p99": 1.8, "max": 2.0, "mean": 1.0},
        "missing": 0,
        "step": {"backlog_growth": 0.1, "tolerance": 1.0, "throughput": 20.0, "sustained": True},
        "cpu_s": {"enricher": 12.0, "fetcher": 3.0},
        "latencies": [3.1] * 600,
    }
    return {
        "quick": True,
        "command": "make bench QUICK=1",
        "started": "2026-12-02 05:00 UTC",
        "duration_s": 250.0,
        "machine": {
            "cores": 2,
            "cpu": "Test CPU",
            "python": "3.11.2",
            "java": "17.0.1",
            "kafka": "4.0.2",
            "elasticsearch": "9.2.4",
            "load_start": [1.0, 1.0, 1.0],
            "load_end": [2.0, 2.0, 2.0],
            "commit": "abc1234",
        },
        "settings": {"poll_interval_s": 5.0},
        "phases": [phase],
        "stage_times": {"20/s": {"feed→fetched": {"n": 600, "p50": 2.5, "p95": 4.8, "p99": 5.0, "max": 5.1}}},
        "peak_rss_mb": {"fetcher": 120.5, "enricher": 640.0, "indexer": 90.0},
        "stages": {
            "indexer": {
                "docs": 800,
                "mean_kb": 3.0,
                "raw_bulk_docs_per_s": 400.0,
                "indexer_docs_per_s": 380.0,
                "ratio": 0.95,
            },
            "store": {
                "articles": 1000,
                "lucene_docs": 3000,
                "text_bytes_per_article": 3100,
                "unmerged_bytes_per_article": 2600,
                "merged_bytes_per_article": 2300,
            },
        },
        "site_page_ms": {"n": 600, "p50": 1.2, "p95": 3.0, "p99": 4.5, "max": 10.0},
        "store_bytes_per_doc": 5000,
    }


def test_render_states_the_figures() -> None:
    page = report.render(_results())
    assert "| 20/s | 600 | 0 | 3.10 | 5.20 | 5.60 | 6.00 | 0.90 / 1.80 | 20.0 | 0.10 ≤ 1.00 | yes |" in page
    assert "every offered load was sustained, up to 20 articles/s" in page
    assert "| span | 20/s p50 / p99 | what it is |" in page
    assert "| feed→fetched | 2.50 / 5.00 | pushed: the hub's notification" in page
    assert "| raw→enriched | – / – |" in page
    assert "| indexer (docs/s, 800 docs of 3.0 KB) | 380 | raw `helpers.bulk` 400 | 0.95× |" in page
    assert "| enricher | 640.0 | 600 | **no** |" in page
    assert "| fetcher | 120.5 | 300 | yes |" in page
    # 600 articles in 12 enricher CPU-seconds = 50/s = 4,320,000 a day per core
    assert "| enricher | 50.0 | 4,320,000 |" in page
    assert "5,000 bytes per Lucene document" in page
    assert "2,600 bytes per article after refresh, 2,300 merged to one segment → **2.3 GB per million" in page
    assert "600 page requests in p50 1.2 ms, p99 4.5 ms" in page
    assert "load average at start [1.0, 1.0, 1.0], at the end [2.0, 2.0, 2.0]" in page


def test_saturation_line_names_the_first_failed_step() -> None:
    r = _results()
    over = dict(r["phases"][0], label="ramp 40/s", rate=40.0)
    over["step"] = {"backlog_growth": 12.5, "tolerance": 2.0, "throughput": 27.5, "sustained": False}
    worse = dict(r["phases"][0], label="50/s", rate=50.0)
    worse["step"] = {"backlog_growth": 30.0, "tolerance": 2.5, "throughput": 20.0, "sustained": False}
    line = report.saturation_line([r["phases"][0], worse, over])
    assert line == (
        "Saturation: **20 articles/s** sustained (backlog not growing); at 40/s the backlog grew by "
        "12.5/s and 27.5/s became searchable."
    )


def test_saturation_search_plan_and_service_env() -> None:
    from bench.run import Plan, service_env

    full = Plan(quick=False)
    assert full.ramp(50.0, None) == [70.0, 100.0, 140.0]  # above every fixed load, 1.4× apart
    assert full.ramp(20.0, 50.0) == [30.0, 35.0, 40.0]  # between the sustained and the failed load
    assert Plan(quick=True).ramp(20.0, None) == []
    assert service_env("AKHBAR_MAX_BATCH_TIME_MS=250  AKHBAR_BATCH_WITHIN_S=0.2") == {
        "AKHBAR_MAX_BATCH_TIME_MS": "250",
        "AKHBAR_BATCH_WITHIN_S": "0.2",
    }
    with pytest.raises(SystemExit):
        service_env("KAFKA_BOOTSTRAP_SERVERS=x")


def test_backlog_split_says_where_the_backlog_waited() -> None:
    def sample(t: float, released: int, raw_end: int, enricher: int, indexer: int) -> dict:
        return {
            "t": t,
            "released": released,
            "raw_end": raw_end,
            "enricher_lag": enricher,
            "indexer_lag": indexer,
        }

    series = [
        sample(0.0, 0, 0, 0, 0),  # before the load
        sample(10.0, 100, 60, 10, 4),
        sample(11.0, 120, 70, -1, 0),  # group offsets unknown: left out
        sample(12.0, 140, 80, 20, 6),
        sample(30.0, 300, 300, 0, 0),  # after it
    ]
    assert stats.backlog_split(series, 5.0, 20.0) == {"fetcher": 50.0, "enricher": 15.0, "indexer": 5.0}
    assert stats.backlog_split(series, 40.0, 50.0) == {}
    r = _results()
    over = dict(r["phases"][0], label="ramp 40/s", rate=40.0, start=1100.0, release_end=1120.0)
    over["step"] = {"backlog_growth": 12.5, "tolerance": 2.0, "throughput": 27.5, "sustained": False}
    line = report.saturation_line([r["phases"][0], over], series, t0=1095.0)
    assert line.endswith(
        "The backlog waited in the fetcher (released, not yet on the raw topic: mean 50 articles), in the "
        "enricher's lag (15) and the indexer's (5)."
    )
