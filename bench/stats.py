"""The pure arithmetic of `make bench`: percentiles, rates, lag trends, saturation (unit-tested).

Nearest-rank percentiles (the smallest sample with at least q % of the samples at or below it):
a reported p99 is a latency some article really had, never an interpolation between two.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Point = tuple[float, float]  # (seconds, value)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile, 0 < q ≤ 100; NaN for no values."""
    if not 0 < q <= 100:
        raise ValueError(f"percentile {q} is not in (0, 100]")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(values: Sequence[float]) -> dict[str, float]:
    """n, p50, p95, p99, max and mean of a list of seconds (rounded to milliseconds)."""
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), 3),
        "p95": round(percentile(values, 95), 3),
        "p99": round(percentile(values, 99), 3),
        "max": round(max(values), 3),
        "mean": round(sum(values) / len(values), 3),
    }


def slope(points: Sequence[Point]) -> float:
    """Least-squares slope of value over time (value units per second); 0 for fewer than 2 points."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mt = sum(t for t, _ in points) / n
    mv = sum(v for _, v in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    return sum((t - mt) * (v - mv) for t, v in points) / var


def rates(counts: Sequence[Point], window_s: float) -> list[Point]:
    """Throughput over time from a cumulative count: (end of window, count gained / window)."""
    out: list[Point] = []
    if not counts:
        return out
    start_t, start_v = counts[0]
    for t, v in counts[1:]:
        if t - start_t >= window_s:
            out.append((t, (v - start_v) / (t - start_t)))
            start_t, start_v = t, v
    return out


@dataclass(frozen=True)
class Step:
    """One offered rate held for a while: was it sustained?"""

    rate: float
    backlog_growth: float  # articles/s the backlog (released − searchable) grew, middle → last third
    throughput: float  # articles/s that became searchable over the last two thirds
    tolerance: float = 0.5  # the growth still counted as "not growing" (see ``tolerance``)

    def sustained(self) -> bool:
        return self.backlog_growth <= self.tolerance


def tolerance(rate: float, period_s: float, third_s: float) -> float:
    """The backlog growth below which a load counts as sustained: 5 % of the rate, at least 0.5/s,
    and at least what the poll's sawtooth alone can fake. A backlog that rises by ``rate × period``
    within each poll and falls at the next biases each third's mean by up to half that times
    ``period / third``, so a growth of up to ``rate × (period / third)²`` is no evidence."""
    alias = rate * (period_s / third_s) ** 2 if third_s > 0 else math.inf
    return max(0.5, 0.05 * rate, alias)


def thirds(points: Sequence[Point]) -> tuple[list[Point], list[Point], list[Point]]:
    """The points of a span's first, middle and last third of its time."""
    if not points:
        return [], [], []
    t0, t1 = points[0][0], points[-1][0]
    a, b = t0 + (t1 - t0) / 3, t0 + 2 * (t1 - t0) / 3
    return (
        [p for p in points if p[0] < a],
        [p for p in points if a <= p[0] < b],
        [p for p in points if p[0] >= b],
    )


def growth(points: Sequence[Point]) -> float:
    """How fast a sawtooth series grows: mean of the last third minus mean of the middle third,
    over the time between their centres. The feed is polled every few seconds, so the backlog
    rises and falls within a poll; means over thirds that span several polls smooth that out,
    and the first third (the pipeline filling up) is left out."""
    _, mid, last = thirds(points)
    if not mid or not last:
        return 0.0
    tm = sum(t for t, _ in mid) / len(mid)
    tl = sum(t for t, _ in last) / len(last)
    if tl <= tm:
        return 0.0
    return (sum(v for _, v in last) / len(last) - sum(v for _, v in mid) / len(mid)) / (tl - tm)


def step_of(rate: float, backlog: Sequence[Point], visible: Sequence[Point], period_s: float) -> Step:
    """A step's verdict from its backlog and searchable-count samples (seconds, count), the feed
    being polled every ``period_s``."""
    _, mid, last = thirds(visible)
    late = mid + last
    span = late[-1][0] - late[0][0] if late else 0.0
    throughput = (late[-1][1] - late[0][1]) / span if span > 0 else 0.0
    third = (backlog[-1][0] - backlog[0][0]) / 3 if backlog else 0.0
    return Step(rate, growth(backlog), throughput, tolerance(rate, period_s, third))


def saturation(steps: Iterable[Step]) -> float | None:
    """The highest offered rate sustained with every lower step sustained too; None if none was."""
    best: float | None = None
    for step in sorted(steps, key=lambda s: s.rate):
        if not step.sustained():
            break
        best = step.rate
    return best


def per_day_per_core(articles: float, cpu_s: float) -> float:
    """Articles a day one fully busy core handles, from articles done in ``cpu_s`` CPU-seconds."""
    if cpu_s <= 0:
        return math.inf
    return articles / cpu_s * 86_400


def backlog_split(samples: Sequence[dict[str, float]], start: float, end: float) -> dict[str, float]:
    """Where a load's backlog waited, mean articles over [start, end] (the samples' own clock):
    in the fetcher (released by the site, not yet on the raw topic), in the enricher's consumer
    lag, in the indexer's. Samples whose group offsets were unknown (lag −1) are left out."""
    span = [s for s in samples if start <= s["t"] <= end and s["enricher_lag"] >= 0 and s["indexer_lag"] >= 0]
    if not span:
        return {}
    n = len(span)
    return {
        "fetcher": round(sum(s["released"] - s["raw_end"] for s in span) / n, 1),
        "enricher": round(sum(s["enricher_lag"] for s in span) / n, 1),
        "indexer": round(sum(s["indexer_lag"] for s in span) / n, 1),
    }
