"""Counts inside a row (patients reliably improved or worse, at caseness at the start, and the
paired figures' counts) are hidden under 5, and the rows add up for them as they do for the
row's patients: a unit's programmes to the unit, the units to the all units row, a row's
months to its quarter. Hidden one at a time, a programme's "2 reliably improved" was the
unit's 8 less the other programme's 6, in one download (seen on the demo: 80 such cells). No
hidden count of these columns is alone in any of those equations, by quarter or by month."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.support.export_attack import hidden, lone_hidden, named, row_equations
from tests.support.export_small_unit import history_with_a_small_unit, json_rows

WITHIN_ROW = (
    "phq9_reliable_improvement",
    "phq9_reliable_deterioration",
    "phq9_recovery_eligible",
    "gad7_reliable_improvement",
    "gad7_reliable_deterioration",
    "gad7_recovery_eligible",
    "nhstt_paired_at_caseness",
    "nhstt_paired_reliable_improvement",
    "nhstt_paired_reliable_deterioration",
)
RANGE = "start=2026-01-01&end=2026-09-30"


def _month_equations(rows: dict) -> list:  # type: ignore[type-arg]
    """(quarter, months) for each row's quarter among the month and quarter downloads."""
    equations = []
    for unit, programme, period in rows:
        if "Q" in period:
            year, quarter = period.split("-Q")
            months = [f"{year}-{3 * (int(quarter) - 1) + m:02d}" for m in (1, 2, 3)]
            parts = [(unit, programme, m) for m in months if (unit, programme, m) in rows]
            equations.append(((unit, programme, period), parts))
    return equations


def test_no_hidden_count_inside_a_row_is_a_total_less_the_shown_parts(
    client: FlaskClient,
) -> None:
    history_with_a_small_unit(client)
    quarters = named(json_rows(client, choice=f"period=quarter&{RANGE}"))
    months = named(json_rows(client, choice=f"period=month&{RANGE}"))
    both = {**quarters, **months}
    equations = [*row_equations(quarters), *row_equations(months), *_month_equations(both)]
    assert any(hidden(row["phq9_reliable_improvement"]) for row in quarters.values())
    assert any(not hidden(row["phq9_reliable_improvement"]) for row in quarters.values())
    for column in WITHIN_ROW:
        assert lone_hidden(both, equations, column) == [], column
