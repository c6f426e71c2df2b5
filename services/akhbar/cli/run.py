"""``akhbar run fetcher|enricher|indexer [ARGS]``: a service in the foreground, through its own CLI.

ARGS go unchanged to ``python -m fetcher run``, ``python -m indexer run`` or
``python -m enricher worker`` (faust), so every option documented there works here. The
settings are validated first, so a bad variable is named before anything starts.
"""

from __future__ import annotations

import sys

import click

from akhbar.cli._shared import load_settings

# --help goes to the service too: it lists the options that really apply
_PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


@click.group()
def run() -> None:
    """Run one service in the foreground (SIGTERM/Ctrl-C stops it cleanly)."""


@run.command(context_settings=_PASS_THROUGH)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def fetcher(args: tuple[str, ...]) -> None:
    """Poll the sources (ARGS: those of `python -m fetcher run`, e.g. --sources FILE)."""
    from fetcher.__main__ import main
    from fetcher.settings import FetcherSettings

    load_settings(FetcherSettings)
    sys.exit(main(["run", *args]))


@run.command(context_settings=_PASS_THROUGH)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def indexer(args: tuple[str, ...]) -> None:
    """Index enriched articles (ARGS: those of `python -m indexer run`, e.g. --max-batch-size)."""
    from indexer.__main__ import main
    from indexer.settings import IndexerSettings

    load_settings(IndexerSettings)
    sys.exit(main(["run", *args]))


@run.command(context_settings=_PASS_THROUGH)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def enricher(args: tuple[str, ...]) -> None:
    """Enrich raw articles: a faust worker (ARGS: those of `faust worker`, e.g. --loglevel warn).

    The web host and port come from AKHBAR_WEB_HOST / AKHBAR_WEB_PORT unless ARGS give them.
    """
    from enricher.settings import EnricherSettings

    load_settings(EnricherSettings)  # before enricher.app reads them at import
    from enricher.__main__ import main

    # faust parses sys.argv itself
    sys.argv = ["akhbar run enricher", "worker", *args]
    main()
