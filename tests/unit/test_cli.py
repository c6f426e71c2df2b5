"""The `akhbar` command without services: arguments, settings errors, rendering of given data.

Unreachable services are real closed loopback ports, never mocks: the messages must name the
setting to fix.
"""

from __future__ import annotations

import base64
import json
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from akhbar.cli import cli
from akhbar.cli._shared import SettingsError, redact_url, render_table
from akhbar.cli.dlq import letter_detail, letter_row, parse_ref, render_letters
from akhbar.cli.stack import stack_env
from akhbar.cli.status import render_status
from akhbar.messages import DeadLetter, Stage
from akhbar.provision import ProvisionSettings
from akhbar.replay import ReplayFilter, ScannedLetter, parse_when
from akhbar.settings import CommonSettings, describe_settings_error

FAILED = datetime(2026, 12, 1, 10, 30, 5, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _invoke(*args: str, **env: str) -> object:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def _letter(**overrides: object) -> DeadLetter:
    fields: dict[str, object] = {
        "stage": Stage.INDEXER,
        "error_class": "DocumentRejected",
        "reason": "document contains an immense term in field tags",
        "original_b64": base64.b64encode('{"id": "a1", "title": "خبر"}'.encode()).decode(),
        "original_key": "a1",
        "topic": "akhbar.articles.enriched",
        "partition": 2,
        "offset": 41,
        "failed_at": FAILED,
    }
    fields.update(overrides)
    return DeadLetter.model_validate(fields)


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "stack", "fetch", "search", "dlq", "reindex", "status"):
        assert f"  {command} " in result.output


def test_a_bad_setting_is_named_with_its_value_exit_2() -> None:
    result = CliRunner().invoke(cli, ["status"], env={"AKHBAR_TOPIC_PARTITIONS": "0"})
    assert result.exit_code == 2
    assert result.stderr == (
        "error: invalid setting AKHBAR_TOPIC_PARTITIONS='0': Input should be greater than or equal to 1\n"
    )


def test_the_variable_actually_set_is_named_not_the_first_alias() -> None:
    # AKHBAR_METRICS_PORT is the indexer's fallback for AKHBAR_INDEXER_METRICS_PORT; nothing starts
    result = CliRunner().invoke(cli, ["run", "indexer"], env={"AKHBAR_METRICS_PORT": "99999"})
    assert result.exit_code == 2
    assert "AKHBAR_METRICS_PORT='99999': Input should be less than or equal to 65535" in result.stderr


def test_a_secret_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AKHBAR_ES_INDEXER_PASSWORD", "hunter2")
    with pytest.raises(ValidationError) as err:
        ProvisionSettings()
    line = describe_settings_error(err.value, ProvisionSettings)
    assert line.startswith("invalid setting AKHBAR_ES_INDEXER_PASSWORD=<hidden>: Value error, a placeholder")
    assert "hunter2" not in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["dlq", "show", "indexer:x:1"],
            "Invalid value for REF: 'indexer:x:1': expected STAGE:PARTITION:OFFSET",
        ),
        (["dlq", "list", "--since", "yesterday"], "Invalid value for '--since': 'yesterday' is neither"),
        (["dlq", "list", "--stage", "loader"], "Invalid value for '--stage': 'loader' is not one of"),
        (["dlq", "replay", "--stage", "fetcher"], "Invalid value for '--stage': 'fetcher' is not one of"),
        (["dlq", "replay"], "Missing option '--stage'"),
        (
            ["fetch", "ftp://example.org/a"],
            "Invalid value for URL: 'ftp://example.org/a' is not an http(s) URL",
        ),
        (
            ["fetch", "https://example.org/a", "--publish", "--source", "Bad Name"],
            "Invalid value for --source: 'Bad Name': lower-case letters, digits, . _ - only",
        ),
        (["search", "--size", "-1"], "Invalid value for '--size'"),
        (
            ["search", "--from", "last week"],
            "Invalid value for '--from': 'last week': an ISO date (2026-01-01)",
        ),
        (["run", "loader"], "No such command 'loader'"),
        (["stack", "reset"], "No such command 'reset'"),
    ],
)
def test_argument_errors_name_the_argument_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_status_names_both_unreachable_services_exit_3() -> None:
    kafka, es = f"127.0.0.1:{_closed_port()}", f"http://127.0.0.1:{_closed_port()}"
    result = CliRunner().invoke(
        cli,
        ["status", "--json", "--timeout-s", "1"],
        env={"KAFKA_BOOTSTRAP_SERVERS": kafka, "ELASTICSEARCH_URL": es},
    )
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["kafka"] is None and report["elasticsearch"] is None
    assert [(e["service"], e["setting"], e["value"]) for e in report["errors"]] == [
        ("kafka", "KAFKA_BOOTSTRAP_SERVERS", kafka),
        ("elasticsearch", "ELASTICSEARCH_URL", es),
    ]
    assert set(report["models"]) == {"language", "ner", "topics", "entities"}
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"error: Kafka unreachable at {kafka} (set KAFKA_BOOTSTRAP_SERVERS): ")
    assert lines[1].startswith(f"error: Elasticsearch unreachable at {es} (set ELASTICSEARCH_URL): ")


