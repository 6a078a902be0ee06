"""Hidden units are never a group of fewer than five that the totals give away.

Two units of one and three patients were hidden, each under five, beside units of 12, 12 and
18: the all-units row less the shown units gave the hidden pair as a group of four, and their
share who paused or stopped feedback with it (the all-units share was 2 of 46, every shown
unit's 0: both were among the four). The hidden parts of a total must together hold five or
more people, else one more part is hidden (`domain/small_cells.py`; docs/export.md)."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient

from fit_platform.domain.codes import ConsentEventKind, InvitationState, Role
from tests.support.clinical import add_consent_event
from tests.support.export_small_unit import NOW, export_db, json_rows
from tests.support.factories import PASSWORD, make_invitation, make_staff, make_unit, make_world
from tests.support.html import log_in
from tests.support.scheduling import Clock

Q3 = "period=quarter&start=2026-07-01&end=2026-09-30"
INVITED = {"big1": 12, "big2": 12, "big3": 18, "one": 1, "three": 3}
DUE = dt.datetime(2026, 8, 10, 8, tzinfo=dt.UTC)


def _number(value: object) -> float | None:
    """A figure as downloaded: a number, or None where the file says it is hidden."""
    return float(value) if isinstance(value, (int, float)) else None


def test_the_hidden_units_of_a_total_hold_five_or_more_together(client: FlaskClient) -> None:
    db = export_db(client)
    client.application.extensions["fit_clock"] = Clock(NOW)
    codes = {}
    for name, patients in INVITED.items():
        unit = make_unit(db)
        codes[unit.code] = name
        therapist = make_staff(db, (Role.THERAPIST, unit.id))
        for number in range(patients):
            world = make_world(db, unit=unit, therapist=therapist)
            make_invitation(db, world, due_at=DUE, state=InvitationState.COMPLETED)
            if name in ("one", "three") and number == 0:
                add_consent_event(db, world, ConsentEventKind.STOPPED, at=DUE)
    staff = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    log_in(client, staff.username, PASSWORD)

    rows = [row for row in json_rows(client, choice=Q3) if row["programme_code"] == "all"]
    total = next(row for row in rows if row["unit_code"] == "all")
    units = {codes[row["unit_code"]]: row for row in rows if row["unit_code"] in codes}
    assert set(units) == set(INVITED)
    invited = {name: _number(row["patients_invited"]) for name, row in units.items()}
    share = {name: _number(row["consent_paused_or_stopped_share"]) for name, row in units.items()}
    assert _number(total["patients_invited"]) == sum(INVITED.values())  # the total is shown
    assert invited["one"] is None and invited["three"] is None  # each under five
    shown = {name: count for name, count in invited.items() if count is not None}
    # The all-units row less the shown units: the hidden units together, five or more.
    hidden_together = sum(INVITED.values()) - sum(shown.values())
    assert hidden_together >= 5, shown
    # Their share who stopped is then about a group of five or more, not about the four.
    total_share = _number(total["consent_paused_or_stopped_share"])
    assert total_share is not None and round(total_share * sum(INVITED.values())) == 2
    assert all(share[name] == 0 for name in shown)
    assert len(shown) == 2 and "big3" in shown  # the smallest shown unit went with them
