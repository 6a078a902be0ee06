"""What a reader of the export can work out by subtraction: the equations the published rows
satisfy (a unit's rows add up to its total, the unit totals to the all-units total, a row's
months to its quarter) and the hidden cells that stand alone in one of them."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Episode, Programme, Response, Unit
from fit_platform.domain.codes import ResponseStatus

# A row as the reader names it: unit code, programme code, period.
RowName = tuple[str, str, str]


def named(rows: Iterable[Mapping[str, Any]]) -> dict[RowName, Mapping[str, Any]]:
    return {(r["unit_code"], r["programme_code"], r["period"]): r for r in rows}


def row_equations(rows: Iterable[RowName]) -> list[tuple[RowName, list[RowName]]]:
    """(total, parts) for every unit total and all-units total among the rows."""
    names = list(rows)
    equations = []
    for unit, programme, period in names:
        if programme != "all":
            continue
        if unit == "all":
            parts = [n for n in names if n[0] != "all" and n[1] == "all" and n[2] == period]
        else:
            parts = [n for n in names if n[0] == unit and n[1] != "all" and n[2] == period]
        equations.append(((unit, programme, period), parts))
    return equations


def hidden(value: Any) -> bool:
    return isinstance(value, str)


def lone_hidden(
    table: Mapping[RowName, Mapping[str, Any]],
    equations: Sequence[tuple[RowName, Sequence[RowName]]],
    column: str,
) -> list[RowName]:
    """The hidden cells of ``column`` that are the only hidden member of an equation: the
    total minus the shown parts (or the parts added up) gives each of them away."""
    found = []
    for total, parts in equations:
        members = [total, *parts]
        hidden_members = [m for m in members if hidden(table[m][column])]
        if len(hidden_members) == 1:
            found.append(hidden_members[0])
    return found


def recovered_means(
    table: Mapping[RowName, Mapping[str, Any]],
    equations: Sequence[tuple[RowName, Sequence[RowName]]],
    column: str,
    weights: Mapping[RowName, int],
) -> dict[RowName, float]:
    """Hidden means worked out from the others, by a reader who knows how many scores each
    row's mean is taken over (the worst case): in an equation with one hidden mean, the
    total's sum of scores minus the shown parts' sums, over the hidden part's number."""
    found = {}
    for total, parts in equations:
        members = [total, *parts]
        hidden_members = [m for m in members if hidden(table[m][column])]
        if len(hidden_members) != 1:
            continue
        [target] = hidden_members
        if not weights.get(target):
            continue
        shown = {m: table[m][column] * weights.get(m, 0) for m in members if m != target}
        if target == total:
            value = sum(shown.values()) / weights[target]
        else:
            value = (shown[total] - sum(v for m, v in shown.items() if m != total)) / weights[
                target
            ]
        found[target] = round(value, 2)
    return found


def alliance_scores(
    db: Database, instrument_id: str, since: dt.datetime, until: dt.datetime, month: bool
) -> Counter[RowName]:
    """How many scored responses on the instrument each row's mean is taken over, read from
    the database (what a reader of the export is assumed to know at worst)."""
    with db.session() as session:
        found = session.execute(
            select(Unit.code, Programme.code, Response.submitted_at)
            .join(Episode, Episode.id == Response.episode_id)
            .join(Unit, Unit.id == Episode.unit_id)
            .outerjoin(Programme, Programme.id == Episode.programme_id)
            .where(
                Response.instrument_id == instrument_id,
                Response.status == ResponseStatus.SUBMITTED,
                Response.scorable.is_(True),
                Response.total.is_not(None),
                Response.submitted_at >= since,
                Response.submitted_at < until,
            )
        ).all()
    counted: Counter[RowName] = Counter()
    for unit, programme, submitted_at in found:
        assert submitted_at is not None  # the range above leaves out unsubmitted rows
        at = submitted_at.astimezone(dt.UTC)
        period = f"{at:%Y-%m}" if month else f"{at.year}-Q{(at.month - 1) // 3 + 1}"
        for name in ((unit, programme or "none"), (unit, "all"), ("all", "all")):
            counted[(*name, period)] += 1
    return counted


def block_equations(
    rows: Iterable[RowName], quarter_of: Any
) -> list[tuple[RowName, list[RowName]]]:
    """(quarter, months) for every quarter row among ``rows``: its months, named as in a month
    export, add up to it (a month without a row holds nothing)."""
    names = list(rows)
    months = [name for name in names if "Q" not in name[2]]
    equations = []
    for quarter in names:
        if "Q" not in quarter[2]:
            continue
        parts = [m for m in months if m[:2] == quarter[:2] and quarter_of(m[2]) == quarter[2]]
        if parts:
            equations.append((quarter, parts))
    return equations


def solved(
    table: Mapping[RowName, Mapping[str, Any]],
    equations: Sequence[tuple[RowName, Sequence[RowName]]],
    column: str,
) -> dict[RowName, Any]:
    """Hidden cells of an exactly additive ``column`` (counts of invitations, comments,
    signals) that a reader works out by repeated subtraction: whenever one member of an
    equation is unknown, it is the total minus the others (or the parts added up), and then
    known in every other equation. A row missing from the table holds nothing."""
    known = {name: row[column] for name, row in table.items() if not hidden(row[column])}
    found: dict[RowName, Any] = {}
    changed = True
    while changed:
        changed = False
        for total, parts in equations:
            unknown = [m for m in (total, *parts) if m in table and m not in known]
            if len(unknown) != 1:
                continue
            [target] = unknown

            def value(name: RowName) -> Any:
                return known.get(name, 0) or 0

            if target == total:
                known[target] = sum(value(p) for p in parts)
            else:
                known[target] = value(total) - sum(value(p) for p in parts if p != target)
            found[target] = known[target]
            changed = True
    return found
