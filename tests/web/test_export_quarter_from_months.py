"""Months and quarters are hidden together, so neither gives the other away: a quarter hidden
only to protect another unit cannot be added up from its months, and a month hidden by itself
cannot be worked out as its quarter minus the other months, in the JSON or in the CSV.

The units below are chosen so that the month table and the quarter table, each suppressed on
its own, protect the small unit with different cells: by quarter the smallest other unit is
hidden, by month another unit that is smaller in the month but larger over the quarter."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.testing import FlaskClient

from fit_platform.domain.codes import InvitationState
from fit_platform.services.export.periods import quarter_of
from tests.support.export_attack import (
    RowName,
    block_equations,
    named,
    row_equations,
    solved,
)
from tests.support.export_small_unit import (
    csv_rows,
    export_db,
    history_with_a_small_unit,
    json_rows,
)
from tests.support.factories import make_invitation, make_unit, make_world

Q3 = "start=2026-07-01&end=2026-09-30"
# Counts that add up exactly over units, programmes and months.
EXACT = ("invitations_sent", "invitations_answered")


def _invite(client: FlaskClient, unit: Any, months: tuple[int, ...]) -> None:
    """A patient of the unit with one answered invitation on the 10th of each month."""
    db = export_db(client)
    world = make_world(db, unit=unit, started_on=dt.date(2026, 6, 1))
    for month in months:
        make_invitation(
            db,
            world,
            due_at=dt.datetime(2026, month, 10, 8, tzinfo=dt.UTC),
            state=InvitationState.COMPLETED,
        )


def _units_that_protect_differently(client: FlaskClient) -> None:
    db = export_db(client)
    # Made in this order: on a tie the unit made first is hidden.
    larger_over_the_quarter = make_unit(db)  # 5 new patients a month: 15 in the quarter
    same_five = make_unit(db)  # the same 5 patients every month: 5 in the quarter
    small_months = make_unit(db)  # 3 patients in July and 3 others in September
    for month in (7, 8, 9):
        for _ in range(5):
            _invite(client, larger_over_the_quarter, (month,))
    for _ in range(5):
        _invite(client, same_five, (7, 8, 9))
    for month in (7, 9):
        for _ in range(3):
            _invite(client, small_months, (month,))


def _read(value: str) -> Any:
    if value in ("suppressed", "suppressed_secondary"):
        return value
    try:
        return int(value)
    except ValueError:
        return value or None


def _worked_out(rows: dict[RowName, Any]) -> dict[str, dict[RowName, Any]]:
    equations = row_equations(rows) + block_equations(rows, quarter_of)
    found = {column: solved(rows, equations, column) for column in EXACT}
    return {column: cells for column, cells in found.items() if cells}


def test_no_hidden_quarter_or_month_is_worked_out_from_the_other_period(
    client: FlaskClient,
) -> None:
    history_with_a_small_unit(client)
    _units_that_protect_differently(client)
    quarters = named(json_rows(client, choice=f"period=quarter&{Q3}"))
    months = named(json_rows(client, choice=f"period=month&{Q3}"))
    # Something is hidden to protect the small unit, by quarter and by month.
    assert any(r["invitations_sent"] == "suppressed_secondary" for r in quarters.values())
    assert any(r["invitations_sent"] == "suppressed_secondary" for r in months.values())
    assert _worked_out({**quarters, **months}) == {}
    # The CSV hides the same cells.
    from_csv = {
        name: {column: _read(value) for column, value in row.items()}
        for choice in (f"period=quarter&{Q3}", f"period=month&{Q3}")
        for name, row in named(csv_rows(client, choice=choice)).items()
    }
    assert _worked_out(from_csv) == {}
    for name, row in {**quarters, **months}.items():
        for column in EXACT:
            assert from_csv[name][column] == row[column], (name, column)
