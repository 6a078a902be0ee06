"""The patient sees when the answer window closes, with its time, in their language and in
the service's time zone: on the landing page and on every question page."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Language
from tests.support.factories import make_invitation, make_world
from tests.support.html import csrf_token
from tests.support.scheduling import Clock, oslo

# The window closes on Thursday 3 December 2026 at 09:30 Oslo time (08:30 UTC).
CLOSES = oslo(2026, 12, 3, 9, 30)


def a_link_closing_thursday_morning(db: Database, language: Language) -> str:
    world = make_world(db, language=language)
    sent = oslo(2026, 11, 30, 10)
    _, token = make_invitation(db, world, due_at=sent, window=CLOSES - sent)
    return token


@pytest.mark.parametrize(
    ("language", "now", "expected"),
    [
        (Language.BOKMAAL, oslo(2026, 12, 3, 8, 10), "Du kan svare til kl. 09:30 i dag."),
        (Language.NYNORSK, oslo(2026, 12, 3, 8, 10), "Du kan svare til kl. 09:30 i dag."),
        (Language.ENGLISH, oslo(2026, 12, 3, 8, 10), "You can answer until 09:30 today."),
        (Language.BOKMAAL, oslo(2026, 12, 2, 22), "Du kan svare til kl. 09:30 i morgen."),
        (Language.NYNORSK, oslo(2026, 12, 2, 22), "Du kan svare til kl. 09:30 i morgon."),
        (Language.ENGLISH, oslo(2026, 12, 2, 22), "You can answer until 09:30 tomorrow."),
        (
            Language.BOKMAAL,
            oslo(2026, 12, 1, 9),
            "Du kan svare til torsdag 3. desember kl. 09:30.",
        ),
        (
            Language.NYNORSK,
            oslo(2026, 12, 1, 9),
            "Du kan svare til torsdag 3. desember kl. 09:30.",
        ),
        (
            Language.ENGLISH,
            oslo(2026, 12, 1, 9),
            "You can answer until Thursday 3 December at 09:30.",
        ),
    ],
)
def test_the_landing_page_says_until_what_time_the_patient_can_answer(
    client: FlaskClient, db: Database, language: Language, now: dt.datetime, expected: str
) -> None:
    client.application.extensions["fit_clock"] = Clock(now)
    token = a_link_closing_thursday_morning(db, language)
    html = client.get(f"/p/{token}").get_data(as_text=True)
    assert expected in html


def test_the_deadline_after_midnight_utc_is_read_in_oslo_time(
    client: FlaskClient, db: Database
) -> None:
    # 00:30 on 4 December in Oslo is still 3 December in UTC: "today" is Oslo's today.
    client.application.extensions["fit_clock"] = Clock(oslo(2026, 12, 4, 0, 30))
    world = make_world(db, language=Language.ENGLISH)
    _, token = make_invitation(
        db, world, due_at=oslo(2026, 12, 3, 20), window=dt.timedelta(hours=5, minutes=30)
    )
    assert "You can answer until 01:30 today." in client.get(f"/p/{token}").get_data(as_text=True)


def test_every_question_page_repeats_the_deadline(client: FlaskClient, db: Database) -> None:
    client.application.extensions["fit_clock"] = Clock(oslo(2026, 12, 3, 8, 10))
    token = a_link_closing_thursday_morning(db, Language.BOKMAAL)
    landing = client.get(f"/p/{token}").get_data(as_text=True)
    started = client.post(
        f"/p/{token}", data={"csrf_token": csrf_token(landing), "action": "start"}
    )
    assert started.headers["Location"] == "/p/answer/1"
    page = client.get("/p/answer/1").get_data(as_text=True)
    assert "Du kan svare til kl. 09:30 i dag." in page
