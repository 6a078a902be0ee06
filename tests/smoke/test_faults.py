"""What happens when something breaks under the production processes (docs/operations.md,
"What happens when …").

One deployment as the guide describes it (tests/support/production_stack.py: gunicorn with
two workers, PostgreSQL and the gateways on loopback, production settings, a Thursday
morning in Oslo) and three faults:

(a) PostgreSQL is stopped and started again while patients post answers: requests caught
    get a translated 503 page (never a stack trace), every answer that got its "done"
    page is in the database, and the same gunicorn serves again once the database is back;
(b) the SMS gateway and the SMTP relay are down when invitations are due: the messages
    wait, and go out once each when the gateways are back;
(c) a gunicorn worker is killed (SIGKILL) while it saves an answer: nothing of that
    submission is kept, the master starts a new worker, and the patient's retry works.

Each test writes its figures to test-artifacts/faults-<name>.json.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import FormSubmission, Invitation, OutboxMessage, Response
from fit_platform.domain.codes import InvitationState, OutboxState, ResponseStatus, Role
from fit_platform.domain.instruments import default_instruments
from fit_platform.services.answering import page_plan
from tests.messaging.conftest import RecordingSmtpHandler
from tests.support.factories import make_invitation, make_staff, make_unit, make_world
from tests.support.html import csrf_token
from tests.support.postgres import PostgresCluster, private_postgres
from tests.support.production_stack import (
    THERAPIST_PASSWORD,
    THURSDAY_MORNING,
    Clinic,
    Process,
    Stack,
    free_port,
    production_stack,
    seed_clinic,
)
from tests.support.sms_endpoint import SMS_TOKEN, SmsEndpoint, serve_sms_endpoint
from tests.support.web_session import (
    add_appointment,
    add_day_before_rule,
    link_in,
    register_patient,
    staff_client,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PAGES = page_plan(default_instruments()["phq9"])


@dataclass
class Deployment:
    stack: Stack
    postgres: PostgresCluster
    web: Process
    db: Database
    clinic: Clinic
    sms_port: int
    smtp_port: int


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    sms_port, smtp_port = free_port(), free_port()
    with (
        private_postgres() as postgres,
        production_stack(
            postgres.url,
            tmp_path_factory.mktemp("faults"),
            FIT_RATELIMIT_ENABLED="false",
            FIT_SMS_URL=f"http://127.0.0.1:{sms_port}",
            FIT_SMS_TOKEN=SMS_TOKEN,
            FIT_SMTP_HOST="127.0.0.1",
            FIT_SMTP_PORT=str(smtp_port),
            FIT_SMTP_STARTTLS="false",
        ) as stack,
    ):
        stack.run("migrate")
        web = stack.start_web()
        db = Database(postgres.url)
        try:
            yield Deployment(
                stack, postgres, web, db, seed_clinic(postgres.url), sms_port, smtp_port
            )
        finally:
            db.dispose()


def _record(name: str, figures: dict[str, object]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"faults-{name}.json").write_text(json.dumps(figures, indent=2))


def _wait_for(predicate: Callable[[], object], what: str, seconds: float, logs=None) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {seconds} s\n{logs() if logs else ''}")


def _open_links(deployment: Deployment, count: int) -> list[tuple[int, str]]:
    """`count` patients, each with an open PHQ-9 invitation; (invitation id, link)."""
    db = deployment.db
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    links = []
    for _ in range(count):
        world = make_world(db, unit=unit, therapist=therapist)
        invitation, token = make_invitation(
            db,
            world,
            "phq9",
            due_at=THURSDAY_MORNING.astimezone(dt.UTC) - dt.timedelta(hours=1),
            window=dt.timedelta(hours=48),
        )
        links.append((invitation.id, f"{deployment.stack.base_url}/p/{token}"))
    return links


# --------------------------------------------------------------------------- (a)


@dataclass
class PatientRun:
    """What one patient's browser saw while answering, retrying a step after a 503 or a
    dropped connection the way a person presses the button again."""

    invitation_id: int
    confirmed: bool = False
    unavailable: list[str] = field(default_factory=list)
    transport_errors: int = 0
    server_errors: list[str] = field(default_factory=list)


def _answer_with_retries(invitation_id: int, link: str, think: float) -> PatientRun:
    run = PatientRun(invitation_id)
    base = link.split("/p/")[0]
    with httpx.Client(timeout=30) as client:

        def step(method: str, url: str, data: dict[str, str] | None = None) -> httpx.Response:
            for _ in range(120):
                time.sleep(think)
                try:
                    response = client.request(method, url, data=data)
                except httpx.TransportError:
                    run.transport_errors += 1
                    continue
                if response.status_code == 503:
                    run.unavailable.append(response.text)
                    continue
                if response.status_code >= 500:
                    run.server_errors.append(response.text)
                return response
            raise AssertionError(f"{url} never answered")

        landing = step("GET", link + "?lang=en")
        assert landing.status_code == 200, landing.text[:500]
        token = csrf_token(landing.text)
        assert step("POST", link, {"csrf_token": token, "action": "start"}).status_code == 302
        for number, link_ids in enumerate(PAGES, start=1):
            answers = {link_id: "2" for link_id in link_ids}
            response = step("POST", f"{base}/p/answer/{number}", {"csrf_token": token, **answers})
            assert response.status_code == 302, response.text[:500]
        done = step("POST", f"{base}/p/finish", {"csrf_token": token})
        run.confirmed = done.status_code == 302 and done.headers["Location"] == "/p/done"
    return run


def test_a_database_restart_under_load_loses_no_confirmed_answer_and_shows_a_clear_page(
    deployment: Deployment,
) -> None:
    links = _open_links(deployment, 24)
    base = deployment.stack.base_url
    master = psutil.Process(deployment.web.popen.pid)
    workers_before = {child.pid for child in master.children()}
    with ThreadPoolExecutor(max_workers=12) as pool:
        futures = [
            pool.submit(_answer_with_retries, invitation_id, link, 0.15)
            for invitation_id, link in links
        ]
        time.sleep(1.5)  # patients are in the middle of their questionnaires
        stopped_at = time.monotonic()
        deployment.postgres.stop("fast")  # `pg_ctl restart`, with a pause in the middle
        try:
            probe_en = httpx.get(links[-1][1] + "?lang=en", timeout=30)
            probe_nb = httpx.get(links[-1][1] + "?lang=nb", timeout=30)
            ready = httpx.get(base + "/readyz", timeout=30)
            time.sleep(2)  # meanwhile the patients keep pressing
        finally:
            deployment.postgres.start()
        down_for = time.monotonic() - stopped_at
        started_at = time.monotonic()
        after = httpx.get(links[-1][1] + "?lang=en", timeout=30)
        first_page_after = time.monotonic() - started_at
        runs = [future.result(timeout=120) for future in futures]

    # Requests caught: a translated 503 page with Retry-After, never a stack trace.
    assert probe_en.status_code == 503 and probe_nb.status_code == 503
    assert "The service is unavailable for a moment" in probe_en.text
    assert "Nothing you saved earlier is lost" in probe_en.text
    assert "Tjenesten er utilgjengelig en liten stund" in probe_nb.text
    assert probe_en.headers["Retry-After"] == "30"
    assert ready.status_code == 503
    for text in [probe_en.text, probe_nb.text] + [t for r in runs for t in r.unavailable]:
        assert "Traceback" not in text and "psycopg" not in text and "SELECT" not in text
    assert [r.server_errors for r in runs if r.server_errors] == []

    # The same gunicorn master and workers serve again: no restart was needed.
    assert after.status_code == 200
    assert deployment.web.popen.poll() is None
    assert {child.pid for child in master.children()} == workers_before

    # Every answer that reached its "done" page is in the database, once.
    assert all(run.confirmed for run in runs)
    ids = [invitation_id for invitation_id, _ in links]
    with deployment.db.session() as session:
        submitted = session.scalars(
            select(Response.invitation_id).where(
                Response.invitation_id.in_(ids), Response.status == ResponseStatus.SUBMITTED
            )
        ).all()
        completed = session.scalar(
            select(func.count())
            .select_from(Invitation)
            .where(Invitation.id.in_(ids), Invitation.state == InvitationState.COMPLETED)
        )
    assert sorted(submitted) == sorted(ids) and completed == len(ids)
    _record(
        "database-restart",
        {
            "patients": len(runs),
            "database_down_seconds": round(down_for, 1),
            "first_page_after_start_seconds": round(first_page_after, 2),
            "patient_requests_answered_503": sum(len(r.unavailable) for r in runs),
            "patient_requests_dropped": sum(r.transport_errors for r in runs),
            "answers_confirmed": sum(r.confirmed for r in runs),
            "answers_in_database": len(submitted),
        },
    )


# --------------------------------------------------------------------------- (b)


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
        _wait_for(
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
                _wait_for(lambda: sms.accepted and smtp.messages, "delivery", 75, stack.logs)
                delivered_after = time.monotonic() - came_back
                time.sleep(12)  # one more dispatch round: nothing goes out twice
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
    _record(
        "gateways-down",
        {
            "messages": 2,
            "attempts_each": [r.attempts for r in sent],
            "delivered_seconds_after_gateways_back": round(delivered_after, 1),
            "sms_received": len(sms_texts),
            "emails_received": len(smtp.messages),
        },
    )


# --------------------------------------------------------------------------- (c)


def _backend_waiting_on_a_lock(connection: psycopg.Connection[tuple[object, ...]]) -> int | None:
    row = connection.execute(
        "SELECT client_port FROM pg_stat_activity "
        "WHERE wait_event_type = 'Lock' AND datname = current_database()"
    ).fetchone()
    return int(row[0]) if row else None  # type: ignore[arg-type]


def _worker_with_local_port(master: psutil.Process, port: int) -> int:
    for worker in master.children():
        for connection in worker.net_connections(kind="tcp"):
            if connection.laddr and connection.laddr.port == port:
                return worker.pid
    raise AssertionError(f"no worker holds the database connection from port {port}")


def test_a_worker_killed_while_saving_keeps_nothing_half_saved_and_the_retry_works(
    deployment: Deployment,
) -> None:
    [(invitation_id, link)] = _open_links(deployment, 1)
    base = deployment.stack.base_url
    master = psutil.Process(deployment.web.popen.pid)
    client = httpx.Client(timeout=60)
    landing = client.get(link + "?lang=en")
    token = csrf_token(landing.text)
    assert client.post(link, data={"csrf_token": token, "action": "start"}).status_code == 302
    for number, link_ids in enumerate(PAGES, start=1):
        answers = {link_id: "3" for link_id in link_ids}
        response = client.post(f"{base}/p/answer/{number}", data={"csrf_token": token, **answers})
        assert response.status_code == 302

    # Hold the invitation row, so the worker's submit stops inside its transaction (after
    # its first write) and can be killed there, mid-request.
    with deployment.db.session() as session:
        claims_before = session.scalar(select(func.count()).select_from(FormSubmission))
    plain_url = deployment.postgres.url.replace("+psycopg", "")
    holder = psycopg.connect(plain_url)
    holder.execute("SELECT id FROM invitation WHERE id = %s FOR UPDATE", (invitation_id,))
    outcome: dict[str, object] = {}

    def submit() -> None:
        try:
            outcome["response"] = client.post(f"{base}/p/finish", data={"csrf_token": token})
        except httpx.TransportError as error:
            outcome["error"] = type(error).__name__

    with psycopg.connect(plain_url, autocommit=True) as watcher:
        thread = threading.Thread(target=submit)
        thread.start()
        port: list[int] = []
        _wait_for(
            lambda: port.append(p) or True if (p := _backend_waiting_on_a_lock(watcher)) else False,
            "the submit waiting inside its transaction",
            30,
        )
        victim = _worker_with_local_port(master, port[0])
        os.kill(victim, signal.SIGKILL)
        thread.join(30)
        holder.rollback()
        holder.close()
        _wait_for(
            lambda: (
                watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE client_port = %s", (port[0],)
                ).fetchone()
                == (0,)
            ),
            "the killed worker's database session to end",
            30,
        )

    # The client's connection was cut; nothing of the submission was kept.
    assert "error" in outcome, outcome
    with deployment.db.session() as session:
        response = session.scalars(
            select(Response).where(Response.invitation_id == invitation_id)
        ).one()
        assert response.status is ResponseStatus.IN_PROGRESS and response.total is None
        assert session.get_one(Invitation, invitation_id).state is not InvitationState.COMPLETED
        # Not even the submission's first write (its once-only claim) was kept.
        claims = session.scalar(select(func.count()).select_from(FormSubmission))
        assert claims == claims_before

    # The master replaced the worker.
    replaced_at = time.monotonic()
    _wait_for(
        lambda: len(pids := {c.pid for c in master.children()}) == 2 and victim not in pids,
        "a new worker",
        60,
    )
    replaced_after = time.monotonic() - replaced_at

    # The patient presses "Send" again: saved, once.
    retry = client.post(f"{base}/p/finish", data={"csrf_token": token})
    client.close()
    assert retry.status_code == 302 and retry.headers["Location"] == "/p/done"
    with deployment.db.session() as session:
        saved = session.scalars(select(Response).where(Response.invitation_id == invitation_id))
        [response] = saved.all()
        assert response.status is ResponseStatus.SUBMITTED and response.total == 27
        assert session.get_one(Invitation, invitation_id).state is InvitationState.COMPLETED
    _record(
        "worker-killed",
        {
            "client_saw": outcome["error"],
            "new_worker_within_seconds": round(replaced_after, 1),
            "retry_status": retry.status_code,
        },
    )
