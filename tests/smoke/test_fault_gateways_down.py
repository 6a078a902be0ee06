"""What happens when the SMS gateway and the SMTP relay are down when invitations are due
(docs/operations.md, "What happens when …"): the messages wait, and go out once each when the
gateways are back."""

from __future__ import annotations

import time

from aiosmtpd.controller import Controller
from sqlalchemy import select

from fit_platform.db.models import OutboxMessage
from fit_platform.domain.codes import OutboxState
from tests.messaging.conftest import RecordingSmtpHandler
from tests.support.deployment import (
    Deployment,
    record,
    wait_for,
)
from tests.support.production_stack import (
    THERAPIST_PASSWORD,
)
from tests.support.sms_endpoint import SmsEndpoint, serve_sms_endpoint
from tests.support.web_session import (
    add_appointment,
    add_day_before_rule,
    link_in,
    register_patient,
    staff_client,
)


def test_messages_wait_while_the_gateways_are_down_and_go_out_once_when_they_are_back(
    deployment: Deployment,
) -> None:
    stack, db = deployment.stack, deployment.db
    therapist = staff_client(stack.base_url, deployment.clinic.therapists[0], THERAPIST_PASSWORD)
    by_sms = register_patient(
        therapist,
        unit_id=deployment.clinic.unit_id,
        name="Kari Nordmann",
        started_on="2026-12-01",
        phone="+47 912 34 567",
    )
    by_mail = register_patient(
        therapist,
        unit_id=deployment.clinic.unit_id,
        name="Per Hansen",
        started_on="2026-12-01",
        email="per@example.org",
        channel="email",
    )
    for episode_id in (by_sms, by_mail):
        add_day_before_rule(therapist, episode_id)
        add_appointment(therapist, episode_id, "2026-12-04", "08:00")

    def rows() -> list[OutboxMessage]:
        with db.session() as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    # The clock and a separate sending process (the guide's "Dispatchers" layout); nothing
    # listens on the gateways' ports yet.
    schedulers = [stack.start("scheduler without sending", name="clock"), stack.start("scheduler")]
    try:
        wait_for(
            lambda: (
                len(rows()) == 2
                and all(r.state is OutboxState.QUEUED and r.last_error for r in rows())
            ),
            "a first, failed, attempt at both messages, each waiting for its retry",
            60,
            stack.logs,
        )
        assert all(r.attempts == 1 for r in rows()), [(r.id, r.attempts) for r in rows()]
        came_back = time.monotonic()
        smtp = RecordingSmtpHandler()
        controller = Controller(smtp, hostname="127.0.0.1", port=deployment.smtp_port)
        controller.start()
        sms_state = SmsEndpoint()
        try:
            with serve_sms_endpoint(deployment.sms_port, sms_state) as sms:
                wait_for(lambda: sms.accepted and smtp.messages, "delivery", 75, stack.logs)
                delivered_after = time.monotonic() - came_back
                # Both recorded as sent: the dispatcher claims only queued messages, so
                # nothing can go out again after this (a send recorded as failed would
                # have left its message queued for another try).
                wait_for(
                    lambda: all(r.state is OutboxState.SENT for r in rows()),
                    "both messages recorded as sent",
                    30,
                    stack.logs,
                )
                sms_texts = [m["text"] for m in sms.accepted]
        finally:
            controller.stop()
    finally:
        for process in schedulers:
            process.stop()
            stack.processes.remove(process)

    assert len(sms_texts) == 1 and len(smtp.messages) == 1
    link_in(sms_texts[0], stack.base_url)
    assert smtp.messages[0]["To"] == "per@example.org"
    sent = rows()
    assert [r.state for r in sent] == [OutboxState.SENT, OutboxState.SENT]
    assert all(r.attempts == 2 for r in sent), [(r.id, r.attempts) for r in sent]
    record(
        "gateways-down",
        {
            "messages": 2,
            "attempts_each": [r.attempts for r in sent],
            "delivered_seconds_after_gateways_back": round(delivered_after, 1),
            "sms_received": len(sms_texts),
            "emails_received": len(smtp.messages),
        },
    )
