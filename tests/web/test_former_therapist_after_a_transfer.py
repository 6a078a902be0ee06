"""A therapist's open page after the patient was transferred to a colleague.

A walk had a therapist with a patient's pre-session view open while an administrator moved
the patient to a colleague: he typed what he had done about a risk signal, pressed
"Acknowledge", and got "Page not found: check the address", his note gone. Followed from his
open page through the administrator's transfer to what he, and a stranger, then see.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Patient, Signal
from fit_platform.domain.codes import Role
from fit_platform.domain.signals import SignalCode
from tests.support.clinical import add_signal
from tests.support.factories import PASSWORD, make_staff, make_unit, make_world
from tests.support.html import csrf_token, log_in
from tests.support.transfers import logged_in_admin, transfer

GONE = "This patient is no longer on your list"
NOTE = "Phoned the patient at 14:10; safe, will come tomorrow."


def test_the_former_therapist_is_told_why_and_keeps_what_he_wrote(app: Flask, db: Database) -> None:
    unit = make_unit(db)
    world = make_world(db, unit=unit)
    signal_id = add_signal(db, world, SignalCode.RISK_ANSWER)
    colleague = make_staff(db, (Role.THERAPIST, unit.id), name="Nina Nilsen")
    stranger = make_staff(db, (Role.THERAPIST, unit.id), name="Siri Stranger")
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    view = f"/clinician/episodes/{world.episode_id}"
    open_page = therapist.get(f"{view}?lang=en").get_data(as_text=True)

    transfer(
        logged_in_admin(app, db),
        unit_id=unit.id,
        episode_id=world.episode_id,
        to_staff_id=colleague.id,
    )

    sent = therapist.post(
        f"{view}/signals/{signal_id}/acknowledge?lang=en",
        data={"csrf_token": csrf_token(open_page), "note": NOTE},
    )
    assert sent.status_code == 404
    html = sent.get_data(as_text=True)
    assert GONE in html
    assert "transferred to another therapist on" in html and "Ask your unit lead" in html
    assert "What you wrote was not saved." in html and NOTE in html
    with db.session() as session:
        name = session.get_one(Patient, world.patient_id).display_name
    assert name not in html  # nothing of the patient
    with db.session() as session:
        assert session.get_one(Signal, signal_id).acknowledged_at is None

    reopened = therapist.get(f"{view}?lang=en")
    assert reopened.status_code == 404
    assert GONE in reopened.get_data(as_text=True)
    assert NOTE not in reopened.get_data(as_text=True)

    # Someone who never treated the patient learns nothing: the plain "not found".
    other = app.test_client()
    log_in(other, stranger.username, PASSWORD)
    not_theirs = other.get(f"{view}?lang=en")
    assert not_theirs.status_code == 404
    assert GONE not in not_theirs.get_data(as_text=True)
    assert "Page not found" in not_theirs.get_data(as_text=True)

    # The colleague now responsible acknowledges it as usual.
    colleague_client = app.test_client()
    log_in(colleague_client, colleague.username, PASSWORD)
    page = colleague_client.get(f"{view}?lang=en").get_data(as_text=True)
    done = colleague_client.post(
        f"{view}/signals/{signal_id}/acknowledge",
        data={"csrf_token": csrf_token(page), "note": NOTE},
    )
    assert done.status_code == 302
    with db.session() as session:
        assert session.scalar(select(Signal.acknowledge_note).where(Signal.id == signal_id)) == NOTE
