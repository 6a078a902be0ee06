"""A patient's risk answer through her link, and the unit lead's caseload sections that show
what nobody active attends to (the tests of deactivation and handover share them)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Signal
from tests.support.factories import World
from tests.support.patient import Patient, open_invitation

RISK_HEADING = "Risk signals not acknowledged in time"
UNATTENDED_HEADING = "Patients with no active therapist"


def section(html: str, heading: str) -> str:
    """The alert section under `heading` (empty when the page has none)."""
    if heading not in html:
        return ""
    start = html.index(heading)
    return html[start : html.index("</section>", start)]


def risk_answer(app: Flask, db: Database, world: World, *, finish: bool = True) -> Patient:
    """The patient answers a PHQ-9 with question 9 above 0, in a browser of their own, and is
    sent to the help page; then finishes it, unless `finish` is false. Her browser."""
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token)
    patient.start()
    patient.answer_page(1, {f"phq9_{n}": "1" for n in range(1, 6)})
    saved = patient.answer_page(2, {f"phq9_{n}": "1" for n in range(6, 9)} | {"phq9_9": "2"})
    assert saved.headers["Location"].startswith("/p/help")
    if finish:
        assert patient.finish().status_code == 302
    return patient


def risk_signal_ids(db: Database, world: World) -> list[int]:
    with db.session() as session:
        return list(
            session.scalars(
                select(Signal.id)
                .where(Signal.episode_id == world.episode_id, Signal.code == "risk_answer")
                .order_by(Signal.id)
            )
        )
