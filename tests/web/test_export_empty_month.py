"""A month with no one in it reads like a month of one to four: a row's month without any data
is shown as a row of hidden cells, never left out, and cannot be worked out as zero from its
quarter and the quarter's other months, in the JSON or in the CSV.

Two units answer in August; one also has two patients invited in July, the other nobody. By
month, before, the first unit had a July row of hidden cells and the second none at all: a
reader told "nobody" from "fewer than 5" by the missing row."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.testing import FlaskClient

from fit_platform.domain.codes import InvitationState, Role
from fit_platform.services.export.periods import quarter_of
from tests.support.export_attack import RowName, block_equations, named, row_equations, solved
from tests.support.export_small_unit import NOW, csv_rows, export_db, json_rows
from tests.support.factories import (
    PASSWORD,
    add_history,
    make_invitation,
    make_staff,
    make_unit,
    make_world,
)
from tests.support.html import log_in
from tests.support.scheduling import Clock

Q3 = "start=2026-07-01&end=2026-09-30"
JULY = dt.datetime(2026, 7, 10, 8, tzinfo=dt.UTC)
AUGUST = dt.datetime(2026, 8, 3, 8, tzinfo=dt.UTC)
# Episodes are counted once, in the month of their latest score: the months add up.
COLUMN = "phq9_patients_with_two_scores"
NAMES = ("unit_code", "unit_name", "programme_code", "programme_name", "period")


def _two_units_answering_in_august(client: FlaskClient) -> tuple[str, str]:
    """Returns the codes of the unit with two patients in July and the unit with none."""
    db = export_db(client)
    client.application.extensions["fit_clock"] = Clock(NOW)
    two_in_july, none_in_july = make_unit(db), make_unit(db)
    for unit in (two_in_july, none_in_july):
        for _ in range(6):
            world = make_world(db, unit=unit, started_on=dt.date(2026, 7, 1))
            make_invitation(db, world, due_at=AUGUST, state=InvitationState.COMPLETED)
            add_history(db, world, [18, 8], "phq9", start=AUGUST)
    for _ in range(2):
        world = make_world(db, unit=two_in_july, started_on=dt.date(2026, 7, 1))
        make_invitation(db, world, due_at=JULY, state=InvitationState.COMPLETED)
    staff = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    log_in(client, staff.username, PASSWORD)
    return two_in_july.code, none_in_july.code


def _zeros_worked_out(rows: dict[RowName, Any]) -> dict[RowName, Any]:
    equations = row_equations(rows) + block_equations(rows, quarter_of)
    return solved(rows, equations, COLUMN)


def _read(value: str) -> Any:
    return value if value in ("suppressed", "suppressed_secondary") else int(value)


def test_a_month_with_no_one_reads_like_a_month_of_fewer_than_five(client: FlaskClient) -> None:
    two, none = _two_units_answering_in_august(client)
    months = named(json_rows(client, choice=f"period=month&{Q3}"))
    quarters = named(json_rows(client, choice=f"period=quarter&{Q3}"))
    # Every month of the quarter has a row for both units, and July reads the same for both.
    for unit in (two, none):
        assert {name[2] for name in months if name[0] == unit} == {
            "2026-07",
            "2026-08",
            "2026-09",
        }
    figures = [column for column in months[(two, "all", "2026-07")] if column not in NAMES]
    july = {unit: months[(unit, "all", "2026-07")] for unit in (two, none)}
    assert [july[two][c] for c in figures] == [july[none][c] for c in figures]
    assert july[none]["patients_invited"] == "suppressed"
    # The quarter still shows both units' six PHQ-9 patients; no hidden month is zero by
    # subtraction.
    assert quarters[(none, "all", "2026-Q3")][COLUMN] == 6
    assert _zeros_worked_out({**quarters, **months}) == {}
    from_csv = {
        name: {**row, COLUMN: _read(row[COLUMN])}
        for choice in (f"period=quarter&{Q3}", f"period=month&{Q3}")
        for name, row in named(csv_rows(client, choice=choice)).items()
    }
    assert set(from_csv) == set(months) | set(quarters)
    assert _zeros_worked_out(from_csv) == {}
