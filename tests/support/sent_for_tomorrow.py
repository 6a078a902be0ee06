"""A questionnaire really sent for a session the therapist booked: the seam from the
appointments page through the scheduler and the dispatcher to the patient's SMS."""

from __future__ import annotations

import datetime as dt
import re

from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Channel
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.sms_http import HttpSmsChannel
from fit_platform.scheduler.clock import run_once
from tests.messaging.conftest import SmsEndpoint
from tests.support.factories import PASSWORD, make_world
from tests.support.html import csrf_token, log_in
from tests.support.scheduling import DAY_BEFORE, Clock, give_plan, oslo

# The therapist's page clock: the morning before the session, after the SMS went out.
PAGE_NOW = oslo(2026, 12, 2, 9, 30)


def book_and_send_for_tomorrow(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> tuple[str, str]:
    """The therapist books a session for tomorrow 09:00 (`PAGE_NOW` is the morning before);
    the scheduler queues its PHQ-9 (a day before) and the dispatcher sends it to the loopback
    SMS endpoint. Returns the appointments page's URL and the link's token."""
    db: Database = client.application.extensions["fit_db"]
    client.application.extensions["fit_clock"] = lambda: PAGE_NOW
    world = make_world(db)
    give_plan(db, world.episode_id, DAY_BEFORE)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/appointments"
    page = client.get(url).get_data(as_text=True)
    day = (PAGE_NOW + dt.timedelta(days=1)).date().isoformat()
    booked = client.post(url, data={"csrf_token": csrf_token(page), "day": day, "time": "09:00"})
    assert booked.status_code == 302
    clock = Clock(oslo(2026, 12, 2, 9, 5))
    dispatcher = Dispatcher(db, {Channel.SMS: sms}, lambda t: f"https://x/p/{t}", clock=clock)
    run_once(db, dispatcher, clock=clock)
    [message] = sms_endpoint.accepted
    token = re.search(r"https://x/p/(\S+)", message["text"])
    assert token is not None
    return url, token.group(1).rstrip(".")