def test_search_and_reindex_name_elasticsearch_url_when_it_is_down() -> None:
    es = f"http://elastic:s3cret@127.0.0.1:{_closed_port()}"
    for args in (["search", "خبر"], ["reindex", "--wait-s", "0"]):
        result = CliRunner().invoke(cli, args, env={"ELASTICSEARCH_URL": es})
        assert result.exit_code == 3, result.output
        assert result.stderr.startswith(
            f"error: Elasticsearch unreachable at {redact_url(es)} (set ELASTICSEARCH_URL): "
        )
        assert "s3cret" not in result.stderr


def test_redact_url_keeps_user_host_port() -> None:
    assert (
        redact_url("http://akhbar_indexer:abc123@elasticsearch:9200/x")
        == "http://akhbar_indexer:***@elasticsearch:9200/x"
    )
    assert redact_url("http://127.0.0.1:9200") == "http://127.0.0.1:9200"


def test_stack_ports_follow_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "KAFKA_BOOTSTRAP_SERVERS",
        "ELASTICSEARCH_URL",
        "AKHBAR_KAFKA_BOOTSTRAP_SERVERS",
        "AKHBAR_ELASTICSEARCH_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = CommonSettings(
        kafka_bootstrap_servers="127.0.0.1:39092", elasticsearch_url="http://127.0.0.1:39200"
    )
    assert stack_env(settings, {}) == {
        "KAFKA_PORT": "39092",
        "KAFKA_CONTROLLER_PORT": "39093",
        "ES_PORT": "39200",
        "AKHBAR_STACK_DIR": str(ROOT / ".stack-39092"),  # never the default stack's log directory
    }
    assert "AKHBAR_STACK_DIR" not in stack_env(settings, {"AKHBAR_STACK_DIR": "/srv/stack"})
    assert (
        stack_env(settings, {"KAFKA_CONTROLLER_PORT": "40000", "ES_PORT": "39200"})["KAFKA_CONTROLLER_PORT"]
        == "40000"
    )
    with pytest.raises(SettingsError, match="KAFKA_PORT=9092 but KAFKA_BOOTSTRAP_SERVERS says 39092"):
        stack_env(settings, {"KAFKA_PORT": "9092"})
    # stack.sh's own variables still work when the settings are left at their defaults
    assert stack_env(CommonSettings(), {"KAFKA_PORT": "49092", "ES_PORT": "49200"}) == {
        "KAFKA_PORT": "49092",
        "KAFKA_CONTROLLER_PORT": "49093",
        "ES_PORT": "49200",
        "AKHBAR_STACK_DIR": str(ROOT / ".stack-49092"),
    }
    assert stack_env(CommonSettings(), {}) == {
        "KAFKA_PORT": "9092",
        "KAFKA_CONTROLLER_PORT": "9093",
        "ES_PORT": "9200",
    }
    with pytest.raises(SettingsError, match="KAFKA_BOOTSTRAP_SERVERS='kafka:9092'"):
        stack_env(CommonSettings(kafka_bootstrap_servers="kafka:9092"), {})
    with pytest.raises(SettingsError, match="ELASTICSEARCH_URL: the local stack serves http on loopback"):
        stack_env(CommonSettings(elasticsearch_url="https://es.example.org:9200"), {})


