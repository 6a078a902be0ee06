"""A questionnaire withdrawn by a moved appointment after the patient answered 9 of its 10
questions, question 9 high: the risk signal raised when that page was saved stays open, and
the therapist sees the answers given so far on the pre-session view. Through the seam: the
therapist books, the scheduler sends the PHQ-9 by SMS, the patient answers from the link, the
therapist moves the appointment."""

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


def test_a_withdrawn_half_answered_questionnaire_keeps_its_risk_signal_and_answers(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    db: Database = client.application.extensions["fit_db"]
    url, token = _sent_link(client, sms_endpoint, sms)
    patient = Patient(client.application.test_client(), token)
    patient.start()
    patient.answer_page(1, {f"phq9_{n}": "1" for n in range(1, 6)})
    saved = patient.answer_page(2, {f"phq9_{n}": "1" for n in range(6, 9)} | {"phq9_9": "3"})
    assert saved.headers["Location"].startswith("/p/help")  # 9 of 10 answered, not finished

    page = client.get(url + "?lang=en").get_data(as_text=True)
    moved = client.post(
        f"/clinician/appointments/{_appointment_id(page)}/move?lang=en",
        data={"csrf_token": csrf_token(page), "move-day": "2026-12-05", "move-time": "09:00"},
    )
    assert moved.status_code == 302
    with db.session() as session:
        assert session.scalars(select(Invitation.state)).all() == [InvitationState.CANCELLED]
        signal = session.scalars(select(Signal).where(Signal.code == "risk_answer")).one()
    assert signal.resolved_at is None

    episode = re.search(r"/clinician/episodes/(\d+)/appointments", url)
    assert episode is not None
    view = client.get(f"/clinician/episodes/{episode.group(1)}?lang=en").get_data(as_text=True)
    article = view[view.index(f'id="signal-{signal.id}"') :]
    article = article[: article.index("</article>")]
    assert "Acknowledge" in article
    # What the patient did answer, next to the signal it raised.
    assert "The questionnaire was not finished: 9 of 10 questions answered." in article
    # The answer that raised the signal stands out, named as the risk question.
    assert "<strong>Question 9: Nearly every day (3) (risk question)</strong>" in article
    assert "Question 1: Several days (1)" in article
    assert "Question 10: not answered" in article

    # The same in nynorsk.
    nynorsk = client.get(f"/clinician/episodes/{episode.group(1)}?lang=nn").get_data(as_text=True)
    assert "Spørjeskjemaet vart ikkje fullført: 9 av 10 spørsmål er svarte på." in nynorsk
