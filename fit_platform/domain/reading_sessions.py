"""What the patient's "who has looked at your answers" list calls one reading session.

The access log writes a row for every page a staff member opens (the caseload list alone
writes one per patient each time it is shown), so listing rows would show the same reader many
times over. A **reading session** is a run of reads of one patient by the same staff member in
the same role and unit where each read follows the previous one within ``SESSION_GAP`` (30
minutes, the staff session's idle timeout). It is shown once: when it started, who (role and
unit, never the name) and what was done, each kind of action once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from fit_platform.domain.codes import Role

SESSION_GAP = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class Read:
    """One access-log row as the grouping needs it; ``reader`` is the staff id."""

    reader: int
    role: Role
    unit_name: str | None
    action: str
    at: dt.datetime


@dataclass(frozen=True)
class ReadingSession:
    """One row of the patient's list: no staff id or name, by design."""

    role: Role
    unit_name: str | None
    started_at: dt.datetime
    ended_at: dt.datetime
    actions: tuple[str, ...]  # in the order first done, each once
    reads: int


def reading_sessions(
    reads: Iterable[Read], gap: dt.timedelta = SESSION_GAP
) -> list[ReadingSession]:
    """Group reads (any order) into reading sessions, newest session first."""
    open_sessions: dict[tuple[int, Role, str | None], list[Read]] = {}
    done: list[list[Read]] = []
    for read in sorted(reads, key=lambda r: r.at):
        key = (read.reader, read.role, read.unit_name)
        current = open_sessions.get(key)
        if current is not None and read.at - current[-1].at <= gap:
            current.append(read)
            continue
        if current is not None:
            done.append(current)
        open_sessions[key] = [read]
    done.extend(open_sessions.values())
    sessions = [
        ReadingSession(
            role=group[0].role,
            unit_name=group[0].unit_name,
            started_at=group[0].at,
            ended_at=group[-1].at,
            actions=tuple(dict.fromkeys(read.action for read in group)),
            reads=len(group),
        )
        for group in done
    ]
    return sorted(sessions, key=lambda s: s.started_at, reverse=True)
