"""Rule ``fix_iob``.

An I-X that does not continue an X chunk starts one (repairs what the other rules leave).
"""

from __future__ import annotations

from enricher.ner.rules.base import Resources, Sentence

NAME = "fix_iob"


def apply(s: Sentence, res: Resources) -> None:
    tags = s.tags
    n = len(tags)
    # 4. an I-X that does not continue an X chunk starts one
    for i in range(n):
        if tags[i].startswith("I-") and (i == 0 or tags[i - 1][2:] != tags[i][2:]):
            tags[i] = "B-" + tags[i][2:]