def test_parse_when_spans_and_naive_times_are_utc() -> None:
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert parse_when("90m", now=now) == datetime(2026, 12, 2, 10, 30, tzinfo=UTC)
    assert parse_when("7d", now=now) == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert parse_when("2026-12-01") == datetime(2026, 12, 1, tzinfo=UTC)
    assert parse_when("2026-12-01T08:00:00+03:00") == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="neither an ISO 8601 time nor a span"):
        parse_when("last week")


def test_reason_matches_a_substring_or_the_error_class() -> None:
    letter = _letter()
    assert ReplayFilter(reason="immense term").accepts(letter)
    assert ReplayFilter(reason="DocumentRejected").accepts(letter)
    assert not ReplayFilter(reason="Document").accepts(_letter(reason="bad json"))
    assert not ReplayFilter(reason="InvalidMessage").accepts(letter)
    assert ReplayFilter(since=FAILED, until=FAILED).accepts(letter)
    assert not ReplayFilter(since=parse_when("2026-12-02")).accepts(letter)


def test_search_dates_take_iso_and_date_math() -> None:
    from akhbar.cli.indexing import _DATE_MATH, _iso

    assert all(_DATE_MATH.match(v) for v in ("now", "now-7d/d", "now+1h", "now/M"))
    assert _iso("2026-01-01") and _iso("2026-01-01T10:00:00+03:00") and not _iso("2026-13-01")


def test_parse_ref() -> None:
    assert parse_ref("enricher:0:17") == ("enricher", 0, 17)


def test_dead_letter_line_and_detail() -> None:
    scanned = ScannedLetter("akhbar.dlq.indexer", 1, 7, 0, _letter())
    row = letter_row("indexer", scanned)
    assert row == {
        "ref": "indexer:1:7",
        "stage": "indexer",
        "failed_at": "2026-12-01T10:30:05Z",
        "error_class": "DocumentRejected",
        "reason": "document contains an immense term in field tags",
        "url": None,
        "key": "a1",
        "topic": "akhbar.articles.enriched",
        "partition": 2,
        "offset": 41,
        "original_size": None,
    }
    unreadable = letter_row("indexer", ScannedLetter("akhbar.dlq.indexer", 1, 8, 0, None, "not UTF-8 JSON"))
    assert render_letters([row, unreadable]) == (
        "REF          FAILED AT            ERROR CLASS       REASON                                           URL / ID\n"
        "indexer:1:7  2026-12-01T10:30:05  DocumentRejected  document contains an immense term in field tags  a1\n"
        "indexer:1:8  -                    <unreadable>      not UTF-8 JSON                                   -"
    )
    detail = letter_detail("indexer", scanned)
    assert detail["ref"] == "indexer:1:7" and detail["dlq_topic"] == "akhbar.dlq.indexer"
    assert detail["original"] == {"json": {"id": "a1", "title": "خبر"}}
    assert "original_b64" not in detail
    page = letter_detail(
        "fetcher", ScannedLetter("t", 0, 0, 0, _letter(original_b64=base64.b64encode(b"<html>").decode()))
    )
    assert page["original"] == {"text": "<html>"}
    binary = letter_detail("fetcher", ScannedLetter("t", 0, 0, 0, _letter(original_b64="/w==")))
    assert binary["original"] == {"base64": "/w=="}


def test_render_table_pads_and_dashes_empty_cells() -> None:
    assert render_table(["A", "BB"], [["xyz", None], ["", 1]]) == "A    BB\nxyz  -\n-    1"


STATUS = {
    "kafka": {
        "bootstrap_servers": "127.0.0.1:9092",
        "topics": [
            {
                "topic": "akhbar.articles.raw",
                "role": "raw",
                "partitions": 2,
                "end_offsets": [3, 4],
                "messages": 7,
            },
            {
                "topic": "akhbar.dlq.indexer",
                "role": "dlq.indexer",
                "partitions": 0,
                "end_offsets": [],
                "messages": 0,
            },
        ],
        "groups": [
            {
                "group": "akhbar-enricher",
                "service": "enricher",
                "topic": "akhbar.articles.raw",
                "state": "Stable",
                "members": 1,
                "committed": [3, None],
                "lag": [0, 4],
                "total_lag": 4,
            }
        ],
        "dead_letters": {"indexer": 0},
    },
    "elasticsearch": {
        "url": "http://127.0.0.1:9200",
        "read_alias": {"name": "akhbar-articles", "indices": ["akhbar-articles-v1"]},
        "write_alias": {"name": "akhbar-articles-write", "indices": ["akhbar-articles-v1"]},
        "indices": [
            {
                "index": "akhbar-articles-v1",
                "documents": 3,
                "aliases": ["akhbar-articles", "akhbar-articles-write"],
            }
        ],
        "stories": {"index": "akhbar-articles-stories", "stories": 2},
        "model_versions": {"ner": {"abc+rules-5": 3}},
    },
    "models": {"language": "lingua-2.1.1+rules-2", "ner": "abc+rules-5"},
    "errors": [],
}


