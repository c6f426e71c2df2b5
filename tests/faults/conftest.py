"""Fault-injection suite fixtures: the controllable stack, one case at a time, the results table.

The cases kill the broker and take Elasticsearch down, so:

- they run after every other test of the session (``pytest_collection_modifyitems``);
- outside CI they run only when asked (``AKHBAR_STACK_DIR`` or ``FAULTS_N`` set, or
  ``AKHBAR_FAULTS=1``), so a plain ``make test`` against a colleague's shared stack never
  restarts it; under ``CI`` a missing or uncontrollable stack fails, never skips.
- ``FAULTS_REPORT=path`` writes the results table (``make faults`` → bench/results/faults.md).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from .harness import FULL, RATE, CaseRun, N, Row, machine
from .procs import Names
from .stack import Stack, StackError

_ROWS: list[Row] = []
_HERE = Path(__file__).resolve().parent

# The scale-out case (tests/faults/scale) needs a multi-node cluster and runs under `make scale`
# (AKHBAR_SCALE=1). It is not collected otherwise: not part of `make test` or CI, rather than a
# skip there (bench/results/scale.md carries its figures).
collect_ignore = [] if os.environ.get("AKHBAR_SCALE") else ["scale"]


def _is_fault(item: pytest.Item) -> bool:
    return _HERE in Path(str(item.fspath)).resolve().parents


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[Any]) -> None:
    """Fault cases restart the broker and Elasticsearch: run them last, in file order."""
    items[:] = [i for i in items if not _is_fault(i)] + [i for i in items if _is_fault(i)]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    row: Row | None = item.funcargs.get("row") if hasattr(item, "funcargs") else None
    if row is None or (report.when == "teardown" and report.passed):
        return
    if report.when == "call" or report.failed:
        row.outcome = "pass" if report.passed else "skip" if report.skipped else "FAIL"
        if report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            message = str(crash.message if crash is not None else report.longrepr)[:400]
            row.note = f"{row.note}; {report.when}: {message}" if row.note else f"{report.when}: {message}"


def _asked_for() -> bool:
    return bool(
        os.environ.get("CI")
        or os.environ.get("AKHBAR_STACK_DIR")
        or os.environ.get("FAULTS_N")
        or os.environ.get("AKHBAR_FAULTS")
    )


@pytest.fixture(scope="session")
def stack(kafka_bootstrap: str, es_url: str) -> Stack:
    if not _asked_for():
        pytest.skip(
            "fault cases kill the broker and stop Elasticsearch: set AKHBAR_STACK_DIR to the stack "
            "they may control (or AKHBAR_FAULTS=1 / CI=1); see tests/faults/conftest.py"
        )
    try:
        return Stack(kafka_bootstrap, es_url)
    except StackError as err:
        message = f"the fault suite cannot control the stack it runs against: {err}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def es_client(es_url: str) -> Elasticsearch:
    return Elasticsearch(es_url, request_timeout=30, retry_on_timeout=False, max_retries=0)


@pytest.fixture
def row(request: pytest.FixtureRequest) -> Row:
    r = Row(case=request.node.name.removeprefix("test_"))
    _ROWS.append(r)
    return r


@pytest.fixture
def names() -> Names:
    return Names(f"faults-{uuid.uuid4().hex[:10]}")


@pytest.fixture
def make_case(
    stack: Stack,
    kafka_bootstrap: str,
    es_url: str,
    es_client: Elasticsearch,
    row: Row,
    names: Names,
    tmp_path: Path,
) -> Iterator[Any]:
    runs: list[CaseRun] = []

    def build(**kwargs: Any) -> CaseRun:
        run = CaseRun(row, names, kafka=kafka_bootstrap, es_url=es_url, es=es_client, work=tmp_path, **kwargs)
        runs.append(run)
        return run

    yield build
    try:
        stack.ensure_up()  # a failed case must not leave the broker or the node down
    finally:
        for run in runs:
            run.close()


def _fmt(row: Row) -> str:
    letters = ", ".join(f"{k}: {v}" for k, v in row.dead_lettered.items()) or "0"
    recovery = ", ".join(f"{s:.1f}" for s in row.recovery_s) or "–"
    shutdown = ", ".join(f"{k} {v:.1f}" for k, v in row.shutdown_s.items()) or "–"
    return (
        f"| {row.case} | {row.outcome} | {row.articles_in} | {row.indexed} | {row.lost} | {row.duplicated} "
        f"| {letters} | {recovery} | {shutdown} |"
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = os.environ.get("FAULTS_REPORT")
    if not path or not _ROWS:
        return
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=_HERE
        ).stdout.strip()
    except OSError:
        commit = "?"
    lines = [
        "# Fault-injection suite (tests/faults)",
        "",
        f"Rerun: `make faults N={N}` (pytest tests/faults with FAULTS_N={N}, FAULTS_RATE={RATE:g}, "
        f"FAULTS_REPORT={path}). {'Full size' if FULL else 'CI size'}: {N} articles per stream case at "
        f"{RATE:g}/s. Commit {commit} plus the working tree. Machine: {machine()}. Stack: "
        f"{os.environ.get('AKHBAR_STACK_DIR') or '.stack'} (Kafka {os.environ.get('KAFKA_BOOTSTRAP_SERVERS')}, "
        f"Elasticsearch {os.environ.get('ELASTICSEARCH_URL')}).",
        "",
        "Articles in = valid articles offered by the site plus injected poison/hostile inputs. Lost = "
        "valid articles not indexed. Duplicated = documents beyond one per id or per URL. Recovery = "
        "seconds from the fault's end (process restarted; Elasticsearch or the broker answering "
        "again) until the stage progresses again (limit 15 s). Shutdown = seconds from SIGTERM to exit "
        "(limit 10 s, exit code 0).",
        "",
        "| case | result | articles in | indexed | lost | duplicated | dead-lettered by reason "
        "| recovery s | shutdown s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *(_fmt(r) for r in _ROWS),
        "",
    ]
    sizes = sorted(r.store_bytes_per_doc for r in _ROWS if r.store_bytes_per_doc and r.indexed >= 500)
    if sizes:
        lines += [
            f"Elasticsearch store per indexed document (primaries, after refresh, not force-merged; "
            f"cases with ≥ 500 documents): median {sizes[len(sizes) // 2]:,} bytes, range "
            f"{sizes[0]:,}–{sizes[-1]:,}.",
            "",
        ]
    notes = [f"- **{r.case}**: {r.note}" for r in _ROWS if r.note]
    if notes:
        lines += ["Failures and notes:", "", *notes, ""]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines), encoding="utf-8")
