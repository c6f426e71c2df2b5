"""The fetcher's own errors, under Akhbar's two families (akhbar.errors).

    PermanentError (dead-letter the URL, remember it as rejected)
    ├── FetchRefused        we will not fetch this URL: SSRF guard, robots.txt, size cap, 4xx, redirects
    └── RepeatedTimeouts    the page timed out ``max_timeouts_per_url`` times in a row
    TransientError (try again on the next poll)
    └── SourceUnavailable   5xx, timeouts, connection errors after our retries

Each carries the URL, a short ``reason`` (what the dead letter says) and a ``kind`` (metric label).
"""

from __future__ import annotations

from akhbar.errors import PermanentError, TransientError


class FetchRefused(PermanentError):
    """We will not fetch this URL (SSRF guard, robots.txt, size cap, 4xx, redirect loop)."""

    def __init__(self, reason: str, *, url: str, kind: str) -> None:
        super().__init__(f"{reason} ({url})")
        self.reason, self.url, self.kind = reason, url, kind


class SourceUnavailable(TransientError):
    """The site failed after our retries (5xx, timeouts, connection errors).

    ``kind == "timeout"`` marks a fetch that ran out of time; those are counted per URL
    and per source (backoff), unlike a refused connection.
    """

    def __init__(self, reason: str, *, url: str, kind: str = "unavailable") -> None:
        super().__init__(f"{reason} ({url})")
        self.reason, self.url, self.kind = reason, url, kind

    @property
    def timed_out(self) -> bool:
        return self.kind == "timeout"


class RepeatedTimeouts(PermanentError):
    """A page that timed out ``count`` times: set aside instead of holding every poll again."""

    kind = "timeout"

    def __init__(self, count: int, last: SourceUnavailable) -> None:
        self.reason = f"timed out {count} times; last: {last.reason}"
        self.url = last.url
        self.count = count
        super().__init__(f"{self.reason} ({last.url})")
