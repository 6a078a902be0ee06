"""An alliance scale rates the relationship with one therapist: after a transfer, the first
rating with the new therapist starts the history again.

A walk had a patient's WAI-SR fall from 58 with her therapist to 36 with the colleague
covering her leave: "alliance score dropped" was raised against ratings of someone else, and
the therapist coming back found it for sessions she never had. Followed from the patient's
link through the administrator's transfer to the signals the therapist reads.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Signal
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, World, make_staff, make_unit, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, open_invitation
from tests.support.transfers import logged_in_admin, transfer


def _rates(app: Flask, db: Database, world: World, code: str) -> None:
    _invitation_id, token = open_invitation(db, world, "wai_sr")
    patient = Patient(app.test_client(), token)
    patient.start()
    patient.answer_all("wai_sr", code)
    assert patient.finish().status_code == 302


def _drops(db: Database, world: World) -> int:
    with db.session() as session:
        return len(
            session.scalars(
                select(Signal.id).where(
                    Signal.episode_id == world.episode_id, Signal.code == "alliance_drop"
                )
            ).all()
        )


def test_a_lower_first_rating_of_a_new_therapist_is_not_an_alliance_drop(
    app: Flask, db: Database
) -> None:
    unit = make_unit(db)
    world = make_world(db, unit=unit)
    colleague = make_staff(db, (Role.THERAPIST, unit.id), name="Tor Terapeut")
    _rates(app, db, world, "5")
    _rates(app, db, world, "5")
    # Within one therapist's sessions a fall is a drop (the rule as it was).
    _rates(app, db, world, "3")
    assert _drops(db, world) == 1

    transfer(
        logged_in_admin(app, db),
        unit_id=unit.id,
        episode_id=world.episode_id,
        to_staff_id=colleague.id,
    )

    _rates(app, db, world, "2")  # lower than every earlier rating, but the first with Tor
    assert _drops(db, world) == 1
    _rates(app, db, world, "1")  # a fall within Tor's sessions is a drop again
    assert _drops(db, world) == 2


def _header_and_panel(page: str, heading: str) -> tuple[str, str]:
    """The pre-session view's header line and the panel of the questionnaire `heading`."""
    header = page.split("<h1>", 1)[1].split("</p>", 1)[0]
    panel = page.split(heading, 1)[1].split("</section>", 1)[0]
    return header, panel


def test_the_therapist_reads_where_the_therapist_changed(app: Flask, db: Database) -> None:
    """What the new therapist reads: the header says when the therapist changed, the first
    rating after it is marked in the table (no "No" for a drop it was never compared for), the
    chart has a line at the change named in its legend, and the sentence does not compare the
    new relationship with the old one. The page of all scores marks it the same way."""
    unit = make_unit(db)
    world = make_world(db, unit=unit)
    colleague = make_staff(db, (Role.THERAPIST, unit.id), name="Tor Terapeut")
    _rates(app, db, world, "5")
    _rates(app, db, world, "4")
    transfer(
        logged_in_admin(app, db),
        unit_id=unit.id,
        episode_id=world.episode_id,
        to_staff_id=colleague.id,
    )
    tor = app.test_client()
    log_in(tor, colleague.username, PASSWORD)
    view = f"/clinician/episodes/{world.episode_id}"

    # Before Tor's first rating: every rating was given to the therapist before.
    header, panel = _header_and_panel(tor.get(view).get_data(as_text=True), "Working relationship")
    assert "Therapist changed on" in header
    assert "first with the new therapist" not in panel
    assert 'class="divider"' not in panel

    _rates(app, db, world, "2")  # far lower than "4", but the first rating of Tor
    header, panel = _header_and_panel(tor.get(view).get_data(as_text=True), "Working relationship")
    assert "Therapist changed on" in header
    rows = panel.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr>")[1:]
    assert len(rows) == 3
    newest, before_the_change = rows[0], rows[1]
    assert "first with the new therapist" in newest
    assert newest.rstrip().endswith("<td>–</td></tr>")  # not compared: neither Yes nor No
    assert "first with the new therapist" not in before_the_change
    assert "the first with the new therapist, so not compared with the" in panel
    assert "a drop from" not in panel
    assert panel.count('class="divider"') == 1
    assert "Therapist changed" in panel  # the line's name in the chart's legend

    _rates(app, db, world, "1")  # within Tor's ratings: compared again, a drop
    header, panel = _header_and_panel(tor.get(view).get_data(as_text=True), "Working relationship")
    assert "a drop from" in panel
    assert panel.count("first with the new therapist") == 1

    everything = tor.get(f"{view}/scores").get_data(as_text=True)
    assert everything.count("first with the new therapist") == 1
