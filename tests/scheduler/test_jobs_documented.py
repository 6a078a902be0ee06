"""docs/messaging.md lists the scheduler's jobs with how often each runs, for the operator who
reads the scheduler's start line and its metrics. The table once left out `escalate` (the job
that shows an unacknowledged risk signal to the unit lead) and named the wrong function for
`clean_up`; this keeps the table to the jobs the clock runs and the intervals it runs them at."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from fit_platform.scheduler.clock import Intervals

DOC = Path(__file__).resolve().parents[2] / "docs" / "messaging.md"
UNITS = {"s": 1, "min": 60, "h": 3600}


def _documented() -> dict[str, float]:
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("| job | every | service |") :].split("\n\n", 1)[0]
    rows = re.findall(r"^\| (\w+) \| (\d+) (s|min|h) \|", table, re.MULTILINE)
    return {job: float(number) * UNITS[unit] for job, number, unit in rows}


def test_every_job_of_the_clock_is_in_the_table_with_its_interval() -> None:
    intervals = {field.name: field.default for field in dataclasses.fields(Intervals)}
    assert _documented() == intervals
