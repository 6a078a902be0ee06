"""Smoke test of docs/deploy.md, and the first run of a new install: the documented commands,
run as written, make a working service that an administrator sets up through the web
(a unit, a therapist invited by e-mail who sets a password from the link, a schedule
template), and that takes a patient from invitation to the therapist's pre-session view.

The command lines come from the guide's table of roles (tests/support/production_stack.py),
with production settings on loopback: a private PostgreSQL, Redis for the rate limits, the
SMS gateway (a real HTTP endpoint) and an SMTP relay (aiosmtpd). Processes: `db upgrade`,
`create-admin`, gunicorn with two workers and one `fit-platform scheduler` (which also
dispatches). All run at a Thursday 09:00 in Oslo (libfaketime), so the result does not
depend on the hour. (A separate sending process is exercised by the fault tests.)
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import func, select, text

from fit_platform.db import Database
from fit_platform.db.models import OutboxMessage, Response, Staff
from tests.messaging.conftest import SmtpServer, smtp_server
from tests.support.postgres import private_postgres
from tests.support.production_stack import (
    THERAPIST_PASSWORD,
    documented_commands,
    production_stack,
    two_database_roles,
    wait_until_ready,
)
from tests.support.redis_server import throwaway_redis
from tests.support.sms_endpoint import SmsEndpoint, serve_sms_endpoint
from tests.support.web_session import (
    add_appointment,
    admin_creates_day_before_template,
    admin_creates_unit,
    admin_invites_therapist,
    answer_link,
    invite_link_in,
    link_in,
    register_patient,
    set_password_from_invite,
    staff_client,
)

__all__ = ["smtp_server"]
ADMIN_PASSWORD = "drift og vedlikehold 2026"


@pytest.fixture
def sms() -> Iterator[SmsEndpoint]:
    with serve_sms_endpoint() as endpoint:
        yield endpoint


def _wait_for(
    predicate: Callable[[], object], what: str, seconds: float, logs: Callable[[], str]
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {seconds} s\n{logs()}")


def test_the_guide_documents_every_role_the_smoke_test_starts() -> None:
    commands = documented_commands()
    assert commands["migrate"] == ["fit-platform", "db", "upgrade"]
    assert commands["web"] == ["gunicorn", "wsgi:app"]
    assert commands["scheduler"] == ["fit-platform", "scheduler"]
    assert commands["scheduler without sending"] == ["fit-platform", "scheduler", "--no-dispatch"]
    assert commands["first administrator"][:2] == ["fit-platform", "create-admin"]


def _the_application_role_cannot_switch_off_a_guard(app_url: str) -> None:
    app = Database(app_url)
    try:
        with pytest.raises(Exception, match="must be owner"), app.transaction() as session:
            session.execute(text("ALTER TABLE access_log DISABLE TRIGGER USER"))
    finally:
        app.dispose()


def _text_of(mail) -> str:  # type: ignore[no-untyped-def]
    body = mail.get_payload(decode=True) if not mail.is_multipart() else None
    if isinstance(body, bytes):
        return body.decode()
    return mail.get_payload(0).get_payload(decode=True).decode()  # type: ignore[no-any-return]


def test_the_documented_deployment_takes_a_patient_from_invitation_to_the_therapists_view(
    tmp_path: Path, sms: SmsEndpoint, smtp_server: SmtpServer
) -> None:
    with (
        private_postgres() as postgres,
        throwaway_redis() as redis_url,
        production_stack(
            two_database_roles(postgres).app_url,
            tmp_path,
            FIT_RATELIMIT_STORAGE_URI=redis_url,
            FIT_SMS_URL=sms.base_url,
            FIT_SMS_TOKEN=sms.token,
            FIT_SMTP_HOST=smtp_server.host,
            FIT_SMTP_PORT=str(smtp_server.port),
            FIT_SMTP_STARTTLS="false",
            FIT_MAIL_FROM="fit@smoke.example",
            # The patients' invitations become due after the clock's first look (step 6):
            # its next look comes after 5 s, not after the default minute.
            FIT_ENQUEUE_INTERVAL_SECONDS="5",
        ) as stack,
    ):
        # 1. Migrate as the owner (the guide's two roles; only this step gets the owner's
        # URL); then, while the web boots, the first administrator, as documented.
        owner_url = stack.database_url.replace("//fit@", "//fit_owner@")
        migrated = stack.run("migrate", env={"FIT_DATABASE_OWNER_URL": owner_url})
        assert "Database created at revision " in migrated
        web = stack.start("web")
        created = stack.run("first administrator", stdin=ADMIN_PASSWORD + "\n")
        assert "Administrator created" in created
        db = Database(owner_url)
        _the_application_role_cannot_switch_off_a_guard(stack.database_url)
        with db.session() as session:
            admin = session.scalars(select(Staff).where(Staff.username == "ola@klinikk.no")).one()
            assert admin.display_name == "Ola Drift"

        # 2. gunicorn with two workers answers /readyz once migrated.
        wait_until_ready(stack.base_url, web)
        assert httpx.get(stack.base_url + "/healthz").status_code == 200
        assert len(psutil.Process(web.popen.pid).children()) == 2
        admin_web = staff_client(stack.base_url, "ola@klinikk.no", ADMIN_PASSWORD)
        audit = admin_web.get("/admin/audit?lang=en")
        assert audit.status_code == 200 and "Ola Drift" in audit.text

        # 3. The administrator sets the clinic up through the web: a unit, a schedule
        #    template (PHQ-9 24 hours before each session) and a therapist invited by e-mail.
        unit_id = admin_creates_unit(
            admin_web, name="DPS Smoke, poliklinikk", code="smoke-dps", phone="+47 22 00 00 00"
        )
        admin_creates_day_before_template(admin_web, unit_id=unit_id)
        admin_invites_therapist(
            admin_web, email="terapeut1@smoke.example", name="Terapeut 1", unit_id=unit_id
        )

        # 4. The one scheduler process sends the invitation e-mail; the therapist sets a
        #    password from its link.
        stack.start("scheduler")
        _wait_for(lambda: smtp_server.messages, "the staff invitation e-mail", 60, stack.logs)
        invitation_mail = smtp_server.messages[0]
        assert invitation_mail["To"] == "terapeut1@smoke.example"
        set_password_from_invite(
            invite_link_in(_text_of(invitation_mail), stack.base_url), THERAPIST_PASSWORD
        )

        # 5. The therapist registers two patients (SMS, e-mail), who get the unit's template,
        #    and a session tomorrow at 08:00: the questionnaire is due 24 hours before, i.e. now.
        therapist = staff_client(stack.base_url, "terapeut1@smoke.example", THERAPIST_PASSWORD)
        by_sms = register_patient(
            therapist,
            unit_id=unit_id,
            name="Kari Nordmann",
            started_on="2026-12-01",
            phone="+47 912 34 567",
        )
        by_mail = register_patient(
            therapist,
            unit_id=unit_id,
            name="Per Hansen",
            started_on="2026-12-01",
            email="per@example.org",
            channel="email",
        )
        for episode_id in (by_sms, by_mail):
            schedule = therapist.get(f"/clinician/episodes/{episode_id}/schedule?lang=en")
            assert re.search(r'name="rule-\d+-trigger"', schedule.text)  # copied from the template
            add_appointment(therapist, episode_id, "2026-12-04", "08:00")

        # 6. The scheduler enqueues the patients' invitations and sends them.
        _wait_for(
            lambda: sms.accepted and len(smtp_server.messages) >= 2,
            "an SMS and an e-mail",
            90,
            stack.logs,
        )
        sms_link = link_in(sms.accepted[0]["text"], stack.base_url)
        mail = smtp_server.messages[1]
        assert mail["To"] == "per@example.org"
        link_in(_text_of(mail), stack.base_url)
        assert sms.accepted[0]["to"] == "+4791234567"

        # 7. The patient opens the SMS link over HTTP and answers (PHQ-9, 2 on every item).
        done = answer_link(sms_link, "phq9", "2")
        assert done.status_code == 302 and done.headers["Location"] == "/p/done"

        # 8. The therapist sees the score in the pre-session view.
        view = therapist.get(f"/clinician/episodes/{by_sms}?lang=en")
        assert view.status_code == 200
        assert re.search(r">\s*18\s*<", view.text), "the PHQ-9 total 18 is not shown"
        assert "Kari Nordmann" in view.text

        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(Response)) == 1
            assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
        assert len(sms.accepted) == 1 and len(smtp_server.messages) == 2
        db.dispose()
