"""Which cells are hidden is decided on the table of every unit, whatever the unit filter: a
unit's figures seen on their own (page, CSV, JSON, start page) never show what the all-units
table hides to protect a small unit, so subtracting them from the all-units totals never
gives a small unit's figures away. A cell hidden only for the others' sake says so instead of
"fewer than 5"."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import InvitationState, Role
from fit_platform.services.demo_history import seed_demo_service_history
from tests.support.factories import (
    PASSWORD,
    add_history,
    make_invitation,
    make_staff,
    make_unit,
    make_world,
)
from tests.support.html import log_in
from tests.support.scheduling import Clock, oslo

NOW = oslo(2026, 12, 2, 9, 0)
Q3 = "period=quarter&start=2026-07-01&end=2026-09-30"
# The smallest unit total in the demo's 2026-Q3: hidden to protect the small unit.
PROTECTING = "DPS Sør, dagtilbud"
# Columns counting distinct patients: hidden parts of a total must not be found by subtraction.
PATIENT_COUNTS = (
    "patients_invited",
    "gad7_patients_with_two_scores",
    "phq9_patients_with_two_scores",
    "nhstt_paired_patients",
)


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _history_with_a_small_unit(client: FlaskClient) -> str:
    """The demo's synthetic history and a unit of two patients answering in 2026-Q3; returns
    the small unit's name."""
    db = _db(client)
    client.application.extensions["fit_clock"] = Clock(NOW)
    seed_demo_service_history(db, NOW)
    small = make_unit(db)
    for _ in range(2):
        world = make_world(db, unit=small, started_on=dt.date(2026, 7, 1))
        start = dt.datetime(2026, 8, 3, 8, tzinfo=dt.UTC)
        for week in range(2):
            make_invitation(
                db,
                world,
                due_at=start + dt.timedelta(weeks=week),
                state=InvitationState.COMPLETED,
            )
        add_history(db, world, [18, 8], "phq9", start=start)
        add_history(db, world, [16, 6], "gad7", start=start)
        add_history(db, world, [40, 44], "wai_sr", start=start)
    staff = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    log_in(client, staff.username, PASSWORD)
    return small.name


def _unit_ids(client: FlaskClient) -> dict[str, str]:
    html = client.get("/export/?lang=en").get_data(as_text=True)
    return dict(
        (name, unit_id) for unit_id, name in re.findall(r'<option value="(\d+)">([^<]+)<', html)
    )


def _json_rows(client: FlaskClient, unit: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/export/aggregates.json?{Q3}&unit={unit}")
    assert response.status_code == 200
    return response.get_json()["rows"]  # type: ignore[no-any-return]


def _csv_rows(client: FlaskClient, unit: str = "") -> list[dict[str, str]]:
    body = client.get(f"/export/aggregates.csv?{Q3}&unit={unit}&separator=comma")
    return list(csv.DictReader(io.StringIO(body.get_data(as_text=True))))


def _page_rows(client: FlaskClient, unit_name: str, unit: str = "") -> list[str]:
    """Every table row of the page about the unit, as HTML, in page order."""
    html = client.get(f"/export/?lang=en&{Q3}&unit={unit}").get_data(as_text=True)
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)
    return [row for row in rows if f'<th scope="row">{unit_name}</th>' in row]


def test_a_unit_seen_on_its_own_shows_only_what_the_all_units_table_shows(
    client: FlaskClient,
) -> None:
    small = _history_with_a_small_unit(client)
    units = _unit_ids(client)
    every_json = _json_rows(client)
    every_csv = _csv_rows(client)
    # The small unit is hidden for its own sake, the smallest other unit to protect it.
    total = {row["unit_name"]: row for row in every_json if row["programme_code"] == "all"}
    assert total[small]["patients_invited"] == "suppressed"
    assert total[PROTECTING]["patients_invited"] == "suppressed_secondary"
    for name, unit in units.items():
        assert _json_rows(client, unit) == [r for r in every_json if r["unit_name"] == name]
        assert _csv_rows(client, unit) == [r for r in every_csv if r["unit_name"] == name]
        assert _page_rows(client, name, unit) == _page_rows(client, name)


def test_subtracting_the_units_from_the_all_units_total_gives_no_small_number(
    client: FlaskClient,
) -> None:
    small = _history_with_a_small_unit(client)
    units = _unit_ids(client)
    [grand] = [row for row in _json_rows(client) if row["unit_code"] == "all"]
    # What a reader can add up from one download per unit.
    totals = [
        row
        for unit in units.values()
        for row in _json_rows(client, unit)
        if row["programme_code"] == "all"
    ]
    assert len(totals) == len(units)
    for column in PATIENT_COUNTS:
        shown = [row[column] for row in totals if isinstance(row[column], int)]
        hidden = [row["unit_name"] for row in totals if row[column] == "suppressed_secondary"]
        remainder = grand[column] - sum(shown)
        assert small not in [row["unit_name"] for row in totals if row[column] != "suppressed"]
        # Two or more units stay hidden together, and their sum is no small number.
        assert len(hidden) >= 1 and remainder >= 5, (column, hidden, remainder)


def _figure(card: str, label: str) -> str:
    found = re.search(f"<dt>{label}" + r".*?<dd>([^<]+)</dd>", card, flags=re.S)
    assert found, card
    return found.group(1)


def test_the_start_page_hides_what_the_table_hides_and_says_why(client: FlaskClient) -> None:
    small = _history_with_a_small_unit(client)
    html = client.get("/export/start?lang=en").get_data(as_text=True)
    card = html.split(f">{PROTECTING}</h2>")[1].split("</section>")[0]
    for label in ("Response rate", "Reliable improvement"):
        assert _figure(card, label) == "hidden", label
    small_card = html.split(f">{small}</h2>")[1].split("</section>")[0]
    assert "fewer than 5" in small_card
    assert "based on enough patients but is hidden" in html
    norwegian = client.get("/export/start?lang=nb").get_data(as_text=True)
    assert "<dd>skjult</dd>" in norwegian.split(f">{PROTECTING}</h2>")[1].split("</section>")[0]


def test_the_page_and_files_say_hidden_not_fewer_than_5_for_a_protecting_cell(
    client: FlaskClient,
) -> None:
    _history_with_a_small_unit(client)
    units = _unit_ids(client)
    rows = _page_rows(client, PROTECTING, units[PROTECTING])
    # The first table: invitations and answers of the programme and the unit, protecting the
    # small unit (risk hours and comments are fewer than 5 of their own).
    for row in rows[:2]:
        cells = re.findall(r"<td>(.*?)</td>", row)
        assert cells[1:8] == ['<span class="suppressed">hidden</span>'] * 7, cells
    page = client.get(f"/export/?lang=nn&{Q3}").get_data(as_text=True)
    assert 'id="hidden-note"' in page and "skjult" in page
    [csv_total] = [r for r in _csv_rows(client, units[PROTECTING]) if r["programme_code"] == "all"]
    assert csv_total["response_rate"] == "suppressed_secondary"
    document = client.get(f"/export/aggregates.json?{Q3}").get_json()
    assert document["suppressed_secondary_marker"] == "suppressed_secondary"
