"""What `fit-platform scheduler --once` says about each job it ran.

One line per job, `job=<name>` then every figure by name (`key=value`, no spaces in a value):
an operator reads it, and a log collector's logfmt parser splits it without a custom rule.
Jobs that return a bare count get a name for it here, so no line says only "0".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

Figure = int | bool | str | None

# The jobs whose service returns one count: what that count is.
COUNT_NAMES = {
    "reminders": "reminders_queued",
    "expire": "invitations_expired",
    "resume_pauses": "pauses_ended",
    "escalate": "risk_signals_escalated",
}


def job_figures(job: str, result: Any) -> dict[str, Figure]:
    """The named figures of one job's result (nested results flattened, in field order)."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return dict(_fields(result))
    if isinstance(result, bool) or not isinstance(result, int):
        return {"result": _plain(result)}
    return {COUNT_NAMES.get(job, "count"): result}


def _fields(result: Any) -> Iterator[tuple[str, Figure]]:
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            yield from _fields(value)
        else:
            yield field.name, _plain(value)


def _plain(value: Any) -> Figure:
    if value is None or isinstance(value, int | str):
        return value  # bool is an int
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def report_line(job: str, figures: dict[str, Figure]) -> str:
    """`job=enqueue candidates=3 invitations=2 messages=2` (logfmt)."""
    return " ".join([f"job={job}", *(f"{key}={_logfmt(value)}" for key, value in figures.items())])


def _logfmt(value: Figure) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if not text or any(c.isspace() or c in '"=\\' for c in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text
