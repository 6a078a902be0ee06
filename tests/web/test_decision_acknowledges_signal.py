"""A samvalg decision recorded from a signal acts on it.

Seen as a therapist: after recording a decision with the patient "about this signal", the
signal still read "not acknowledged yet, waiting for 7 days", and a risk signal would still be
escalated to the unit lead. A decision from a signal nobody has acknowledged now acknowledges
it, by whoever recorded it, with the decision as what was done; the form says so first. One
already acknowledged keeps its acknowledgement.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from fit_platform.db import Database
from fit_platform.db.models import Signal
from fit_platform.domain.signals import SignalCode
from fit_platform.services.signal_workflow import escalate_overdue_risk_signals
from tests.support.clinical import acknowledge_in_the_view, add_signal
from tests.support.factories import PASSWORD, World, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import now

NOTICE = "Saving the record also acknowledges this signal, with the decision as what was done."


def _decide(client: FlaskClient, world: World, signal_id: int, decision: str) -> TestResponse:
    url = f"/clinician/episodes/{world.episode_id}/decisions/new"
    form = client.get(f"{url}?signal={signal_id}&lang=en").get_data(as_text=True)
    return client.post(
        url,
        data={
            "csrf_token": csrf_token(form),
            "signal_id": signal_id,
            "options_discussed": "A safety plan now, or wait for the next session",
            "decision": decision,
            "visible_to_patient": "y",
        },
    )


def test_a_decision_from_a_risk_signal_acknowledges_it_with_the_decision(
    app: Flask, client: FlaskClient
) -> None:
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    risk = add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=now() - dt.timedelta(hours=2))
    log_in(client, world.therapist_username, PASSWORD)
    form = client.get(
        f"/clinician/episodes/{world.episode_id}/decisions/new?signal={risk}&lang=en"
    ).get_data(as_text=True)
    assert NOTICE in form

    saved = _decide(client, world, risk, "Safety plan made together; call 116 117 at night")
    assert saved.status_code == 302

    with db.session() as session:
        signal = session.get_one(Signal, risk)
        assert signal.acknowledged_at is not None
        assert signal.acknowledged_by_id == world.therapist_id
        assert signal.acknowledge_note == "Safety plan made together; call 116 117 at night"
        assert signal.resolved_at is None  # still open: resolving is the therapist's own step
    view = client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    assert "signals-waiting" not in view
    assert "What was done: <span" in view and "Safety plan made together" in view
    # Acted on in time: nothing is escalated to the unit lead a day later.
    assert (
        escalate_overdue_risk_signals(
            db, after=dt.timedelta(hours=24), now=now() + dt.timedelta(days=1)
        )
        == 0
    )


def test_a_decision_about_an_acknowledged_signal_keeps_its_acknowledgement(
    app: Flask, client: FlaskClient
) -> None:
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    signal_id = add_signal(db, world, SignalCode.NOT_ON_TRACK)
    log_in(client, world.therapist_username, PASSWORD)
    acknowledge_in_the_view(client, world, signal_id, "Talked about progress")
    form = client.get(
        f"/clinician/episodes/{world.episode_id}/decisions/new?signal={signal_id}&lang=en"
    ).get_data(as_text=True)
    assert NOTICE not in form
    assert _decide(client, world, signal_id, "Two more sessions, then review").status_code == 302
    with db.session() as session:
        notes = session.scalars(select(Signal.acknowledge_note)).all()
    assert notes == ["Talked about progress"]


def test_the_form_about_an_acknowledged_risk_signal_no_longer_asks_to_acknowledge_it(
    app: Flask, client: FlaskClient
) -> None:
    """The pre-session view drops "… and acknowledge this signal" once it is; the samvalg form
    about the same signal still asked for it, as if the acknowledgement had not been saved."""
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    risk = add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=now() - dt.timedelta(hours=2))
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/decisions/new?signal={risk}&lang=en"
    assert "and acknowledge this signal" in client.get(url).get_data(as_text=True)
    acknowledge_in_the_view(client, world, risk, "Called her; safety plan agreed")
    form = client.get(url).get_data(as_text=True)
    assert "Talk with the patient about safety as soon as possible." in form
    assert "acknowledge this signal" not in form
