"""Means and shares get the same complementary hiding as counts: a unit's alliance mean hidden
for its own sake can never be worked out from the all-units mean and the other units' means
(weighted by how many scores each is over, which a reader may know or guess), on the page, in
the CSV or in the JSON, whichever unit the download is about."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient

from tests.support.export_attack import (
    alliance_scores,
    lone_hidden,
    named,
    recovered_means,
    row_equations,
)
from tests.support.export_small_unit import (
    SMALL_UNIT_ALLIANCE,
    csv_rows,
    export_db,
    history_with_a_small_unit,
    json_rows,
    unit_ids,
)

Q3_SINCE = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
Q3_UNTIL = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
ALLIANCE = "wai_sr_mean_score"
# Columns added up across rows by a reader: the alliance means (weighted) and signal counts.
ADDITIVE = (ALLIANCE, "signals_raised", "signals_acknowledged_share")


def test_no_unit_s_hidden_alliance_mean_can_be_worked_out_from_the_others(
    client: FlaskClient,
) -> None:
    small = history_with_a_small_unit(client)
    units = unit_ids(client)
    [grand] = [row for row in json_rows(client) if row["unit_code"] == "all"]
    # What a reader can put together from one download per unit and the all-units row.
    downloaded = [row for unit in units.values() for row in json_rows(client, unit)]
    table = named([*downloaded, grand])
    equations = row_equations(table)
    weights = alliance_scores(export_db(client), "wai_sr", Q3_SINCE, Q3_UNTIL, month=False)
    [small_total] = [
        r for r in downloaded if r["unit_name"] == small and r["programme_code"] == "all"
    ]
    # The small unit's two patients' mean is hidden for their own sake ...
    assert small_total[ALLIANCE] == "suppressed"
    assert sum(SMALL_UNIT_ALLIANCE) / len(SMALL_UNIT_ALLIANCE) == 42
    # ... and the attack recovers no hidden mean at all, for any unit or programme.
    assert recovered_means(table, equations, ALLIANCE, weights) == {}
    for column in ADDITIVE:
        assert lone_hidden(table, equations, column) == [], column


def test_the_csv_and_the_page_hide_the_same_means_as_the_json(client: FlaskClient) -> None:
    history_with_a_small_unit(client)
    every_json = named(json_rows(client))
    every_csv = named(csv_rows(client))
    secondary = [
        name for name, row in every_json.items() if row[ALLIANCE] == "suppressed_secondary"
    ]
    # Hidden to protect the small unit's mean, though based on enough patients.
    assert secondary
    for name in secondary:
        assert every_csv[name][ALLIANCE] == "suppressed_secondary"
    page = client.get("/export/?lang=en&period=quarter&start=2026-07-01&end=2026-09-30").get_data(
        as_text=True
    )
    assert page.count('<span class="suppressed">hidden</span>') >= len(secondary)
