from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import ConsentEvent, Patient, Response, Signal
from fit_platform.domain.codes import ConsentState
from fit_platform.services.demo_seed import seed_demo, seed_demo_patients


def test_demo_patients_are_seeded_once_and_each_start_gives_a_working_link(
    client: FlaskClient, db: Database
) -> None:
    seed_demo(db)
    first = seed_demo_patients(db)
    counts = {}
    with db.session() as session:
        for model in (Patient, Response, Signal, ConsentEvent):
            counts[model] = session.scalar(select(func.count()).select_from(model))
    second = seed_demo_patients(db)
    with db.session() as session:
        for model, n in counts.items():
            assert session.scalar(select(func.count()).select_from(model)) == n
        states = set(session.scalars(select(Patient.consent_state)))
        assert (
            session.scalar(
                select(func.count()).select_from(Signal).where(Signal.code == "risk_answer")
            )
            == 1
        )
    assert states == {ConsentState.ACTIVE, ConsentState.PAUSED, ConsentState.STOPPED}
    assert first != second
    assert counts[Response] == 4 * 16 * 3
    for link in (first, second):
        assert client.get(link).status_code == 200
