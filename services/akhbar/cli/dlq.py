"""``akhbar dlq list|show|replay``: the dead-letter topics, by stage, reason and time.

``list`` and ``show`` read with a throwaway consumer (no group, nothing committed: looking
changes nothing) through ``akhbar.replay.scan_dead_letters``; ``replay`` is
``akhbar.replay.replay_from_settings`` with the same filters. A letter is named by its
reference ``STAGE:PARTITION:OFFSET`` (the first column of ``list``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import click

from akhbar.cli._shared import CliError, echo_json, load_settings, render_table, shorten
from akhbar.replay import ReplayFilter, ScannedLetter, parse_when
from akhbar.settings import CommonSettings

STAGES = ("fetcher", "enricher", "indexer")
REPLAYABLE = ("enricher", "indexer")  # the fetcher's letters hold page bodies, not messages
# Throwaway readers fail fast when the broker is not there (kafka-python waits 30 s by default).
_BOOTSTRAP_TIMEOUT_MS = 10_000


class WhenType(click.ParamType):
    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_when(str(value))
        except ValueError as err:
            self.fail(str(err), param, ctx)


WHEN = WhenType()


def dlq_topic(settings: CommonSettings, stage: str) -> str:
    return str(getattr(settings, f"topic_dlq_{stage}"))


def parse_ref(ref: str) -> tuple[str, int, int]:
    """``indexer:0:12`` → (stage, partition, offset)."""
    stage, _, rest = ref.partition(":")
    partition, _, offset = rest.partition(":")
    if stage not in STAGES or not partition.isdigit() or not offset.isdigit():
        raise click.BadParameter(
            f"{ref!r}: expected STAGE:PARTITION:OFFSET, STAGE one of {', '.join(STAGES)}", param_hint="REF"
        )
    return stage, int(partition), int(offset)


def letter_row(stage: str, scanned: ScannedLetter) -> dict[str, Any]:
    """One letter as ``list --json`` prints it (and the table shows it)."""
    ref = f"{stage}:{scanned.partition}:{scanned.offset}"
    letter = scanned.letter
    if letter is None:
        return {"ref": ref, "stage": stage, "error_class": "<unreadable>", "reason": scanned.error}
    return {
        "ref": ref,
        "stage": letter.stage.value,
        "failed_at": letter.failed_at.isoformat().replace("+00:00", "Z"),
        "error_class": letter.error_class,
        "reason": letter.reason,
        "url": letter.url,
        "key": letter.original_key,
        "topic": letter.topic,
        "partition": letter.partition,
        "offset": letter.offset,
        "original_size": letter.original_size,
    }


def render_letters(rows: list[dict[str, Any]]) -> str:
    return render_table(
        ["REF", "FAILED AT", "ERROR CLASS", "REASON", "URL / ID"],
        [
            [
                r["ref"],
                str(r.get("failed_at") or "")[:19],
                r["error_class"],
                shorten(str(r.get("reason") or ""), 60),
                r.get("url") or r.get("key"),
            ]
            for r in rows
        ],
    )


def letter_detail(stage: str, scanned: ScannedLetter) -> dict[str, Any]:
    """The whole letter, its original decoded: JSON when it is, text when UTF-8, base64 otherwise."""
    letter = scanned.letter
    where = {"ref": f"{stage}:{scanned.partition}:{scanned.offset}", "dlq_topic": scanned.topic}
    if letter is None:
        return {**where, "error": scanned.error}
    body = letter.model_dump(mode="json", exclude_none=True, exclude={"original_b64"})
    raw = letter.original()
    original: dict[str, Any]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        original = {"base64": letter.original_b64}
    else:
        try:
            original = {"json": json.loads(text)}
        except ValueError:
            original = {"text": text}
    return {**where, **body, "original": original}


def _scan(
    settings: CommonSettings, stage: str, *, partition: int | None = None, offset: int | None = None
) -> Iterator[ScannedLetter]:
    from akhbar.kafka import make_consumer
    from akhbar.replay import scan_dead_letters

    consumer = make_consumer(
        settings, group_id=None, client_id="akhbar-dlq", bootstrap_timeout_ms=_BOOTSTRAP_TIMEOUT_MS
    )
    try:
        yield from scan_dead_letters(consumer, dlq_topic(settings, stage), partition=partition, offset=offset)
    finally:
        consumer.close()


_stage_option = click.option(
    "--stage",
    "stages",
    multiple=True,
    type=click.Choice(STAGES),
    help="fetcher, enricher or indexer (repeat; default: all)",
)
_reason_option = click.option("--reason", help="substring of the reason, or the exact error class")
_since_option = click.option(
    "--since", type=WHEN, help="failed at/after: ISO 8601 (UTC if no offset) or 2h, 7d ago"
)
_until_option = click.option("--until", type=WHEN, help="failed at/before: ISO 8601 or 2h, 7d ago")


@click.group()
def dlq() -> None:
    """Dead letters: what a stage set aside, with the original and the reason."""


@dlq.command("list")
@_stage_option
@_reason_option
@_since_option
@_until_option
@click.option("--limit", type=click.IntRange(1), help="at most N letters")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
def list_letters(
    stages: tuple[str, ...],
    reason: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """One line per letter: reference, time, error class, reason, URL or id."""
    settings = load_settings(CommonSettings)
    selection = ReplayFilter(reason=reason, since=since, until=until)
    rows: list[dict[str, Any]] = []
    for stage in dict.fromkeys(stages or STAGES):
        for scanned in _scan(settings, stage):
            if scanned.letter is not None and not selection.accepts(scanned.letter):
                continue
            if scanned.letter is None and (reason or since or until):
                continue
            rows.append(letter_row(stage, scanned))
            if limit is not None and len(rows) >= limit:
                break
        if limit is not None and len(rows) >= limit:
            break
    if as_json:
        for row in rows:
            echo_json(row, indent=None)
    elif rows:
        click.echo(render_letters(rows))
    else:
        click.echo("no dead letters match", err=True)


@dlq.command()
@click.argument("ref")
def show(ref: str) -> None:
    """One letter in full, its original included (REF = STAGE:PARTITION:OFFSET, as `list` prints)."""
    stage, partition, offset = parse_ref(ref)
    settings = load_settings(CommonSettings)
    for scanned in _scan(settings, stage, partition=partition, offset=offset):
        if scanned.offset == offset:
            echo_json(letter_detail(stage, scanned))
            return
        break  # the record there is gone (retention): the next one is another letter
    raise CliError(f"no letter {ref} in {dlq_topic(settings, stage)}")


@dlq.command()
@click.option(
    "--stage",
    "stages",
    multiple=True,
    required=True,
    type=click.Choice(REPLAYABLE),
    help="enricher or indexer (repeat); the fetcher's letters are pages, not messages",
)
@_reason_option
@_since_option
@_until_option
@click.option("--limit", type=click.IntRange(1), help="replay at most N letters per stage")
@click.option("--to-topic", help="default: the topic each letter came from")
@click.option("--dry-run", is_flag=True, help="count what would be replayed, send nothing")
def replay(
    stages: tuple[str, ...],
    reason: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int | None,
    to_topic: str | None,
    dry_run: bool,
) -> None:
    """Re-publish matching letters to the topic they came from, after a fix (one JSON line per stage)."""
    from akhbar.replay import replay_from_settings

    settings = load_settings(CommonSettings)
    selection = ReplayFilter(reason=reason, since=since, until=until)
    for stage in dict.fromkeys(stages):
        topic = dlq_topic(settings, stage)
        report = replay_from_settings(
            settings, topic, selection=selection, to_topic=to_topic, dry_run=dry_run, limit=limit
        )
        echo_json({"stage": stage, "dlq_topic": topic, **report.as_dict(), "dry_run": dry_run}, indent=None)
