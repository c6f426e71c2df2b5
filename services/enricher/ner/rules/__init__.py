"""The rule layer after the CRF: small named rules run in one ordered, configurable pipeline.

Each rule is a module of this package with ``NAME``, a docstring saying what it fixes, and
``apply(sentence, resources)`` that changes the sentence's tags in place; golden sentences for
each are in ``tests/unit/test_ner_rules.py``. The order and on/off switches are data
(``data/rules.json``); ``fix_iob`` (a stray I-X starts a chunk) always runs last.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from enricher.ner.rules import fix_iob
from enricher.ner.rules.base import Resources, RuleFn, Sentence

PIPELINE_FILE = Path(__file__).resolve().parents[1] / "data" / "rules.json"

Trace = Callable[[str, Sentence, list[str]], None]
"""Called after each rule that changed tags: (rule name, sentence after, tags before)."""


def configured_rules(path: Path = PIPELINE_FILE) -> list[str]:
    """Names of the enabled rules, in pipeline order."""
    conf = json.loads(path.read_text(encoding="utf-8"))
    return [r["name"] for r in conf["rules"] if r.get("enabled", True)]


class RulePipeline:
    """The enabled rules in order; ``trace`` (optional) sees every change a rule makes."""

    def __init__(self, names: Iterable[str] | None = None) -> None:
        self.names = list(configured_rules() if names is None else names)
        self._rules: list[tuple[str, RuleFn]] = [
            (n, importlib.import_module(f"enricher.ner.rules.{n}").apply) for n in self.names
        ]
        self.trace: Trace | None = None

    def run(
        self, toks: Sequence[str], tags: Sequence[str], splits: list[tuple[str, str]], res: Resources
    ) -> list[str]:
        s = Sentence(toks, list(tags), splits, [b for _, b in splits])
        trace = self.trace
        for name, rule in self._rules:
            if trace is None:
                rule(s, res)
                continue
            before = list(s.tags)
            rule(s, res)
            if s.tags != before:
                trace(name, s, before)
        fix_iob.apply(s, res)
        return s.tags
