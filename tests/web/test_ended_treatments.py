"""A therapist's way back to a closed course of treatment.

A walk closed an episode and found the caseload one patient shorter with no page leading to
the ended course, though its old therapist still reads it (pre-session view, scores, journal
summary): only a typed address reached it. Followed from the administrator's close to the
therapist's "Ended treatments" list, to the view, and to the access log the patient reads.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import AccessLog
from tests.support.admin_close import close_as_admin
from tests.support.factories import PASSWORD, make_world
from tests.support.html import log_in
from tests.support.scheduling import oslo


def test_a_closed_episode_is_on_its_therapists_list_of_ended_treatments(
    app: Flask, client: FlaskClient, db: Database
) -> None:
    app.extensions["fit_clock"] = lambda: oslo(2026, 12, 3, 10)
    world = make_world(db)
    other = make_world(db)  # another therapist's patient, closed too
    log_in(client, world.therapist_username, PASSWORD)
    caseload = client.get("/clinician/?lang=en").get_data(as_text=True)
    assert f"/clinician/episodes/{world.episode_id}" in caseload
    assert '<a href="/clinician/ended">Ended treatments</a>' in caseload
    assert "None of your patients" in client.get("/clinician/ended?lang=en").get_data(as_text=True)

    close_as_admin(app, world)
    close_as_admin(app, other)
    caseload = client.get("/clinician/?lang=en").get_data(as_text=True)
    assert f"/clinician/episodes/{world.episode_id}" not in caseload
    ended = client.get("/clinician/ended?lang=en").get_data(as_text=True)
    link = f'<a href="/clinician/episodes/{world.episode_id}">Patient '
    assert link in ended and "03/12/2026" in ended
    assert f"/clinician/episodes/{other.episode_id}" not in ended
    view = client.get(f"/clinician/episodes/{world.episode_id}?lang=en")
    assert view.status_code == 200 and "Closed on 3 Dec 2026" in view.get_data(as_text=True)
    assert "Avsluttede behandlinger" in client.get("/clinician/ended?lang=nb").get_data(
        as_text=True
    )
    with db.session() as session:
        reads = session.scalars(
            select(AccessLog.patient_id).where(AccessLog.action == "ended_list")
        ).all()
    assert set(reads) == {world.patient_id}
