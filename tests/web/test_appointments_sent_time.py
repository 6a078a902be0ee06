"""The appointments page says when a questionnaire actually went out, not only when it was due:
a message sent late in the afternoon for a morning appointment left the patient hours, not a
day, to answer; and lists them newest first by that time. Through the seam: the therapist
books, the scheduler queues, the dispatcher sends to the real loopback SMS endpoint, and the
therapist reads the page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.db.models import Invitation
from fit_platform.domain.codes import Channel, InvitationState
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.scheduler.clock import run_once
from tests.messaging.conftest import SmsEndpoint, sms_endpoint
from tests.support.factories import PASSWORD, make_invitation, make_world
from tests.support.html import csrf_token, log_in
from tests.support.scheduling import DAY_BEFORE, Clock, give_plan, oslo

__all__ = ["sms_endpoint"]


@pytest.fixture
def sms(sms_endpoint: SmsEndpoint) -> Iterator[HttpSmsChannel]:
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as channel:
        yield channel


def _sent_column(page: str) -> str:
    """The text of the "Sent or to be sent" cell of the one questionnaire row."""
    start = page.index('data-label="Sent or to be sent">') + len('data-label="Sent or to be sent">')
    return page[start : page.index("</td>", start)]


def test_the_page_shows_when_the_questionnaire_was_sent_not_when_it_was_due(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    db: Database = client.application.extensions["fit_db"]
    world = make_world(db)
    give_plan(db, world.episode_id, DAY_BEFORE)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/appointments"
    page = client.get(url).get_data(as_text=True)
    booked = client.post(
        url, data={"csrf_token": csrf_token(page), "day": "2026-12-03", "time": "09:00"}
    )
    assert booked.status_code == 302
    # Queued at its due time (24 h before), not sent yet: the page says it is still to go.
    run_once(db, None, clock=Clock(oslo(2026, 12, 2, 9, 5)))
    queued = client.get(url + "?lang=en").get_data(as_text=True)
    assert _sent_column(queued) == "To be sent 02/12/2026, 09:00"
    # The dispatcher only got to it in the afternoon: that is the time the therapist sees.
    clock = Clock(oslo(2026, 12, 2, 16, 26))
    dispatcher = Dispatcher(db, {Channel.SMS: sms}, lambda t: f"https://x/p/{t}", clock=clock)
    run_once(db, dispatcher, clock=clock)
    assert len(sms_endpoint.accepted) == 1
    sent = client.get(url + "?lang=en").get_data(as_text=True)
    assert _sent_column(sent) == "Sent 02/12/2026, 16:26"
    assert "Sendt 02.12.2026, 16:26" in client.get(url + "?lang=nb").get_data(as_text=True)


def test_the_questionnaires_are_listed_newest_first_by_the_time_the_page_shows(
    client: FlaskClient,
) -> None:
    # By due time alone a questionnaire due at 20:00 but sent at 20:32 came below one sent at
    # 20:24, and nothing said which way the table ran.
    db: Database = client.application.extensions["fit_db"]
    world = make_world(db)
    late, _token = make_invitation(db, world, "phq9", due_at=oslo(2026, 12, 3, 20, 0))
    with db.transaction() as session:
        session.get_one(Invitation, late.id).sent_at = oslo(2026, 12, 3, 20, 32)
    make_invitation(db, world, "gad7", due_at=oslo(2026, 12, 3, 20, 24))
    make_invitation(
        db, world, "wai_sr", due_at=oslo(2026, 12, 4, 9, 0), state=InvitationState.SCHEDULED
    )
    log_in(client, world.therapist_username, PASSWORD)
    page = client.get(f"/clinician/episodes/{world.episode_id}/appointments?lang=en")
    html = page.get_data(as_text=True)
    table = html[html.index('id="questionnaires"') :]
    assert "<caption>Newest first, by when each was sent or is to be sent</caption>" in table
    shown = re.findall(r'data-label="Sent or to be sent">([^<]*)</td>', table)
    assert shown == [
        "To be sent 04/12/2026, 09:00",
        "Sent 03/12/2026, 20:32",
        "Sent 03/12/2026, 20:24",
    ]
