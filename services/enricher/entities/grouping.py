"""One article's entities as canonical entities: partial names joined, variants resolved, keyed.

Runs after the tagger's ``merge_mentions`` (which groups a person's contiguous shorter mentions
under the article's one full name, by D10's normal form). What it adds:

- matching on the folded form (``akhbar.arabic.fold_name``: ة/ه, ى/ي, hamza) and without leading
  titles, so ``حمزه`` joins ``علي حمزة`` and ``الرئيس ترامب`` joins ``دونالد ترامب``;
- a family name the tagger typed LOC/ORG/MISC next to a person's full name ending with it becomes
  that person (``ميشال عون`` … ``عون`` LOC), unless the table knows it as a place/body of its type;
- every entity resolved through the alias table (``ترمب`` → ``PER:دونالد ترامب``), and entities
  of one key merged (counts added), so one article never lists one person twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from enricher.entities.table import AliasTable, entity_key
from enricher.ner import Entity


@dataclass
class CanonicalEntity:
    type: str
    name: str  # display: the canonical name when resolved, else the first mention's clitic-free surface
    normalized: str
    key: str
    iso: str | None
    count: int
    confidence: float
    in_title: bool


def _contains(long: list[str], short: list[str]) -> bool:
    return any(long[i : i + len(short)] == short for i in range(len(long) - len(short) + 1))


def _join(into: CanonicalEntity, other: CanonicalEntity) -> None:
    into.count += other.count
    into.confidence = max(into.confidence, other.confidence)
    into.in_title = into.in_title or other.in_title


def canonical_entities(entities: Iterable[Entity], table: AliasTable) -> list[CanonicalEntity]:
    """The article's entities, one per canonical key, sorted like ``merge_mentions`` (count first)."""
    items: list[tuple[CanonicalEntity, list[str]]] = []
    for e in entities:
        found = table.lookup(e.type, e.normalized)
        name = found.name if found else (e.display or e.normalized)
        key = found.key if found else entity_key(e.type, e.normalized)
        ent = CanonicalEntity(
            e.type, name, e.normalized, key, found.iso if found else None, e.count, e.confidence, e.in_title
        )
        items.append((ent, table.folded_words(e.type, e.normalized)))
    full_names = [(ent, words) for ent, words in items if ent.type == "PER" and len(words) >= 2]
    full_keys = {ent.key for ent, _ in full_names}
    merged: dict[str, CanonicalEntity] = {}
    # shortest first, so a partial name is placed before anything is joined into it
    for ent, words in sorted(items, key=lambda item: len(item[1])):
        hosts: dict[str, CanonicalEntity] = {}
        for host, host_words in full_names:
            if len(host_words) <= len(words) or not _contains(host_words, words):
                continue
            # another type's mention joins a person only as the family name, and only when the
            # table does not know it as a place or body of that type
            if ent.type != "PER" and (
                host_words[-len(words) :] != words or table.lookup(ent.type, ent.normalized)
            ):
                continue
            hosts[host.key] = host
        if len(hosts) == 1 and ent.key not in full_keys:
            host = next(iter(hosts.values()))
            ent.type, ent.key, ent.name, ent.normalized, ent.iso = (
                "PER",
                host.key,
                host.name,
                host.normalized,
                None,
            )
        kept = merged.get(ent.key)
        if kept is None:
            merged[ent.key] = ent
        else:
            _join(kept, ent)
            if len(ent.normalized.split()) > len(kept.normalized.split()):
                kept.name, kept.normalized = ent.name, ent.normalized
    return sorted(merged.values(), key=lambda e: (-e.count, not e.in_title, e.type, e.normalized))
