"""Enricher CLI: ``python -m enricher worker`` (faust's own command line)."""

from __future__ import annotations

from enricher.app import app


def main() -> None:
    """Logging is configured by faust from the App's ``logging_config`` (JSON, like the other services)."""
    app.main()


if __name__ == "__main__":
    main()
