"""Rows the scheduler writes carry the scheduler's time, not the machine's.

The clock here is set to March 2027, months away from whenever the suite runs: a row stamped
by the wall clock instead of the injected one is found at once, on SQLite (two multi-row
inserts) and on PostgreSQL (one `unnest` statement) alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Invitation, InvitationToken, OutboxMessage
from fit_platform.domain.codes import Channel, MessageKind, ScheduleTrigger
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.scheduler.clock import run_once
from tests.messaging.conftest import SmsEndpoint
from tests.support.factories import PASSWORD, add_appointment, make_world
from tests.support.html import log_in
from tests.support.scheduling import Clock, RuleSpec, give_plan, oslo

AFTER_WITH_REMINDER = RuleSpec(
    "srs",
    ScheduleTrigger.AFTER_APPOINTMENT,
    offset_hours=1,
    window_hours=48,
    reminder_after_hours=24,
)


@pytest.fixture
def sms(sms_endpoint: SmsEndpoint) -> Iterator[HttpSmsChannel]:
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as channel:
        yield channel


def _dispatcher(db: Database, sms: HttpSmsChannel, clock: Clock) -> Dispatcher:
    return Dispatcher(db, {Channel.SMS: sms}, lambda t: f"https://x/p/{t}", clock=clock)


def test_invitations_messages_links_and_reminders_are_stamped_with_the_clocks_time(
    db: Database, sms: HttpSmsChannel
) -> None:
    world = make_world(db)
    give_plan(db, world.episode_id, AFTER_WITH_REMINDER)
    add_appointment(db, world, oslo(2027, 3, 9, 10))
    clock = Clock(oslo(2027, 3, 9, 11, 5))
    run_once(db, _dispatcher(db, sms, clock), clock=clock)
    sent_at = clock.now
    # The reminder is queued (set-based INSERT … SELECT) the next day, at 11:10.
    clock.advance(hours=24, minutes=5)
    run_once(db, _dispatcher(db, sms, clock), clock=clock)

    with db.session() as session:
        invitation = session.scalars(select(Invitation)).one()
        messages = {m.kind: m for m in session.scalars(select(OutboxMessage))}
        # In the order they were made (without ORDER BY, PostgreSQL once gave the reminder's
        # link first): the invitation's link, then the reminder's.
        tokens = session.scalars(select(InvitationToken).order_by(InvitationToken.id)).all()
    assert invitation.created_at == sent_at
    assert messages[MessageKind.INVITATION].created_at == sent_at
    assert [token.created_at for token in tokens] == [sent_at, clock.now]
    assert messages[MessageKind.REMINDER].created_at == clock.now


def test_the_therapist_sees_the_message_dated_by_the_scheduler_not_by_the_machine(
    client: FlaskClient, sms: HttpSmsChannel
) -> None:
    db: Database = client.application.extensions["fit_db"]
    world = make_world(db)
    give_plan(db, world.episode_id, AFTER_WITH_REMINDER)
    add_appointment(db, world, oslo(2027, 3, 9, 10))
    clock = Clock(oslo(2027, 3, 9, 11, 5))
    run_once(db, _dispatcher(db, sms, clock), clock=clock)

    log_in(client, world.therapist_username, PASSWORD)
    page = client.get(f"/clinician/episodes/{world.episode_id}/appointments?lang=nb")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    # The message list: when it was queued, which message, channel, state, attempts.
    rows = re.findall(r"<tr><td>([^<]*)</td><td[^>]*>[^<]*</td><td[^>]*>SMS</td>", text)
    assert rows == ["09.03.2027, 11:05"]
