"""A risk answer sent after the questionnaire's deadline is never dropped.

The patient opened page 2 of the PHQ-9 before the deadline and sent it after (the page left
open overnight): the questionnaire is closed, but a risk answer on the page gets the help page
at once, and the therapist the risk signal and the answers on the pre-session view. A late
page without a risk answer gets the closed page and is not saved, as before. Through the web:
the patient's pages and the therapist's view, with the page clock moved past the deadline.
"""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Signal
from fit_platform.domain.codes import Language
from tests.support.factories import PASSWORD, World, make_invitation, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, saved_answers
from tests.support.scheduling import Clock, oslo

CLOSES = oslo(2026, 12, 3, 9, 30)


def _page_two_open_at_the_deadline(client: FlaskClient, db: Database) -> tuple[World, int, Patient]:
    """Page 1 answered at 09:10; page 2 sent at 09:31, a minute after the deadline."""
    clock = client.application.extensions["fit_clock"] = Clock(oslo(2026, 12, 3, 9, 10))
    world = make_world(db, language=Language.ENGLISH)
    sent = oslo(2026, 11, 30, 10)
    invitation, token = make_invitation(db, world, due_at=sent, window=CLOSES - sent)
    patient = Patient(client.application.test_client(), token)
    patient.start()
    assert patient.answer_page(1, {f"phq9_{n}": "1" for n in range(1, 6)}).status_code == 302
    clock.now = CLOSES + dt.timedelta(minutes=1)
    return world, invitation.id, patient


def test_a_risk_answer_after_the_deadline_gets_help_and_reaches_the_therapist(
    client: FlaskClient, db: Database
) -> None:
    world, invitation_id, patient = _page_two_open_at_the_deadline(client, db)
    late = patient.answer_page(2, {"phq9_6": "1", "phq9_7": "1", "phq9_8": "1", "phq9_9": "2"})
    html = late.get_data(as_text=True)
    assert late.status_code == 200
    assert "Help is available now" in html and "113" in html and "116 117" in html
    assert "ran out before you sent this page, so you cannot go on with it" in html
    assert "Continue the questionnaire" not in html and "Check and send" not in html
    assert saved_answers(db, invitation_id)["phq9_9"][0] == 2

    with db.session() as session:
        signal = session.scalars(select(Signal).where(Signal.code == "risk_answer")).one()
    assert signal.episode_id == world.episode_id and signal.acknowledged_at is None
    log_in(client, world.therapist_username, PASSWORD)
    view = client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    article = view[view.index(f'id="signal-{signal.id}"') :]
    article = article[: article.index("</article>")]
    assert "Acknowledge" in article
    item_9 = "Thoughts that you would be better off dead or of hurting yourself in some way"
    risk = f"<strong>Question 9, “{item_9}”: More than half the days (2) (risk question)</strong>"
    assert risk in article
    assert "The questionnaire was not finished: 9 of 10 questions answered." in article
    assert "The patient sent this page after the time to answer had run out" in article

    # Sent again with the risk answer changed: kept again, with the help page.
    again = patient.answer_page(2, {"phq9_6": "1", "phq9_7": "1", "phq9_8": "1", "phq9_9": "3"})
    assert again.status_code == 200
    assert saved_answers(db, invitation_id)["phq9_9"][0] == 3
    # The questionnaire stays closed: a page opened now is the closed page.
    assert patient.client.get("/p/answer/1").status_code == 410


def test_a_late_page_without_a_risk_answer_is_closed_and_not_saved(
    client: FlaskClient, db: Database
) -> None:
    _world, invitation_id, patient = _page_two_open_at_the_deadline(client, db)
    late = patient.answer_page(2, {"phq9_6": "1", "phq9_7": "1", "phq9_8": "1", "phq9_9": "0"})
    assert late.status_code == 410
    assert "Help is available now" not in late.get_data(as_text=True)
    assert "phq9_9" not in saved_answers(db, invitation_id)
    with db.session() as session:
        assert session.scalars(select(Signal)).all() == []


def test_a_late_risk_answer_on_a_page_answered_in_part_is_kept_too(
    client: FlaskClient, db: Database
) -> None:
    _world, invitation_id, patient = _page_two_open_at_the_deadline(client, db)
    late = patient.answer_page(2, {"phq9_9": "1"})  # only the risk question ticked
    assert late.status_code == 200 and "Help is available now" in late.get_data(as_text=True)
    assert saved_answers(db, invitation_id)["phq9_9"][0] == 1
    assert "phq9_6" not in saved_answers(db, invitation_id)
