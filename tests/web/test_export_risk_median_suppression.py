"""The median hours to acknowledge a risk answer gets the same complementary hiding as the
other figures: a unit's median hidden for its own sake can never be read off the all-units
median by a reader who knows the hours behind the other units' shown medians, in the JSON or
in the CSV.

A median cannot be subtracted, but with an odd number of values the all-units median is one
of them: when it is none of the known hours and would be the median with itself added, it is
the hidden unit's own."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from flask.testing import FlaskClient

from fit_platform.domain.codes import Role
from tests.support.export_attack import RowName, hidden, named, row_equations
from tests.support.export_data import add_acknowledged_risk, add_patient
from tests.support.export_small_unit import NOW, csv_rows, export_db, json_rows
from tests.support.factories import PASSWORD, make_staff, make_unit
from tests.support.html import log_in
from tests.support.scheduling import Clock

Q2 = "period=quarter&start=2026-04-01&end=2026-06-30"
COLUMN = "median_hours_to_acknowledge_risk"
LARGE_UNIT_HOURS = (1.0, 2.0, 3.0, 5.0, 6.0, 7.0)
ONE_PATIENT_HOURS = 4.2


def _two_units(client: FlaskClient) -> dict[str, Sequence[float]]:
    """A unit of six patients with a risk answer each and a unit of one; logged in as a
    service developer. Returns the hours behind each unit's median, by unit code."""
    db = export_db(client)
    client.application.extensions["fit_clock"] = Clock(NOW)
    large, small = make_unit(db), make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, large.id), (Role.THERAPIST, small.id))
    for hours in LARGE_UNIT_HOURS:
        add_acknowledged_risk(db, add_patient(db, large, therapist, None, [20, 8]), hours)
    add_acknowledged_risk(db, add_patient(db, small, therapist, None, [20, 8]), ONE_PATIENT_HOURS)
    staff = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    log_in(client, staff.username, PASSWORD)
    return {large.code: LARGE_UNIT_HOURS, small.code: (ONE_PATIENT_HOURS,)}


def _read_off(
    table: Mapping[RowName, Mapping[str, Any]], hours: Mapping[str, Sequence[float]]
) -> dict[RowName, float]:
    """Hidden unit medians read off the all-units median, by a reader who knows the hours
    behind every shown unit median (the worst case)."""
    found = {}
    for total, parts in row_equations(table):
        if total[0] != "all":
            continue
        secret = [part for part in parts if hidden(table[part][COLUMN])]
        median = table[total][COLUMN]
        if len(secret) != 1 or hidden(median) or median is None:
            continue
        known = [h for part in parts if part not in secret for h in hours.get(part[0], ())]
        if float(median) not in known and statistics.median([*known, float(median)]) == float(
            median
        ):
            found[secret[0]] = float(median)
    return found


def _from_csv(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [
        {**row, COLUMN: row[COLUMN] if hidden_text(row[COLUMN]) else float(row[COLUMN] or "nan")}
        for row in rows
    ]


def hidden_text(value: str) -> bool:
    return value in ("suppressed", "suppressed_secondary")


def test_no_hidden_risk_median_is_read_off_the_all_units_median(client: FlaskClient) -> None:
    hours = _two_units(client)
    as_json = named(json_rows(client, choice=Q2))
    # The unit of one patient is hidden for its own sake; the all-units median is shown.
    assert [row[COLUMN] for name, row in as_json.items() if name[0] == "all"] == [
        statistics.median([*LARGE_UNIT_HOURS, ONE_PATIENT_HOURS])
    ]
    assert _read_off(as_json, hours) == {}
    assert _read_off(named(_from_csv(csv_rows(client, choice=Q2))), hours) == {}
    # The large unit's median is hidden to protect the small one, marked as such.
    secondary = [name for name, row in as_json.items() if row[COLUMN] == "suppressed_secondary"]
    assert secondary and all(name[0] in hours for name in secondary)
