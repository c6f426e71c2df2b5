"""Which fetcher instance polls which source: a stable split of the sources file.

Run n fetchers on one sources file, each with ``AKHBAR_FETCHER_SHARDS=n`` and its own
``AKHBAR_FETCHER_SHARD`` (0..n-1) and state file. A source belongs to the shard whose
``sha256(f"{shard}:{name}")`` is highest (rendezvous hashing): the same on every host and every
run (unlike ``hash()``, which is salted per process), every source owned by exactly one shard,
and going from n to n+1 shards moves only the sources the new shard wins (about 1/(n+1)),
never a source between two old shards. A moved source starts with no seen URLs in its new
owner's state file, so its feed's current items are published once more; the indexer's
deterministic ids overwrite them (no duplicate documents). See docs/decisions.md D16.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from fetcher.sources import Source


def _weight(shard: int, name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{shard}:{name}".encode()).digest()[:8], "big")


def shard_of(name: str, shards: int) -> int:
    """The shard (0..shards-1) that owns the source called ``name``."""
    if shards < 1:
        raise ValueError(f"shards must be at least 1, got {shards}")
    return max(range(shards), key=lambda shard: _weight(shard, name))


def owned_sources(sources: Iterable[Source], shard: int, shards: int) -> list[Source]:
    """The sources shard ``shard`` of ``shards`` polls, in file order."""
    if not 0 <= shard < shards:
        raise ValueError(f"shard must be in 0..{shards - 1}, got {shard}")
    return [s for s in sources if shard_of(s.name, shards) == shard]
