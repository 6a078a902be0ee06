"""A signal's note typed while the staff session ended comes back in its form after login.

A risk note is often written after a long phone call with the patient: more than the 30 idle
minutes, and typing is not activity the server sees. The note sent after that went to the
login page and was said to be lost. It is now kept for its writer (services/kept_typing.py)
and given back on the pre-session view, in the form of the same signal
(web/clinician/signal_note.py); when a colleague has acted on the signal in between, its words
are shown instead, never dropped unseen. Time moves on the injected page clock.
"""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import KeptTyping, Signal
from fit_platform.domain.codes import Role
from fit_platform.domain.signals import SignalCode
from tests.support.clinical import add_signal
from tests.support.factories import PASSWORD, World, make_staff, make_world
from tests.support.html import csrf_token, log_in, log_in_from
from tests.support.queries import count_statements
from tests.support.scheduling import Clock

INJECTED = dt.datetime(2026, 3, 10, 9, 5, tzinfo=dt.UTC)  # 10:05 in Oslo
RAISED = INJECTED - dt.timedelta(hours=2)
NOTE = "Ringte pasienten i 40 minutter, laget sikkerhetsplan, ny time i morgen"
BACK_ACK_EN = "Your note is back in its field. It was not saved: your session had ended."
PRESS_ACK_EN = "press Acknowledge again"
PRESS_RESOLVE_EN = "press Resolve again"
UNPLACED_EN = "so it is not back in a form. What you wrote:"
LOST_EN = "What you sent was NOT saved: your session had ended before it arrived."


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


@pytest.fixture
def clock(app: Flask) -> Clock:
    app.extensions["fit_clock"] = page_clock = Clock(INJECTED)
    return page_clock


def _note_after_the_session_ended(
    client: FlaskClient, world: World, clock: Clock, signal_id: int, action: str, note: str
) -> str:
    """The therapist opens the pre-session view, writes the note for 40 minutes and sends it;
    returns the login page it is sent to."""
    log_in(client, world.therapist_username, PASSWORD)
    page = client.get(f"/clinician/episodes/{world.episode_id}").get_data(as_text=True)
    clock.advance(minutes=40)
    sent = client.post(
        f"/clinician/episodes/{world.episode_id}/signals/{signal_id}/{action}",
        data={"csrf_token": csrf_token(page), "note": note},
    )
    assert sent.status_code == 302 and "/staff/login" in sent.headers["Location"]
    return str(sent.headers["Location"])


def _after_login(client: FlaskClient, login_url: str, world: World, lang: str = "en") -> str:
    """Logs the therapist in from `login_url`; the page login comes back to, in `lang`."""
    landed = log_in_from(client, login_url, world.therapist_username, PASSWORD)
    return str(client.get(f"{landed}?lang={lang}").get_data(as_text=True))


def _field(page: str, field_id: str) -> str:
    """The textarea `field_id` up to its closing tag: what it holds is at the end."""
    start = page.index(f'id="{field_id}"')
    return page[start : page.index("</textarea>", start)]


def _kept_rows(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(KeptTyping)) or 0)


def test_a_risk_note_is_back_in_its_field_after_login_and_acknowledges_when_sent(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    db = _db(app)
    world = make_world(db)
    signal_id = add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=RAISED)
    login_url = _note_after_the_session_ended(client, world, clock, signal_id, "acknowledge", NOTE)
    page = _after_login(client, login_url, world)
    assert BACK_ACK_EN in page and PRESS_ACK_EN in page
    # In the acknowledge form of that signal, not marked as an error, the notice linking to it.
    assert f'href="#ack-note-{signal_id}"' in page
    textarea = _field(page, f"ack-note-{signal_id}")
    assert textarea.endswith(NOTE) and "aria-invalid" not in textarea
    assert "There is a problem" not in page
    assert _kept_rows(db) == 0  # given back once

    # Sent again from the page it came back on: the signal is acknowledged with the note.
    done = client.post(
        f"/clinician/episodes/{world.episode_id}/signals/{signal_id}/acknowledge",
        data={"csrf_token": csrf_token(page), "note": NOTE},
    )
    assert done.status_code == 302
    with db.session() as session:
        assert session.get_one(Signal, signal_id).acknowledge_note == NOTE
    again = client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    assert BACK_ACK_EN not in again and "What was done: <span" in again


