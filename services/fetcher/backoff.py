"""Exponential backoff for a source whose fetches keep timing out.

A server that drips a byte a second costs a whole page budget per page on every poll; polling it
on its normal interval would spend the fetcher's time on it. After ``n`` consecutive polls with
at least one timeout, the next poll of that source waits ``poll_interval_s * 2**(n-1)``, capped;
a poll without timeouts resets it. Pure and in memory (a restart starts afresh).
"""

from __future__ import annotations

from prometheus_client import Gauge

BACKOFF = Gauge(
    "akhbar_fetcher_source_backoff_seconds",
    "Wait before the source's next poll set by the timeout backoff (0 when not backed off)",
    ["source"],
)


class SourceBackoff:
    def __init__(self, cap_s: float = 3600.0) -> None:
        self.cap_s = cap_s
        self._streak: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"SourceBackoff(cap_s={self.cap_s!r}, streaks={self._streak!r})"

    def streak(self, source: str) -> int:
        return self._streak.get(source, 0)

    def next_delay(self, source: str, interval_s: float, *, timed_out: bool) -> float:
        """Record one poll's outcome; return how long to wait before the source's next poll."""
        n = self._streak.get(source, 0) + 1 if timed_out else 0
        self._streak[source] = n
        if n == 0:
            BACKOFF.labels(source).set(0)
            return interval_s
        delay = max(interval_s, min(self.cap_s, interval_s * 2 ** (n - 1)))
        BACKOFF.labels(source).set(delay)
        return delay
