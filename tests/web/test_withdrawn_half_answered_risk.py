"""A questionnaire withdrawn by a moved appointment after the patient answered 9 of its 10
questions, question 9 high: the risk signal raised when that page was saved stays open, and
the therapist sees the answers given so far on the pre-session view. Through the seam: the
therapist books, the scheduler sends the PHQ-9 by SMS, the patient answers from the link, the
therapist postpones the appointment by more than a week (moved by a few days, a started
questionnaire would stay open instead: `tests/web/test_moved_appointment_asks_once.py`)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Invitation, Signal
from fit_platform.domain.codes import InvitationState
from fit_platform.messaging.sms_http import HttpSmsChannel
from tests.messaging.conftest import SmsEndpoint, sms_endpoint
from tests.support.html import csrf_token
from tests.support.patient import Patient
from tests.web.test_appointment_change_withdraws import _appointment_id, _sent_link, sms

__all__ = ["sms", "sms_endpoint"]

ITEM_1 = "Little interest or pleasure in doing things"  # the PHQ-9's, in English
ITEM_9 = "Thoughts that you would be better off dead or of hurting yourself in some way"


def _withdrawn_after_answering(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel, last: dict[str, str]
) -> tuple[str, str, int]:
    """The patient answers page 1 and page 2 with question 9 high (and `last`, the tenth
    question, or nothing), does not send, and the therapist postpones the appointment. The
    pre-session view in English and nynorsk, and the signal's id."""
    db: Database = client.application.extensions["fit_db"]
    url, token = _sent_link(client, sms_endpoint, sms)
    patient = Patient(client.application.test_client(), token)
    patient.start()
    patient.answer_page(1, {f"phq9_{n}": "1" for n in range(1, 6)})
    answers = {f"phq9_{n}": "1" for n in range(6, 9)} | {"phq9_9": "3"} | last
    saved = patient.answer_page(2, answers)
    assert saved.headers["Location"].startswith("/p/help")  # not sent

    page = client.get(url + "?lang=en").get_data(as_text=True)
    moved = client.post(
        f"/clinician/appointments/{_appointment_id(page)}/move?lang=en",
        data={"csrf_token": csrf_token(page), "move-day": "2026-12-12", "move-time": "09:00"},
    )
    assert moved.status_code == 302
    with db.session() as session:
        assert session.scalars(select(Invitation.state)).all() == [InvitationState.CANCELLED]
        signal = session.scalars(select(Signal).where(Signal.code == "risk_answer")).one()
    assert signal.resolved_at is None

    episode = re.search(r"/clinician/episodes/(\d+)/appointments", url)
    assert episode is not None
    view = client.get(f"/clinician/episodes/{episode.group(1)}?lang=en").get_data(as_text=True)
    nynorsk = client.get(f"/clinician/episodes/{episode.group(1)}?lang=nn").get_data(as_text=True)
    return view, nynorsk, signal.id


def _article(view: str, signal_id: int) -> str:
    article = view[view.index(f'id="signal-{signal_id}"') :]
    return article[: article.index("</article>")]


def test_a_withdrawn_half_answered_questionnaire_keeps_its_risk_signal_and_answers(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    view, nynorsk, signal_id = _withdrawn_after_answering(client, sms_endpoint, sms, {})
    article = _article(view, signal_id)
    assert "Acknowledge" in article
    # What the patient did answer, next to the signal it raised.
    assert "The questionnaire was not finished: 9 of 10 questions answered." in article
    # The answer that raised the signal stands out, named as the risk question.
    # Each with its question, as worded in the latest answers list.
    risk = f"<strong>Question 9, “{ITEM_9}”: Nearly every day (3) (risk question)</strong>"
    assert risk in article
    assert f"Question 1, “{ITEM_1}”: Several days (1)" in article
    assert "”: not answered" in article.split("Question 10, “If you checked off any problems")[1]

    # The same in nynorsk.
    assert "Spørjeskjemaet vart ikkje fullført: 9 av 10 spørsmål er svarte på." in nynorsk
    assert "Spørsmål 9, «Tankar om at det ville vore betre om du var død" in nynorsk


def test_a_withdrawn_questionnaire_answered_in_full_but_not_sent_says_so(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    # "Not finished: 10 of 10 questions answered" read as a contradiction: every question was
    # answered, only the last step, sending, was not taken.
    view, nynorsk, signal_id = _withdrawn_after_answering(
        client, sms_endpoint, sms, {"phq9_10": "1"}
    )
    article = _article(view, signal_id)
    assert "The questionnaire was answered but not sent: all 10 questions answered." in article
    assert "10 of 10" not in article and "not finished" not in article
    assert "”: Somewhat difficult (1)" in article.split("Question 10, “If you checked off")[1]
    assert "Spørjeskjemaet vart svara på, men ikkje sendt: alle 10 spørsmåla er svarte på." in (
        nynorsk
    )
