"""The export's comment counts keep the comments page's rule: where the page holds a unit's
texts back (fewer than 5 patients or 3 therapists), the export hides the unit's count too, and
protects it like any hidden cell. "6 comments from the unit of one therapist" beside the
pooled texts would say which of them are about that therapist."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask

from fit_platform.domain.codes import Role
from fit_platform.services.export.periods import quarter_of
from fit_platform.services.service_comments import quarter_of_date
from tests.support.export_attack import block_equations, named, row_equations, solved
from tests.support.export_small_unit import json_rows
from tests.support.factories import make_staff, make_unit
from tests.web.test_service_comments import (
    _comment_to_service,
    _db,
    _logged_in,
    _oslo_today,
    _page,
)

COLUMN = "service_comments"


def test_a_held_back_units_comment_count_is_hidden_in_the_export_and_cannot_be_worked_out(
    app: Flask,
) -> None:
    db = _db(app)
    lone, smaller, larger = make_unit(db), make_unit(db), make_unit(db)
    # Six patients and six comments, all with one therapist: held back on the comments page.
    therapist = make_staff(db, (Role.THERAPIST, lone.id))
    for n in range(6):
        _comment_to_service(app, lone, f"About my therapist {n}", therapist)
    # Five and six patients, each with a therapist of their own: shown.
    for n in range(5):
        _comment_to_service(app, smaller, f"Smaller unit {n}")
    for n in range(6):
        _comment_to_service(app, larger, f"Larger unit {n}")
    reader = _logged_in(app, (Role.SERVICE_DEVELOPER, None))
    assert "The comments of this unit are not shown" in _page(reader, lone)
    today = _oslo_today()
    quarter = quarter_of_date(today)
    start, end = today - dt.timedelta(days=40), today + dt.timedelta(days=1)
    choice = f"start={start.isoformat()}&end={end.isoformat()}"

    quarters = named(json_rows(reader, choice=f"period=quarter&{choice}"))
    months = named(json_rows(reader, choice=f"period=month&{choice}"))

    def count(rows: dict[Any, Any], unit: str) -> Any:
        return rows[(unit, "all", quarter)][COLUMN]

    # Six comments would pass the count rule; the therapist rule hides them.
    assert count(quarters, lone.code) == "suppressed"
    assert all(
        row[COLUMN] == "suppressed" for (unit, _p, _m), row in months.items() if unit == lone.code
    )
    # All units (17) minus the shown units would give the 6 back, so the smaller of the units
    # shown on their own is hidden for its sake; the larger one still shows its count.
    assert count(quarters, smaller.code) == "suppressed_secondary"
    assert count(quarters, larger.code) == 6
    assert count(quarters, "all") == 17
    table = {**quarters, **months}
    equations = row_equations(table) + block_equations(table, quarter_of)
    worked_out = solved(table, equations, COLUMN)
    assert not [name for name in worked_out if name[0] in (lone.code, smaller.code)]