def test_a_resolve_note_comes_back_to_the_resolve_form_in_nynorsk(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    db = _db(app)
    world = make_world(db)
    signal_id = add_signal(db, world, SignalCode.RELIABLE_DETERIORATION, raised_at=RAISED)
    note = "Snakka om auka i skåre, held fram som før"
    login_url = _note_after_the_session_ended(client, world, clock, signal_id, "resolve", note)
    page = _after_login(client, login_url, world, "nn")
    assert "Notatet ditt er tilbake i feltet" in page and "trykk «Lukk» igjen" in page
    assert _field(page, f"resolve-note-{signal_id}").endswith(note)
    assert _field(page, f"ack-note-{signal_id}").endswith(">")  # the other form stays empty


def test_a_new_risk_answer_in_between_takes_the_note_into_the_flags_form(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    """The flag's acknowledgement posts for its newest waiting signal: the note goes there."""
    db = _db(app)
    world = make_world(db)
    first = add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=RAISED)
    login_url = _note_after_the_session_ended(client, world, clock, first, "acknowledge", NOTE)
    newer = add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=clock.now)
    page = _after_login(client, login_url, world)
    assert _field(page, f"ack-note-{newer}").endswith(NOTE)
    assert f'id="ack-note-{first}"' not in page


def test_a_note_on_a_signal_a_colleague_acknowledged_meanwhile_is_shown_not_dropped(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    db = _db(app)
    world = make_world(db)
    lead = make_staff(db, (Role.UNIT_LEAD, world.unit_id), name="Lise Leder")
    signal_id = add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=RAISED)
    login_url = _note_after_the_session_ended(client, world, clock, signal_id, "acknowledge", NOTE)
    colleague = app.test_client()
    log_in(colleague, lead.username, PASSWORD)
    page = colleague.get(f"/clinician/episodes/{world.episode_id}").get_data(as_text=True)
    acknowledged = colleague.post(
        f"/clinician/episodes/{world.episode_id}/signals/{signal_id}/acknowledge",
        data={"csrf_token": csrf_token(page), "note": "Leder ringte pasienten"},
    )
    assert acknowledged.status_code == 302
    # The colleague opened the same page: the therapist's note is not given to her.
    assert NOTE not in page and _kept_rows(db) == 1

    page = _after_login(client, login_url, world)
    assert UNPLACED_EN in page and NOTE in page
    assert f'id="ack-note-{signal_id}"' not in page  # no form to put it in
    assert _kept_rows(db) == 0


def test_an_empty_note_is_not_kept_and_the_login_says_nothing_was_saved(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    db = _db(app)
    world = make_world(db)
    signal_id = add_signal(db, world, SignalCode.RELIABLE_DETERIORATION, raised_at=RAISED)
    login_url = _note_after_the_session_ended(client, world, clock, signal_id, "resolve", "")
    assert LOST_EN in client.get(login_url + "&lang=en").get_data(as_text=True)
    assert _kept_rows(db) == 0


def test_the_pages_look_for_kept_typing_only_after_a_login_that_found_some(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    """The login asks once whether anything is kept for the person; a session after a login
    that found nothing does not look again on every opening of the pre-session view (the
    tests above show that a session after a login that found some does)."""
    db = _db(app)
    world = make_world(db)
    add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=RAISED)
    log_in(client, world.therapist_username, PASSWORD)
    with count_statements(db.engine) as counted:
        assert client.get(f"/clinician/episodes/{world.episode_id}").status_code == 200
        assert (
            client.get(f"/clinician/episodes/{world.episode_id}/decisions/new").status_code == 200
        )
    assert counted.count > 0
    assert not [sql for sql in counted.statements if "kept_typing" in sql]
