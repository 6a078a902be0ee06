"""The fuzz suite's summary line at the end of the run, also with pytest-xdist.

Each worker process leaves its tally in a file; the controlling process, which prints the
terminal summary but never collects tests/fuzz, adds them up before it prints the line. The
hooks are installed by tests/conftest.py for that reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fuzz.attack import TALLY

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _worker_tallies() -> list[Path]:
    return sorted(ARTIFACTS.glob(".fuzz-tally-*.json"))


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the controlling process, or no xdist
        for stale in _worker_tallies():
            stale.unlink()


def pytest_sessionfinish(session: pytest.Session) -> None:
    worker = getattr(session.config, "workerinput", {}).get("workerid")
    if worker and TALLY.requests:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f".fuzz-tally-{worker}.json").write_text(json.dumps(TALLY.raw()))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if hasattr(terminalreporter.config, "workerinput"):
        return  # a worker's summary is never shown; the controlling process adds them up
    for tally in _worker_tallies():
        TALLY.add(json.loads(tally.read_text()))
        tally.unlink()
    if not TALLY.requests:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    summary = TALLY.as_json()
    (ARTIFACTS / "fuzz-summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    terminalreporter.write_sep("-", "fuzz summary")
    terminalreporter.write_line(
        f"fuzz: {TALLY.requests} requests, {TALLY.server_errors} responses 5xx, "
        f"{len(TALLY.endpoints & TALLY.all_endpoints)} of {len(TALLY.all_endpoints)} URL rules "
        f"reached, {len(TALLY.routes)} distinct paths, {TALLY.forms} forms, "
        f"by backend {dict(TALLY.by_backend)}, by role {dict(TALLY.by_role)}, "
        f"by status {summary['by_status']}"
    )
