"""Fetcher state that must survive restarts: seen URLs, feed validators, last polls.

Choice (docs/decisions.md, "Fetcher state"): a small SQLite file on a volume.
It is local to one fetcher replica, transactional, needs no extra service, and
survives a container restart when its directory is a volume. A URL is marked
seen only after Kafka confirmed delivery of its article, so a crash between
publish and mark re-publishes (at-least-once; the id-keyed index absorbs it).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (
    url TEXT PRIMARY KEY,
    article_id TEXT NOT NULL,
    content_hash TEXT,
    source TEXT NOT NULL,
    first_seen REAL NOT NULL,
    last_published REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS validators (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    last_success REAL
);
CREATE TABLE IF NOT EXISTS polls (
    source TEXT PRIMARY KEY,
    last_success REAL,
    last_error TEXT
);
"""


class FetcherState:
    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def seen_hash(self, url: str) -> str | None:
        """The content hash last published for this URL ('' if seen without hash), None if new."""
        row = self._db.execute("SELECT content_hash FROM seen WHERE url = ?", (url,)).fetchone()
        return None if row is None else (row[0] or "")

    def mark_published(self, url: str, article_id: str, content_hash: str | None, source: str) -> None:
        now = time.time()
        with self._lock:
            self._db.execute(
                "INSERT INTO seen(url, article_id, content_hash, source, first_seen, last_published) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET "
                "content_hash = excluded.content_hash, last_published = excluded.last_published",
                (url, article_id, content_hash, source, now, now),
            )

    def validators(self, url: str) -> tuple[str | None, str | None]:
        row = self._db.execute("SELECT etag, last_modified FROM validators WHERE url = ?", (url,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def save_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO validators(url, etag, last_modified, last_success) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, "
                "last_success = excluded.last_success",
                (url, etag, last_modified, time.time()),
            )

    def record_poll(self, source: str, error: str | None = None) -> None:
        with self._lock:
            if error is None:
                self._db.execute(
                    "INSERT INTO polls(source, last_success, last_error) VALUES (?, ?, NULL) "
                    "ON CONFLICT(source) DO UPDATE SET last_success = excluded.last_success, last_error = NULL",
                    (source, time.time()),
                )
            else:
                self._db.execute(
                    "INSERT INTO polls(source, last_success, last_error) VALUES (?, NULL, ?) "
                    "ON CONFLICT(source) DO UPDATE SET last_error = excluded.last_error",
                    (source, error),
                )

    def last_poll(self, source: str) -> float | None:
        row = self._db.execute("SELECT last_success FROM polls WHERE source = ?", (source,)).fetchone()
        return row[0] if row else None

    def seen_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM seen").fetchone()[0])
