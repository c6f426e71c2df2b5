"""Enricher CLI: ``python -m enricher worker`` (faust's own command line)."""

from __future__ import annotations

import logging
import sys

from akhbar.errors import BrokerUnavailable
from akhbar.kafka import ensure_topics
from akhbar.settings import settings_or_exit
from enricher.settings import EnricherSettings

log = logging.getLogger("enricher")


def main() -> None:
    """Logging is configured by faust from the App's ``logging_config`` (JSON, like the other services).

    The topics are created first, with the size policy's ``max.message.bytes``, so a worker
    started before the fetcher consumes as soon as articles arrive; a broker that is not up
    yet is waited for by faust itself. A bad setting is named before faust starts (exit 2).
    """
    settings_or_exit(EnricherSettings)
    from enricher.app import app, settings  # reads the settings at import

    if "worker" in sys.argv[1:] and "--with-web" not in sys.argv:
        # /livez, /readyz and /metrics come from enricher.health on the web host and port
        sys.argv.append("--without-web")
    topics = [settings.topic_raw, settings.topic_enriched, settings.topic_dlq_enricher]
    try:
        ensure_topics(settings, topics, timeout_s=15.0)
    except BrokerUnavailable as err:
        log.warning("topics not ensured at start; faust declares them", extra={"error": str(err)})
    app.main()


if __name__ == "__main__":
    main()
