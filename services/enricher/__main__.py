"""Enricher CLI: ``python -m enricher worker`` (faust's own command line)."""

from __future__ import annotations

from akhbar.logs import configure_logging
from enricher.app import app, settings


def main() -> None:
    configure_logging("enricher", settings.log_level)
    app.main()


if __name__ == "__main__":
    main()
