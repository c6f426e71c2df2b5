"""``akhbar``: the one command line of the pipeline (``[project.scripts]``, click).

One module per command group; each wraps the functions the services themselves run
(``fetcher.wiring``, ``akhbar.replay``, ``indexer.search``, ``indexer.reindex``), so the CLI
never has its own copy of the logic. ``python -m fetcher|enricher|indexer`` still work and call
the same functions (compose and the fault suite start the services that way).

    akhbar run fetcher|enricher|indexer [ARGS]   a service in the foreground
    akhbar stack up|down|status|env              the local Kafka + Elasticsearch (no Docker)
    akhbar fetch URL [--publish]                 one page through the fetcher's client and extractor
    akhbar search [QUERY] [filters] [--json]     the read alias (--collapse-stories, --story ID)
    akhbar stories [--topic T] [--entity KEY]    what is trending: stories by size and recency
    akhbar dlq list|show|replay                  dead letters by stage, reason and time
    akhbar reindex                               a new index version from the enriched topic
    akhbar status [--json]                       topics, lag, dead letters, indices, aliases, models
"""

from __future__ import annotations

import logging

import click

from akhbar.cli import dlq, fetch, indexing, run, stack, status
from akhbar.cli._shared import AkhbarGroup
from akhbar.logs import configure_logging


@click.group(cls=AkhbarGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="akhbar")
@click.option("-v", "--verbose", is_flag=True, help="log INFO too (JSON on stderr; default: warnings)")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Akhbar: Arabic news ingestion (fetcher → enricher → indexer), one command line.

    Settings come from the environment (KAFKA_BOOTSTRAP_SERVERS, ELASTICSEARCH_URL, AKHBAR_*;
    see the README). Exit codes: 0 done, 1 refused or not found, 2 bad argument or setting,
    3 Kafka or Elasticsearch unreachable.
    """
    ctx.ensure_object(dict)
    # `run` leaves logging to the service it starts; the rest logs what went wrong, as JSON lines
    if ctx.invoked_subcommand != "run":
        configure_logging("akhbar", "INFO" if verbose else "WARNING")
        if not verbose:  # the clients' retry chatter; the command's own error line says what failed
            for noisy in ("kafka", "elastic_transport", "elasticsearch"):
                logging.getLogger(noisy).setLevel(logging.CRITICAL)


cli.add_command(run.run)
cli.add_command(stack.stack)
cli.add_command(fetch.fetch)
cli.add_command(indexing.search)
cli.add_command(indexing.stories)
cli.add_command(indexing.reindex)
cli.add_command(dlq.dlq)
cli.add_command(status.status)


def main() -> None:
    """The console script ``akhbar``."""
    cli(prog_name="akhbar")
