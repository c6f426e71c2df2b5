"""The dead-letter brake (arroyo's ``DlqLimit``): a bad release must not dead-letter the stream.

A few bad messages are data and go to the dead-letter topic. When more than
``ratio`` of the last ``window`` messages would be dead-lettered, the fault is far
more likely the stage itself (a broken model or mapping release): the stage stops
consuming *before* sending that letter, commits nothing further, and reports not
ready, so the backlog waits in Kafka for a fixed release instead of being moved to
the dead-letter topic. The brake stays engaged until the process restarts.

The count is absolute (``ratio × window`` letters within the window), so a short
burst of poison at start-up never trips it.
"""

from __future__ import annotations

import logging
from collections import deque

from prometheus_client import Gauge

log = logging.getLogger(__name__)

BRAKE_ENGAGED = Gauge(
    "akhbar_dead_letter_brake_engaged",
    "1 once the stage stopped consuming because too many recent messages were dead-lettered",
    ["stage"],
)


class DeadLetterBrake:
    def __init__(self, stage: str, *, ratio: float, window: int) -> None:
        if not 0 < ratio <= 1 or window < 1:
            raise ValueError("ratio must be in (0, 1] and window >= 1")
        self.stage = stage
        self.ratio = ratio
        self.window = window
        self._recent: deque[bool] = deque(maxlen=window)
        self._letters = 0
        self.engaged_reason: str | None = None
        BRAKE_ENGAGED.labels(stage).set(0)

    @property
    def engaged(self) -> bool:
        return self.engaged_reason is not None

    @property
    def limit(self) -> int:
        return max(1, int(self.ratio * self.window))

    def _push(self, dead: bool) -> None:
        if len(self._recent) == self._recent.maxlen and self._recent[0]:
            self._letters -= 1
        self._recent.append(dead)
        self._letters += dead

    def record_ok(self) -> None:
        self._push(False)

    def allow_dead_letter(self) -> bool:
        """Call before sending a letter. False (and engaged from now on) when this letter is one too many."""
        if self.engaged:
            return False
        dropping = len(self._recent) == self._recent.maxlen and self._recent[0]
        if self._letters - dropping + 1 > self.limit:
            self.engaged_reason = (
                f"dead-letter brake: {self._letters - dropping + 1} of the last {self.window} messages "
                f"would be dead-lettered (limit {self.limit}); consuming stopped until restart"
            )
            BRAKE_ENGAGED.labels(self.stage).set(1)
            log.error("dead-letter brake engaged", extra={"stage": self.stage, "reason": self.engaged_reason})
            return False
        self._push(True)
        return True
