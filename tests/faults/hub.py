"""A WebSub hub inside the stream site, as a publisher's own hub runs (W3C WebSub 5.1–5.3, 7, 8).

A subscription request (form POST to ``/hub``) is answered 202 and its intent verified by a GET
to the callback with a random ``hub.challenge``; only a callback that echoes it is active. From
then on every article released in a topic's feed is pushed at once: the topic's newly released
items (the Recommendation lets a hub send a diff), signed ``X-Hub-Signature: sha256=…`` with the
subscriber's secret, with the ``rel=hub`` and ``rel=self`` Link headers. ``forged`` pushes the
same body with a wrong signature instead (the subscriber must ignore it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .site import StreamSite


@dataclass
class HubSubscription:
    topic: str
    callback: str
    secret: str
    lease_s: int
    verified: bool = False
    sent_upto: int = 0  # articles of the site below this index were pushed (or not in the topic)
    pushes: int = 0
    answers: list[int] = field(default_factory=list)  # the callback's status per push


class Hub:
    def __init__(self, site: StreamSite, *, forged: bool = False, period_s: float = 0.02) -> None:
        self.site, self.forged, self.period_s = site, forged, period_s
        self.verify_delay_s = 0.0  # a slow hub: what is released meanwhile is in no poll and no push
        self.paused = False  # a publisher that does not ping its hub: subscribers only poll
        self.subscriptions: dict[str, HubSubscription] = {}  # by topic
        self.requests: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._push_forever, name="faults-hub", daemon=True)

    # -- 5.1 subscription requests, 5.3 verification of intent ------------------------------
    def request(self, form: dict[str, str]) -> tuple[int, str]:
        self.requests.append(form)
        mode, topic, callback = form.get("hub.mode"), form.get("hub.topic"), form.get("hub.callback")
        if mode not in ("subscribe", "unsubscribe") or not topic or not callback:
            return 400, "hub.mode, hub.topic and hub.callback are required\n"
        if not topic.startswith(self.site.base):
            return 400, "this hub serves only its own site's topics\n"
        sub = HubSubscription(
            topic, callback, form.get("hub.secret", ""), int(form.get("hub.lease_seconds", 3600))
        )
        threading.Thread(target=self._verify, args=(sub, mode), daemon=True).start()
        return 202, ""

    def _verify(self, sub: HubSubscription, mode: str) -> None:
        challenge = secrets.token_hex(8)
        if self.verify_delay_s:
            self._halt.wait(self.verify_delay_s)
        # what is out when the hub starts verifying is the subscriber's to poll; what comes later
        # is pushed (a subscriber that polls once after verifying misses nothing)
        released = self.site.released()
        query = urllib.parse.urlencode(
            {
                "hub.mode": mode,
                "hub.topic": sub.topic,
                "hub.challenge": challenge,
                "hub.lease_seconds": sub.lease_s,
            }
        )
        sep = "&" if "?" in sub.callback else "?"
        try:
            with urllib.request.urlopen(f"{sub.callback}{sep}{query}", timeout=10) as answer:
                echoed = answer.status // 100 == 2 and answer.read().decode() == challenge
        except (urllib.error.URLError, OSError):
            echoed = False
        if not echoed:
            return
        with self._lock:
            if mode == "unsubscribe":
                self.subscriptions.pop(sub.topic, None)
                return
            sub.verified = True
            sub.sent_upto = released
            self.subscriptions[sub.topic] = sub
            if not self._thread.is_alive():
                self._thread.start()

    def active(self) -> list[HubSubscription]:
        with self._lock:
            return [s for s in self.subscriptions.values() if s.verified]

    # -- 7 content distribution ----------------------------------------------------------------
    def _push_forever(self) -> None:
        while not self._halt.wait(self.period_s):
            released = self.site.released()
            for sub in self.active():
                if self.paused:
                    sub.sent_upto = released  # never pushed later: what was released is polled
                elif released > sub.sent_upto:
                    self._push(sub, sub.sent_upto, released)
                    sub.sent_upto = released

    def _push(self, sub: HubSubscription, first: int, upto: int) -> None:
        path = sub.topic[len(self.site.base) :]
        body = self.site.feed_body(path, range(upto - 1, first - 1, -1))
        if body is None:  # nothing new in this topic
            return
        secret = sub.secret if not self.forged else sub.secret + "-forged"
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            sub.callback,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/rss+xml; charset=utf-8",
                "Link": f'<{self.site.base}/hub>; rel="hub", <{sub.topic}>; rel="self"',
                **({"X-Hub-Signature": f"sha256={digest}"} if sub.secret else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                sub.answers.append(answer.status)
        except urllib.error.HTTPError as err:
            sub.answers.append(err.code)
        except (urllib.error.URLError, OSError):
            sub.answers.append(0)
        sub.pushes += 1

    def stop(self) -> None:
        self._halt.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