def test_render_status_tables() -> None:
    assert render_status(STATUS) == "\n".join(
        [
            "Kafka (127.0.0.1:9092)",
            "TOPIC                ROLE         PARTITIONS  END OFFSETS  MESSAGES",
            "akhbar.articles.raw  raw          2           3,4          7",
            "akhbar.dlq.indexer   dlq.indexer  missing     -            0",
            "",
            "GROUP            SERVICE   STATE   MEMBERS  TOPIC                LAG  COMMITTED  LAG PER PARTITION",
            "akhbar-enricher  enricher  Stable  1        akhbar.articles.raw  4    3,-        0,4",
            "",
            "Dead letters: indexer 0",
            "",
            "Elasticsearch (http://127.0.0.1:9200)",
            "INDEX               DOCUMENTS  ALIASES",
            "akhbar-articles-v1  3          akhbar-articles, akhbar-articles-write",
            "akhbar-articles → akhbar-articles-v1",
            "akhbar-articles-write → akhbar-articles-v1",
            "akhbar-articles-stories: 2 stories",
            "",
            "MODEL     INSTALLED             INDEXED (DOCUMENTS)",
            "language  lingua-2.1.1+rules-2  -",
            "ner       abc+rules-5           abc+rules-5 (3)",
        ]
    )


def test_run_hands_its_args_to_the_service_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    import enricher.__main__
    import fetcher.__main__
    import indexer.__main__

    calls: list[object] = []
    monkeypatch.setattr(fetcher.__main__, "main", lambda argv: calls.append(argv) or 0)
    monkeypatch.setattr(indexer.__main__, "main", lambda argv: calls.append(argv) or 4)
    monkeypatch.setattr(enricher.__main__, "main", lambda: calls.append(list(sys.argv)))
    monkeypatch.setattr("sys.argv", ["pytest"])
    runner = CliRunner()
    assert runner.invoke(cli, ["run", "fetcher", "--sources", "s.yaml"]).exit_code == 0
    assert runner.invoke(cli, ["run", "indexer", "--max-messages", "3", "--help"]).exit_code == 4
    assert runner.invoke(cli, ["run", "enricher", "--web-port", "7000"]).exit_code == 0
    assert calls == [
        ["run", "--sources", "s.yaml"],
        ["run", "--max-messages", "3", "--help"],  # --help goes to the service's own parser
        ["akhbar run enricher", "worker", "--web-port", "7000"],
    ]


def test_dlq_names_kafka_bootstrap_servers_when_the_broker_is_down() -> None:
    kafka = f"127.0.0.1:{_closed_port()}"
    result = CliRunner().invoke(cli, ["dlq", "show", "indexer:0:0"], env={"KAFKA_BOOTSTRAP_SERVERS": kafka})
    assert result.exit_code == 3
    assert result.stderr.startswith(f"error: Kafka unreachable at {kafka} (set KAFKA_BOOTSTRAP_SERVERS): ")


def test_the_services_own_entry_points_name_a_bad_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from fetcher.__main__ import main as fetcher_main
    from indexer.__main__ import main as indexer_main

    monkeypatch.setenv("AKHBAR_MAX_BATCH_SIZE", "lots")
    with pytest.raises(SystemExit) as exited:
        indexer_main(["search", "خبر"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "error: invalid setting AKHBAR_MAX_BATCH_SIZE='lots': "
        "Input should be a valid integer, unable to parse string as an integer\n"
    )
    monkeypatch.setenv("AKHBAR_FETCHER_METRICS_PORT", "-1")
    with pytest.raises(SystemExit) as exited:
        fetcher_main(["validate"])
    assert exited.value.code == 2
    assert (
        "AKHBAR_FETCHER_METRICS_PORT='-1': Input should be greater than or equal to 0"
        in capsys.readouterr().err
    )
