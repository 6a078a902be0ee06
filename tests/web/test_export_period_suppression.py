"""A month's figure hidden by month can never be worked out from its quarter: the quarter's
figure (the quarter export) minus the quarter's other months (any month export, of any range)
gives no hidden month away, on the page, in the CSV or in the JSON."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask.testing import FlaskClient

from fit_platform.services.export.periods import quarter_of
from tests.support.export_attack import RowName, hidden, named
from tests.support.export_small_unit import csv_rows, history_with_a_small_unit, json_rows

RANGE = "start=2026-01-01&end=2026-09-30"
MONTHS = [f"2026-{m:02d}" for m in range(1, 10)]
# Figures that add up over the months of a quarter: counts of invitations, comments and
# signals exactly, counts of patients nearly (a patient can be counted in two months).
ADDITIVE = (
    "invitations_sent",
    "invitations_answered",
    "patients_invited",
    "phq9_patients_with_two_scores",
    "gad7_patients_with_two_scores",
    "nhstt_paired_patients",
    "service_comments",
    "signals_raised",
)


def _read(value: Any) -> Any:
    """A CSV value as the JSON has it (the CSV is written with `separator=comma`)."""
    if value in ("suppressed", "suppressed_secondary"):
        return value
    try:
        return int(value)
    except ValueError:
        return value


def _months_seen(client: FlaskClient) -> dict[RowName, dict[str, Any]]:
    """Every month cell a reader can collect from month exports starting in any month and
    ending with the quarter export (outcomes are counted up to a range's end, so ranges that
    end elsewhere count them differently: docs/export.md, "Months and quarters"); a cell
    shown in any of them is known."""
    seen: dict[RowName, dict[str, Any]] = {}
    downloads = [
        json_rows(client, choice=f"period=month&start={month}-01&end=2026-09-30")
        for month in MONTHS
    ]
    for rows in downloads:
        for name, row in named(rows).items():
            known = seen.setdefault(name, dict(row))
            for column, value in row.items():
                if hidden(known.get(column)) and not hidden(value):
                    known[column] = value
    return seen


def _recovered(
    quarters: Mapping[RowName, Mapping[str, Any]],
    months: Mapping[RowName, Mapping[str, Any]],
    column: str,
) -> dict[RowName, Any]:
    """Month cells worked out as the quarter minus the quarter's other months (a month
    without a row holds nothing): wherever exactly one month of a shown quarter is hidden."""
    found = {}
    for (unit, programme, quarter), row in quarters.items():
        total = row[column]
        if hidden(total) or total is None:
            continue
        in_quarter = [m for m in MONTHS if quarter_of(m) == quarter]
        cells = {m: months.get((unit, programme, m), {}).get(column, 0) for m in in_quarter}
        unknown = [m for m, value in cells.items() if hidden(value)]
        if len(unknown) == 1:
            shown = sum(v for v in cells.values() if not hidden(v) and v is not None)
            found[(unit, programme, unknown[0])] = total - shown
    return found


def _quarters_added_up(
    quarters: Mapping[RowName, Mapping[str, Any]],
    months: Mapping[RowName, Mapping[str, Any]],
    column: str,
) -> list[RowName]:
    """Quarter cells hidden to protect others whose months are all shown (or empty)."""
    found = []
    for (unit, programme, quarter), row in quarters.items():
        if row[column] != "suppressed_secondary":
            continue
        in_quarter = [m for m in MONTHS if quarter_of(m) == quarter]
        cells = [months.get((unit, programme, m), {}).get(column, 0) for m in in_quarter]
        if not any(hidden(value) for value in cells):
            found.append((unit, programme, quarter))
    return found


def test_no_hidden_month_is_its_quarter_minus_the_other_months(client: FlaskClient) -> None:
    history_with_a_small_unit(client)
    quarters = named(json_rows(client, choice=f"period=quarter&{RANGE}"))
    months = _months_seen(client)
    assert any(hidden(row["patients_invited"]) for row in months.values())
    for column in ADDITIVE:
        assert _recovered(quarters, months, column) == {}, column
    # Nor the other way round: no quarter hidden to protect others is the sum of shown months
    # (months and quarters are hidden together; tests/web/test_export_quarter_from_months.py
    # has data where the two periods, each suppressed on its own, protected different cells).
    for column in ADDITIVE:
        assert _quarters_added_up(quarters, months, column) == [], column
    # The CSV hides the same month cells as the JSON.
    by_month = f"period=month&{RANGE}"
    as_json = named(json_rows(client, choice=by_month))
    for name, row in named(csv_rows(client, choice=by_month)).items():
        for column in ADDITIVE:
            assert _read(row[column]) == as_json[name][column] or not hidden(
                as_json[name][column]
            ), (name, column)


def test_the_page_hides_the_same_month_cells_as_the_files(client: FlaskClient) -> None:
    history_with_a_small_unit(client)
    by_month = f"period=month&{RANGE}"
    as_json = json_rows(client, choice=by_month)
    html = client.get(f"/export/?lang=en&{by_month}").get_data(as_text=True)
    first_table = html.split("<table>")[1].split("</table>")[0]
    cells = [
        re.findall(r"<td>(.*?)</td>", row)
        for row in re.findall(r"<tr>(.*?)</tr>", first_table, flags=re.S)
        if 'class="period"' in row
    ]
    assert len(cells) == len(as_json)
    # The first table: programme, then patients invited, invitations sent and answered.
    for page_row, row in zip(cells, as_json, strict=True):
        for position, column in enumerate(
            ("patients_invited", "invitations_sent", "invitations_answered"), start=1
        ):
            assert ('class="suppressed"' in page_row[position]) == hidden(row[column]), (
                row["unit_code"],
                row["period"],
                column,
            )
    assert any(hidden(row["patients_invited"]) for row in as_json)
