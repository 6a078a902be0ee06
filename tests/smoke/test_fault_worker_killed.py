"""What happens when a gunicorn worker is killed (SIGKILL) while it saves a patient's
answers (docs/operations.md, "What happens when …"): nothing of that submission is kept, the
master starts a new worker, and the patient's retry works."""

from __future__ import annotations

import os
import signal
import threading
import time

import httpx
import psutil
import psycopg
from psycopg.rows import TupleRow
from sqlalchemy import func, select

from fit_platform.db.models import FormSubmission, Invitation, Response
from fit_platform.domain.codes import InvitationState, ResponseStatus
from tests.support.deployment import (
    PAGES,
    Deployment,
    open_links,
    record,
    wait_for,
)
from tests.support.html import csrf_token


def _backend_waiting_on_a_lock(connection: psycopg.Connection[TupleRow]) -> int | None:
    row = connection.execute(
        "SELECT client_port FROM pg_stat_activity "
        "WHERE wait_event_type = 'Lock' AND datname = current_database()"
    ).fetchone()
    return int(row[0]) if row else None


def _worker_with_local_port(master: psutil.Process, port: int) -> int:
    for worker in master.children():
        for connection in worker.net_connections(kind="tcp"):
            if connection.laddr and connection.laddr.port == port:
                pid: int = worker.pid
                return pid
    raise AssertionError(f"no worker holds the database connection from port {port}")


def test_a_worker_killed_while_saving_keeps_nothing_half_saved_and_the_retry_works(
    deployment: Deployment,
) -> None:
    [(invitation_id, link)] = open_links(deployment, 1)
    base = deployment.stack.base_url
    master = psutil.Process(deployment.web.popen.pid)
    client = httpx.Client(timeout=60)
    landing = client.get(link + "?lang=en")
    token = csrf_token(landing.text)
    assert client.post(link, data={"csrf_token": token, "action": "start"}).status_code == 302
    for number, link_ids in enumerate(PAGES, start=1):
        answers = {link_id: "3" for link_id in link_ids}
        answered = client.post(f"{base}/p/answer/{number}", data={"csrf_token": token, **answers})
        assert answered.status_code == 302

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

        def found_the_waiting_backend() -> bool:
            if p := _backend_waiting_on_a_lock(watcher):
                port.append(p)
                return True
            return False

        wait_for(found_the_waiting_backend, "the submit waiting inside its transaction", 30)
        victim = _worker_with_local_port(master, port[0])
        os.kill(victim, signal.SIGKILL)
        thread.join(30)
        holder.rollback()
        holder.close()
        wait_for(
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
    wait_for(
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
    record(
        "worker-killed",
        {
            "client_saw": outcome["error"],
            "new_worker_within_seconds": round(replaced_after, 1),
            "retry_status": retry.status_code,
        },
    )
