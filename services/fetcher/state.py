"""Fetcher state that must survive restarts: seen URLs, validators, fingerprints, rejections, polls.

Choice (docs/decisions.md, "Fetcher state"): a small SQLite file on a volume.
It is local to one fetcher replica, transactional, needs no extra service, and
survives a container restart when its directory is a volume. A URL is marked
seen only after Kafka confirmed delivery of its article, so a crash between
publish and mark re-publishes (at-least-once; the id-keyed index absorbs it).

Tables:

* ``seen``: canonical URL → article id and the content hash last published;
* ``validators``: ETag / Last-Modified per fetched URL (feeds, sitemaps and the
  pages of ``article`` sources), for conditional GETs;
* ``fingerprints``: per article id, in first-seen order (``seq``), the body hash,
  the SimHash and the ``duplicate_of`` answer it was published with. The
  near-duplicate index is rebuilt from it at start, so ``duplicate_of`` is the
  same before and after a restart (first-seen wins);
* ``rejected``: URLs whose page was dead-lettered (permanent error), so the next
  polls skip them instead of dead-lettering them again;
* ``timeouts``: per page URL, how many fetches in a row ran out of time; reset when the page
  is published or dead-lettered, so a page that keeps timing out is set aside after
  ``max_timeouts_per_url`` polls (across restarts);
* ``polls``: last successful poll (and last error) per source;
* ``articles``: per article id, its first copy (URL, source, time) and the content hash last
  published; ``copies``: the other URLs it was found at later (a syndicated copy whose canonical
  link names it, the same page under another URL). Published revisions carry the first copy's
  provenance and the copies, so a later copy never overwrites where the article was first seen;
* ``outbox``: articles extracted while the broker was away, in the order they were made, each
  with what ``mark_published`` needs. A feed lists only its latest items, so an outage longer than
  its window would otherwise lose the items that scrolled off; they wait here (bounded) and are
  published first once the broker answers, then marked seen in the same transaction that removes
  them (D7);
* ``subscriptions``: WebSub subscriptions (fetcher.websub) per topic: its source, hub, callback token,
  secret, status, lease and last error, so a restart neither subscribes again nor forgets a secret.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from fetcher.dedup import NearDuplicateIndex

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
CREATE TABLE IF NOT EXISTS fingerprints (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL UNIQUE,
    body_hash TEXT NOT NULL,
    simhash TEXT NOT NULL,
    duplicate_of TEXT
);
CREATE TABLE IF NOT EXISTS rejected (
    url TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS timeouts (
    url TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    count INTEGER NOT NULL,
    last_error TEXT,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS articles (
    article_id TEXT PRIMARY KEY,
    first_key TEXT NOT NULL,
    first_url TEXT NOT NULL,
    first_source TEXT NOT NULL,
    first_seen REAL NOT NULL,
    content_hash TEXT
);
CREATE TABLE IF NOT EXISTS copies (
    article_id TEXT NOT NULL,
    url TEXT NOT NULL,
    source TEXT NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (article_id, url)
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    article TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    simhash TEXT NOT NULL,
    duplicate_of TEXT,
    queued_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS subscriptions (
    topic TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    hub TEXT NOT NULL,
    token TEXT NOT NULL UNIQUE,
    secret TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_at REAL NOT NULL,
    lease_until REAL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS polls (
    source TEXT PRIMARY KEY,
    last_success REAL,
    last_error TEXT
);
"""


@dataclass(frozen=True)
class FirstCopy:
    """Where and when an article was first seen, and the content hash last published for it."""

    key: str  # the canonical form of the URL it was fetched at (the ``seen`` table's key)
    url: str  # as fetched
    source: str
    seen_at: float
    content_hash: str | None


@dataclass(frozen=True)
class Queued:
    """An article waiting in the outbox: its URL, source, JSON as it will be sent, and fingerprint."""

    url: str
    source: str
    article: str
    fingerprint: tuple[str, int, str | None]


@dataclass(frozen=True)
class Subscription:
    """A WebSub subscription: ``status`` is pending (asked, not verified), active or denied."""

    topic: str
    source: str
    hub: str
    token: str
    secret: str
    status: str
    requested_at: float
    lease_until: float | None = None
    error: str | None = None


