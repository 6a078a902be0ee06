"""What happens when PostgreSQL is stopped and started again while patients post answers
(docs/operations.md, "What happens when …"): requests caught get a translated 503 page, never
a stack trace; every answer that got its "done" page is in the database; the same gunicorn
serves again once the database is back."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import psutil
from sqlalchemy import func, select

from fit_platform.db.models import Invitation, Response
from fit_platform.domain.codes import InvitationState, ResponseStatus
from tests.support.deployment import (
    PAGES,
    Deployment,
    open_links,
    record,
)
from tests.support.html import csrf_token


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
    links = open_links(deployment, 24)
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
        found = session.scalars(
            select(Response.invitation_id).where(
                Response.invitation_id.in_(ids), Response.status == ResponseStatus.SUBMITTED
            )
        ).all()
        # The IN above matches no NULL: every id found is one of `ids`.
        submitted = [invitation_id for invitation_id in found if invitation_id is not None]
        completed = session.scalar(
            select(func.count())
            .select_from(Invitation)
            .where(Invitation.id.in_(ids), Invitation.state == InvitationState.COMPLETED)
        )
    assert sorted(submitted) == sorted(ids) and completed == len(ids)
    record(
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
