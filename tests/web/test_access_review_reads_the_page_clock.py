"""What a therapist does on a page is logged at the page's time, also where the service used
to fall back to the machine's clock: acknowledging a signal and opening an episode's
questionnaire plan wrote their access-log rows at the machine's time, so under a test's
clock (or a demo's history) the administrator's access review showed them on another day."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from fit_platform.domain.signals import SignalCode
from tests.support.clinical import add_signal
from tests.support.factories import PASSWORD, make_staff, make_world
from tests.support.html import csrf_token, log_in

# Far from any machine's clock: 14 February 2031, 10:00 in Oslo.
PAGE_NOW = dt.datetime(2031, 2, 14, 9, 0, tzinfo=dt.UTC)
PAGE_DAY = "2031-02-14"


def _review(client: FlaskClient, db: Database, day: str) -> str:
    admin = make_staff(db, (Role.ADMIN, None))
    reviewer = client.application.test_client()
    log_in(reviewer, admin.username, PASSWORD)
    page = reviewer.get(f"/admin/access-log?lang=en&start={day}&end={day}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("act", "label"),
    [
        ("acknowledge", "Signal acknowledged"),
        ("schedule", "Questionnaire schedule viewed"),
    ],
)
def test_the_access_review_shows_a_therapists_act_on_the_page_clocks_day(
    client: FlaskClient, act: str, label: str
) -> None:
    db: Database = client.application.extensions["fit_db"]
    client.application.extensions["fit_clock"] = lambda: PAGE_NOW
    world = make_world(db)
    signal_id = add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=PAGE_NOW)
    therapist = client.application.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}"
    if act == "acknowledge":
        token = csrf_token(therapist.get(url).get_data(as_text=True))
        done = therapist.post(
            f"{url}/signals/{signal_id}/acknowledge",
            data={"csrf_token": token, "note": "Phoned; safety plan agreed"},
        )
        assert done.status_code == 302
    else:
        assert therapist.get(f"{url}/schedule").status_code == 200

    html = _review(client, db, PAGE_DAY)
    [row] = [row for row in html.split("<tr>") if label in row]
    assert "10:00" in row  # the page clock's time in Oslo, not the machine's
    machine_day = dt.datetime.now(dt.UTC).date().isoformat()
    assert label not in _review(client, db, machine_day)