class FetcherState:
    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        # state files from before the articles table: the earliest seen URL of each id is its first copy
        self._db.execute(
            "INSERT OR IGNORE INTO articles(article_id, first_key, first_url, first_source, first_seen, "
            "content_hash) SELECT article_id, url, url, source, first_seen, content_hash FROM seen s "
            "WHERE first_seen = (SELECT min(first_seen) FROM seen WHERE article_id = s.article_id)"
        )
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FetcherState(seen={self.seen_count()})"

    def close(self) -> None:
        self._db.close()

    # ---------------------------------------------------------------- seen URLs

    def seen_hash(self, url: str) -> str | None:
        """The content hash last published for this URL ('' if seen without hash), None if new."""
        row = self._db.execute("SELECT content_hash FROM seen WHERE url = ?", (url,)).fetchone()
        return None if row is None else (row[0] or "")

    def mark_published(
        self,
        url: str,
        article_id: str,
        content_hash: str | None,
        source: str,
        *,
        fingerprint: tuple[str, int, str | None] | None = None,
        first_seen: float | None = None,
        fetched_url: str | None = None,
    ) -> None:
        """Remember a URL whose article the broker acknowledged.

        The first URL recorded for an article id is its first copy (``fetched_url`` as fetched,
        ``first_seen`` when, default now); any other URL is recorded as a later copy.

        ``fingerprint`` is ``(body_hash, simhash, duplicate_of)``; only the first one
        recorded for an article id is kept (first-seen wins), in one transaction with the URL.
        """
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute(
                    "INSERT INTO seen(url, article_id, content_hash, source, first_seen, last_published) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET "
                    "content_hash = excluded.content_hash, last_published = excluded.last_published",
                    (url, article_id, content_hash, source, now, now),
                )
                if fingerprint is not None:
                    body_hash, simhash, duplicate_of = fingerprint
                    self._db.execute(
                        "INSERT OR IGNORE INTO fingerprints(article_id, body_hash, simhash, duplicate_of) "
                        "VALUES (?, ?, ?, ?)",
                        (article_id, body_hash, f"{simhash:016x}", duplicate_of),
                    )
                self._db.execute(
                    "INSERT INTO articles(article_id, first_key, first_url, first_source, first_seen, "
                    "content_hash) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(article_id) DO UPDATE SET "
                    "content_hash = excluded.content_hash",
                    (article_id, url, fetched_url or url, source, first_seen or now, content_hash),
                )
                self._db.execute(
                    "INSERT OR IGNORE INTO copies(article_id, url, source, seen_at) "
                    "SELECT ?, ?, ?, ? FROM articles WHERE article_id = ? AND first_key != ?",
                    (article_id, url, source, now, article_id, url),
                )
                self._db.execute("DELETE FROM rejected WHERE url = ?", (url,))
                self._db.execute("DELETE FROM timeouts WHERE url = ?", (url,))
                self._db.execute("DELETE FROM outbox WHERE url = ?", (url,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # ---------------------------------------------------------------- first copy and later copies

    def first_copy(self, article_id: str) -> FirstCopy | None:
        row = self._db.execute(
            "SELECT first_key, first_url, first_source, first_seen, content_hash FROM articles "
            "WHERE article_id = ?",
            (article_id,),
        ).fetchone()
        return None if row is None else FirstCopy(row[0], row[1], row[2], float(row[3]), row[4])

    def copies(self, article_id: str, limit: int) -> tuple[int, list[tuple[str, str, float]]]:
        """(how many later copies, the newest ``limit`` of them oldest first as (url, source, seen_at))."""
        count = int(
            self._db.execute("SELECT count(*) FROM copies WHERE article_id = ?", (article_id,)).fetchone()[0]
        )
        rows = self._db.execute(
            "SELECT url, source, seen_at FROM copies WHERE article_id = ? ORDER BY seen_at DESC, url LIMIT ?",
            (article_id, limit),
        ).fetchall()
        return count, [(r[0], r[1], float(r[2])) for r in reversed(rows)]

    # ---------------------------------------------------------------- outbox

    def queue(self, item: Queued, *, max_items: int) -> bool:
        """Keep an unpublished article for later; False when the outbox holds ``max_items`` already."""
        with self._lock:
            if self.outbox_count() >= max_items:
                return False
            body_hash, simhash, duplicate_of = item.fingerprint
            self._db.execute(
                "INSERT INTO outbox(url, source, article, body_hash, simhash, duplicate_of, queued_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET article = excluded.article, "
                "body_hash = excluded.body_hash, simhash = excluded.simhash, "
                "duplicate_of = excluded.duplicate_of",
                (
                    item.url,
                    item.source,
                    item.article,
                    body_hash,
                    f"{simhash:016x}",
                    duplicate_of,
                    time.time(),
                ),
            )
        return True

    def queued(self, url: str) -> bool:
        return self._db.execute("SELECT 1 FROM outbox WHERE url = ?", (url,)).fetchone() is not None

    def outbox_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def outbox(self, limit: int = 100) -> list[Queued]:
        """The oldest queued articles, in the order they were queued."""
        rows = self._db.execute(
            "SELECT url, source, article, body_hash, simhash, duplicate_of FROM outbox ORDER BY seq LIMIT ?",
            (limit,),
        ).fetchall()
        return [Queued(r[0], r[1], r[2], (r[3], int(r[4], 16), r[5])) for r in rows]

    def unqueue(self, url: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE url = ?", (url,))

    def seen_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM seen").fetchone()[0])

    # ---------------------------------------------------------------- near-duplicates

    def near_duplicate_index(
        self, *, max_items: int | None = None, max_distance: int = 8
    ) -> NearDuplicateIndex:
        """A NearDuplicateIndex holding the persisted fingerprints (newest ``max_items``), oldest first."""
        index = NearDuplicateIndex(max_distance=max_distance, max_items=max_items)
        query = "SELECT article_id, body_hash, simhash, duplicate_of FROM fingerprints ORDER BY seq DESC"
        params: tuple[int, ...] = ()
        if max_items is not None:
            query += " LIMIT ?"
            params = (max_items,)
        rows = self._db.execute(query, params).fetchall()
        for article_id, body_hash, simhash, duplicate_of in reversed(rows):
            index.restore(article_id, body_hash, int(simhash, 16), duplicate_of)
        return index

    def fingerprint_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM fingerprints").fetchone()[0])

    # ---------------------------------------------------------------- rejected pages

    def mark_rejected(self, url: str, source: str, kind: str, reason: str) -> None:
        """Remember a dead-lettered page (call after the dead letter was acknowledged)."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute(
                    "INSERT INTO rejected(url, source, kind, reason, at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT(url) DO UPDATE SET "
                    "kind = excluded.kind, reason = excluded.reason, at = excluded.at",
                    (url, source, kind, reason, time.time()),
                )
                self._db.execute("DELETE FROM timeouts WHERE url = ?", (url,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def rejected_since(self, url: str) -> float | None:
        """When this URL was last dead-lettered, or None."""
        row = self._db.execute("SELECT at FROM rejected WHERE url = ?", (url,)).fetchone()
        return None if row is None else float(row[0])

    def rejection(self, url: str) -> tuple[str, str] | None:
        """(kind, reason) of the URL's last dead letter, or None."""
        row = self._db.execute("SELECT kind, reason FROM rejected WHERE url = ?", (url,)).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    # ---------------------------------------------------------------- timeouts

    def record_timeout(self, url: str, source: str, error: str) -> int:
        """Count one more timed-out fetch of this page; returns the count so far."""
        with self._lock:
            self._db.execute(
                "INSERT INTO timeouts(url, source, count, last_error, at) VALUES (?, ?, 1, ?, ?) "
                "ON CONFLICT(url) DO UPDATE SET count = count + 1, "
                "last_error = excluded.last_error, at = excluded.at",
                (url, source, error, time.time()),
            )
        return self.timeout_count(url)

    def clear_timeouts(self, url: str) -> None:
        """The page answered in time: the count starts again (timeouts must be consecutive)."""
        with self._lock:
            self._db.execute("DELETE FROM timeouts WHERE url = ?", (url,))

    def timeout_count(self, url: str) -> int:
        row = self._db.execute("SELECT count FROM timeouts WHERE url = ?", (url,)).fetchone()
        return 0 if row is None else int(row[0])

    # ---------------------------------------------------------------- validators

    def validators(self, url: str) -> tuple[str | None, str | None]:
        row = self._db.execute("SELECT etag, last_modified FROM validators WHERE url = ?", (url,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def save_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO validators(url, etag, last_modified, last_success) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, "
                "last_modified = excluded.last_modified, last_success = excluded.last_success",
                (url, etag, last_modified, time.time()),
            )

    # ---------------------------------------------------------------- polls

    def record_poll(self, source: str, error: str | None = None) -> None:
        with self._lock:
            if error is None:
                self._db.execute(
                    "INSERT INTO polls(source, last_success, last_error) VALUES (?, ?, NULL) "
                    "ON CONFLICT(source) DO UPDATE SET "
                    "last_success = excluded.last_success, last_error = NULL",
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

    def last_error(self, source: str) -> str | None:
        row = self._db.execute("SELECT last_error FROM polls WHERE source = ?", (source,)).fetchone()
        return row[0] if row else None

    # ---------------------------------------------------------------- WebSub subscriptions

    _SUB_COLUMNS = "topic, source, hub, token, secret, status, requested_at, lease_until, error"

    def save_subscription(self, sub: Subscription) -> None:
        with self._lock:
            self._db.execute(
                f"INSERT OR REPLACE INTO subscriptions({self._SUB_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sub.topic,
                    sub.source,
                    sub.hub,
                    sub.token,
                    sub.secret,
                    sub.status,
                    sub.requested_at,
                    sub.lease_until,
                    sub.error,
                ),
            )

    def subscription(self, *, topic: str | None = None, token: str | None = None) -> Subscription | None:
        column, value = ("topic", topic) if topic is not None else ("token", token)
        row = self._db.execute(
            f"SELECT {self._SUB_COLUMNS} FROM subscriptions WHERE {column} = ?", (value,)
        ).fetchone()
        return Subscription(*row) if row else None

    def subscriptions(self) -> list[Subscription]:
        rows = self._db.execute(f"SELECT {self._SUB_COLUMNS} FROM subscriptions ORDER BY topic").fetchall()
        return [Subscription(*row) for row in rows]

    def drop_subscription(self, topic: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM subscriptions WHERE topic = ?", (topic,))
