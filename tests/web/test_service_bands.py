"""The service's own percentile bands reach the not-on-track rule through the patient pages.

Thirty ended PHQ-9 episodes that started at 15 (the "moderately severe" stratum, 15-19) and
scored 6, 7 or 8 at session 3 (ten of each) give a session-3 band of 6-8 (10th-90th
percentile, median 7). A new patient who started at 16 and submits 16 at session 3 is
outside it: not on track, three sessions before the instrument's own rule would look
(``scoring.notOnTrack.bySession`` is 6). With 29 ended episodes the cell is too small and the
instrument's rule applies unchanged: no signal at session 3.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select, update

from fit_platform.db import Database
from fit_platform.db.models import Episode, Signal
from fit_platform.domain.codes import EpisodeStatus, Role
from fit_platform.domain.instruments import default_instruments
from fit_platform.domain.signals import SignalCode
from tests.support.factories import (
    PASSWORD,
    World,
    add_history,
    make_staff,
    make_unit,
    make_world,
)
from tests.support.html import log_in
from tests.support.patient import Patient, open_invitation

SERVICE_BAND_LABEL = "Expected range (patients of this service; elsewhere not validated)"
SOURCES_NOTE = "otherwise from the general curve (not validated), so its width can change"


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _ended_episodes(db: Database, count: int) -> None:
    """``count`` ended episodes in a unit of their own: 15 at intake, 12, then 6, 7 or 8."""
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    for n in range(count):
        world = make_world(db, unit=unit, therapist=therapist)
        add_history(db, world, [15, 12, 6 + n % 3, 5])
        with db.transaction() as session:
            session.execute(
                update(Episode)
                .where(Episode.id == world.episode_id)
                .values(status=EpisodeStatus.ENDED)
            )


def _submit_session_3(app: Flask, db: Database, world: World) -> None:
    """Sessions 1 and 2 (16, 14) are on record; session 3 is answered on the patient pages."""
    add_history(db, world, [16, 14])
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token)
    assert patient.start().status_code == 302
    patient.answer_all("phq9", "2", phq9_9="0")  # 8 x 2 = 16, no risk answer
    assert patient.finish().status_code == 302


def _not_on_track(db: Database, world: World) -> list[Signal]:
    with db.session() as session:
        return list(
            session.scalars(
                select(Signal).where(
                    Signal.episode_id == world.episode_id,
                    Signal.code == SignalCode.NOT_ON_TRACK.value,
                )
            )
        )


def test_a_total_above_the_services_own_band_is_not_on_track_and_the_therapist_sees_it(
    app: Flask,
) -> None:
    db = _db(app)
    phq9 = default_instruments()["phq9"]
    assert phq9.not_on_track is not None and phq9.not_on_track.by_session > 3
    _ended_episodes(db, 30)
    world = make_world(db)  # another unit: bands are the installation's, not the unit's
    _submit_session_3(app, db, world)

    (signal,) = _not_on_track(db, world)
    assert signal.details is not None
    assert signal.details["compared_with"] == "service_percentiles"
    assert signal.details["value"] == 16
    assert signal.details["threshold"] == 8  # the 90th percentile of 6, 7, 8 x 10
    assert signal.details["reference"] == 7

    staff = app.test_client()
    log_in(staff, world.therapist_username, PASSWORD)
    page = staff.get(f"/clinician/episodes/{world.episode_id}?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'id="signal-{signal.id}"' in html
    article = html[html.index(f'id="signal-{signal.id}"') :]
    assert "Not on track" in article[: article.index("</article>")]
    # The chart and the score table show the band the rule used: 6-8 at session 3.
    assert SERVICE_BAND_LABEL in html
    assert "6–8" in html
    # Sessions 1 and 2 have the general curve's ranges, session 3 the service's: the table
    # says why a range changes width from one row to the next (found by a clinician's walk).
    assert SOURCES_NOTE in html
    scores = staff.get(f"/clinician/episodes/{world.episode_id}/scores?lang=en")
    assert SOURCES_NOTE in scores.get_data(as_text=True)


def test_with_29_ended_episodes_and_one_still_open_the_instruments_own_rule_applies(
    app: Flask,
) -> None:
    db = _db(app)
    _ended_episodes(db, 29)
    still_open = make_world(db)  # the same course, but an episode still under way never counts
    add_history(db, still_open, [15, 12, 8, 5])
    world = make_world(db)
    _submit_session_3(app, db, world)
    assert _not_on_track(db, world) == []
    staff = app.test_client()
    log_in(staff, world.therapist_username, PASSWORD)
    html = staff.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    assert "Expected range (not validated)" in html
    assert SERVICE_BAND_LABEL not in html
    assert SOURCES_NOTE not in html  # one model: nothing to explain
