"""What every ``akhbar`` command shares: settings loading, error translation, tables and JSON.

Exit codes, the same for every command: 0 done; 1 refused or not found (a search on a missing
index, a letter that does not exist, a page dead-lettered); 2 a bad argument or setting (the
message names it); 3 Kafka or Elasticsearch unreachable (the message names the setting).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import click
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from akhbar.errors import AkhbarError, BrokerUnavailable, SearchUnavailable, TransientError
from akhbar.settings import CommonSettings, describe_settings_error

S = TypeVar("S", bound=BaseSettings)

KAFKA_SETTING = "KAFKA_BOOTSTRAP_SERVERS"
ES_SETTING = "ELASTICSEARCH_URL"


class CliError(click.ClickException):
    """A failure the user can act on: printed as one line, exit code 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class SettingsError(CliError):
    exit_code = 2


class Unreachable(CliError):
    exit_code = 3


def load_settings(model: type[S]) -> S:
    """``model()`` from the environment; a bad value becomes one line naming the variable (exit 2)."""
    try:
        settings = model()
    except ValidationError as err:
        raise SettingsError(describe_settings_error(err, model)) from None
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.find_root().ensure_object(dict)["settings"] = settings
    return settings


def redact_url(url: str) -> str:
    """``url`` without its password (the indexer's ELASTICSEARCH_URL carries one in compose)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def kafka_unreachable(settings: CommonSettings, err: BaseException) -> Unreachable:
    return Unreachable(
        f"Kafka unreachable at {settings.kafka_bootstrap_servers} (set {KAFKA_SETTING}): {err}"
    )


def es_unreachable(settings: CommonSettings, err: BaseException | str) -> Unreachable:
    return Unreachable(
        f"Elasticsearch unreachable at {redact_url(settings.elasticsearch_url)} (set {ES_SETTING}): {err}"
    )


class AkhbarGroup(click.Group):
    """Translates our errors into one line and an exit code, for every subcommand below it."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TransientError as err:
            settings = (ctx.find_root().obj or {}).get("settings") or CommonSettings.model_construct()
            if isinstance(err, BrokerUnavailable):
                raise kafka_unreachable(settings, err) from None
            if isinstance(err, SearchUnavailable):
                raise es_unreachable(settings, err) from None
            raise Unreachable(str(err)) from None
        except AkhbarError as err:
            raise CliError(str(err)) from None
        except Exception as err:  # a client error our boundary modules did not translate
            raise _client_error(ctx, err) from None


def _client_error(ctx: click.Context, err: Exception) -> Exception:
    """kafka-python's and elasticsearch's own errors, named by their setting; anything else unchanged."""
    from elasticsearch import ApiError
    from elasticsearch import TransportError as ESTransportError
    from kafka.errors import KafkaError

    settings = (ctx.find_root().obj or {}).get("settings") or CommonSettings.model_construct()
    if isinstance(err, KafkaError):
        servers = settings.kafka_bootstrap_servers
        return Unreachable(f"Kafka at {servers} (set {KAFKA_SETTING}) failed: {type(err).__name__}: {err}")
    if isinstance(err, ESTransportError):
        return es_unreachable(settings, f"{type(err).__name__}: {err}")
    if isinstance(err, ApiError):
        return CliError(f"Elasticsearch at {redact_url(settings.elasticsearch_url)} refused: {err}")
    return err


def echo_json(data: Any, *, indent: int | None = 2) -> None:
    """JSON with Arabic as is; times and other objects as strings."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=indent, default=str))


def _width(text: str) -> int:
    return sum(0 if unicodedata.combining(c) else 1 for c in text)


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain left-aligned table; empty cells print as ``-``."""
    cells = [[("-" if v is None or v == "" else str(v)) for v in row] for row in rows]
    widths = [_width(h) for h in headers]
    for row in cells:
        widths = [max(w, _width(c)) for w, c in zip(widths, row, strict=True)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (w - _width(v)) for v, w in zip(values, widths, strict=True)).rstrip()

    return "\n".join([line(headers), *(line(r) for r in cells)])


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
