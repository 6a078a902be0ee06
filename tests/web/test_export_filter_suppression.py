"""Which cells are hidden is decided on the table of every unit, whatever the unit filter: a
unit's figures seen on their own (page, CSV, JSON, start page) never show what the all-units
table hides to protect a small unit, so subtracting them from the all-units totals never
gives a small unit's figures away. A cell hidden only for the others' sake says so instead of
"fewer than 5"."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.support.export_small_unit import Q3
from tests.support.export_small_unit import csv_rows as _csv_rows
from tests.support.export_small_unit import history_with_a_small_unit as _history_with_a_small_unit
from tests.support.export_small_unit import json_rows as _json_rows
from tests.support.export_small_unit import page_rows as _page_rows
from tests.support.export_small_unit import unit_ids as _unit_ids

# The smallest unit total in the demo's 2026-Q3: hidden to protect the small unit.
PROTECTING = "DPS Sør, dagtilbud"
# Columns counting distinct patients: hidden parts of a total must not be found by subtraction.
PATIENT_COUNTS = (
    "patients_invited",
    "gad7_patients_with_two_scores",
    "phq9_patients_with_two_scores",
    "nhstt_paired_patients",
)


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
