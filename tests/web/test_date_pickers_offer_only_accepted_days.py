"""A date picker offers only the days the service accepts, counted in the clinic's day.

Around midnight the clinic's (Oslo) date and the UTC date differ: at 00:30 in Oslo it is still
yesterday in UTC. Each page here runs on a clock set to such an hour, so a picker whose first
day came from the UTC date, or from the day the service refuses, is caught at any wall-clock
hour the suite runs at.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.services.consent import MAX_PAUSE_DAYS
from tests.support.factories import PASSWORD, make_invitation, make_world
from tests.support.html import log_in
from tests.support.patient import Patient

OSLO = ZoneInfo("Europe/Oslo")
# Past midnight in Oslo while UTC is still on the day before; late evening; early morning.
CLINIC_TIMES = (dt.time(0, 30), dt.time(22, 30), dt.time(6, 0))


def clinic_clock(app: Flask, at: dt.time) -> dt.datetime:
    """Set the app's clock to `at` Oslo time on a fixed winter day; return it in UTC."""
    moment = dt.datetime.combine(dt.date(2026, 12, 3), at, OSLO).astimezone(dt.UTC)
    app.extensions["fit_clock"] = lambda: moment
    return moment


def date_input(html: str, name: str) -> dict[str, str]:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input {name}"
    return dict(re.findall(r'([a-z-]+)="([^"]*)"', match.group(0)))


@pytest.mark.parametrize("at", CLINIC_TIMES, ids=lambda t: t.strftime("%H%M"))
def test_the_pause_picker_starts_tomorrow_and_its_first_day_is_accepted(
    app: Flask, client: FlaskClient, db: Database, at: dt.time
) -> None:
    moment = clinic_clock(app, at)
    world = make_world(db)
    _invitation, token = make_invitation(
        db, world, due_at=moment - dt.timedelta(hours=1), window=dt.timedelta(hours=49)
    )
    patient = Patient(client, token)
    patient.post(f"/p/{token}", {"action": "choices"})
    page = client.get("/p/choices/pause?lang=en").get_data(as_text=True)
    picker = date_input(page, "pause-until")
    clinic_today = moment.astimezone(OSLO).date()
    assert picker["min"] == (clinic_today + dt.timedelta(days=1)).isoformat()
    assert picker["max"] == (clinic_today + dt.timedelta(days=MAX_PAUSE_DAYS)).isoformat()

    # The day before the picker's first day is refused with the page's own words...
    refused = patient.post(
        "/p/choices/pause",
        {"action": "pause", "pause-until": clinic_today.isoformat()},
    )
    assert refused.status_code == 422
    assert "Choose a date after today." in refused.get_data(as_text=True)
    # ...and the first day it offers is taken.
    taken = patient.post("/p/choices/pause", {"action": "pause", "pause-until": picker["min"]})
    assert taken.status_code == 302 and taken.headers["Location"] == "/p/choices/done"


@pytest.mark.parametrize("at", CLINIC_TIMES, ids=lambda t: t.strftime("%H%M"))
def test_the_samvalg_review_picker_starts_on_the_clinics_today(
    app: Flask, client: FlaskClient, db: Database, at: dt.time
) -> None:
    world = make_world(db)
    moment = clinic_clock(app, at)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/decisions/new"
    page = client.get(f"{url}?lang=en").get_data(as_text=True)
    assert date_input(page, "review_on")["min"] == moment.astimezone(OSLO).date().isoformat()
