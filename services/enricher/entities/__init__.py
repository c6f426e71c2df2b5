"""Canonical entities (D20): an article's entities grouped and resolved to canonical keys and ISO codes.

``table`` reads the shipped alias table (built by ``scripts/build_entity_aliases.py``);
``grouping`` joins one article's partial names and variants. The enricher records the table's
hash as the ``entities`` model version; the search tool resolves ``--entity`` through the same table.
"""

from enricher.entities.grouping import CanonicalEntity, canonical_entities
from enricher.entities.table import DATA_DIR, AliasTable, Canonical, default_table, entity_key

__all__ = [
    "DATA_DIR",
    "AliasTable",
    "Canonical",
    "CanonicalEntity",
    "canonical_entities",
    "default_table",
    "entity_key",
]
