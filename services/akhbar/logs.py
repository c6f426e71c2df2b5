"""Structured JSON logs on stderr, one object per line, for every service."""

from __future__ import annotations

import logging
import logging.config
from typing import Any

from pythonjsonlogger.json import JsonFormatter

_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_RENAME = {"asctime": "time", "levelname": "level", "name": "logger"}
# Client libraries are chatty at INFO (every connection, every metadata refresh).
_NOISY = ("kafka", "aiokafka", "elastic_transport", "httpx", "httpcore", "faust", "mode")


def logging_dict_config(service: str, level: str = "INFO", client_level: str = "WARNING") -> dict[str, Any]:
    """The same set-up as :func:`configure_logging`, as a dictConfig (faust takes this form).

    Client libraries log at ``client_level`` (never below the service's own level unless asked):
    debugging a consumer that holds partitions and fetches nothing needs kafka's DEBUG lines."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": JsonFormatter,
                "fmt": _FORMAT,
                "rename_fields": _RENAME,
                "static_fields": {"service": service},
                "json_ensure_ascii": False,
            }
        },
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {name: {"level": logging.getLevelName(client_level.upper())} for name in _NOISY},
    }


def configure_logging(service: str, level: str = "INFO", client_level: str = "WARNING") -> None:
    logging.config.dictConfig(logging_dict_config(service, level, client_level))
