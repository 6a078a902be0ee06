"""Reads a page logs are stamped with the page clock, as everything else the page shows and
writes: the appointments page and the samvalg decision form wrote their access-log rows at the
machine's time, so under a test's clock (or a demo's history) the log disagreed with the page."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import AccessLog
from tests.support.factories import PASSWORD, make_world
from tests.support.html import log_in

PAGE_NOW = dt.datetime(2026, 3, 10, 9, 5, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/clinician/episodes/{episode}/appointments", "appointments_view"),
        ("/clinician/episodes/{episode}/decisions/new", "decision_form"),
    ],
)
def test_a_pages_access_log_row_carries_the_page_clocks_time(
    client: FlaskClient, path: str, action: str
) -> None:
    db: Database = client.application.extensions["fit_db"]
    client.application.extensions["fit_clock"] = lambda: PAGE_NOW
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    assert client.get(path.format(episode=world.episode_id)).status_code == 200
    with db.session() as session:
        [at] = session.scalars(select(AccessLog.at).where(AccessLog.action == action)).all()
    assert (at if at.tzinfo else at.replace(tzinfo=dt.UTC)) == PAGE_NOW
