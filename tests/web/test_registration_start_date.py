"""Registration accepts a start of treatment from 30 years back to 1 year ahead.

A mistyped year (1900, 2099) was stored as the episode's start and dated the episode wrongly
in every list, chart and report. A course that started long ago (registered late, moved from
another system) is still accepted.
"""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import Episode
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff, make_unit
from tests.support.html import log_in
from tests.support.registration import post_registration

MESSAGES = {
    "en": "The start of treatment can be at most 30 years back and at most 1 year ahead.",
    "nb": "Behandlingsstart kan være høyst 30 år tilbake og høyst 1 år fram i tid.",
    "nn": "Behandlingsstart kan vere høgst 30 år tilbake og høgst 1 år fram i tid.",
}


def _episodes(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Episode)) or 0


@pytest.mark.parametrize(
    ("started_on", "lang"), [("1900-01-01", "en"), ("2099-06-01", "nb"), ("01.01.1900", "nn")]
)
def test_a_start_of_treatment_far_back_or_ahead_is_refused_with_a_message(
    app: Flask, client: FlaskClient, started_on: str, lang: str
) -> None:
    db: Database = app.extensions["fit_db"]
    unit = make_unit(db)
    log_in(client, make_staff(db, (Role.THERAPIST, unit.id)).username, PASSWORD)
    response = post_registration(client, unit.id, lang, started_on=started_on)
    assert response.status_code == 422
    assert MESSAGES[lang] in response.get_data(as_text=True)
    assert _episodes(db) == 0


def test_a_course_that_started_years_ago_or_starts_soon_is_registered(
    app: Flask, client: FlaskClient
) -> None:
    db: Database = app.extensions["fit_db"]
    unit = make_unit(db)
    log_in(client, make_staff(db, (Role.THERAPIST, unit.id)).username, PASSWORD)
    today = dt.date.today()
    long_ago = today.replace(year=today.year - 29, day=1)
    soon = today + dt.timedelta(days=300)
    for day in (long_ago, soon):
        response = post_registration(client, unit.id, started_on=day.isoformat())
        assert response.status_code == 302, day
    with db.session() as session:
        started = sorted(session.scalars(select(Episode.started_on)))
    assert started == [long_ago, soon]
