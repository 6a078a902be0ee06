"""After the treatment period has ended the patient's pages promise nothing that no longer
happens: an administrator closes the episode, the patient comes back through her old link and
the one-time code, and is offered no pause, stop, restart, fewer or channel change (the pages
say the period has ended, a posted change stores nothing); the goals and crisis plan pages say
nobody reads them now; the therapist's page of the closed episode promises no restart. And a
patient who has stopped is offered only to start again, not to stop or pause once more."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import (
    ConsentEvent,
    Invitation,
    InvitationToken,
    ResponseComment,
    SharedDecision,
)
from fit_platform.db.models import Patient as PatientRow
from fit_platform.domain.codes import ConsentState, InvitationState
from fit_platform.services import one_time_codes
from tests.support.admin_close import close_as_admin
from tests.support.factories import PASSWORD, World, add_history, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, now, open_invitation

OSLO = ZoneInfo("Europe/Oslo")
ENDED = "Your treatment period has ended"
FOOTER = "Say no, pause or stop questionnaires"
OFFERS = (
    "Pause questionnaires",
    "Stop questionnaires",
    "Start questionnaires again",
    "Ask for fewer questionnaires",
    "Change how we contact you",
)


def _through_the_code_step(db: Database, world: World, patient: Patient) -> None:
    """From the closed link's page: "See your progress", then the one-time code."""
    to_code = patient.post(f"/p/{patient.token}", {"action": "progress"})
    assert to_code.headers["Location"] == "/p/progress"
    patient.post("/p/progress", {"action": "send"})
    with db.transaction() as session:  # what the dispatcher does when it sends the message
        code = one_time_codes.mint_code(session, world.patient_id, now())
    verified = patient.post("/p/progress", {"action": "verify", "verify-code": code})
    assert verified.status_code == 302


def _events(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(ConsentEvent)) or 0


def _state(db: Database, world: World) -> tuple[ConsentState, dt.date | None]:
    with db.session() as session:
        row = session.get_one(PatientRow, world.patient_id)
        return row.consent_state, row.paused_until


def _pause_date() -> str:
    return (now().date() + dt.timedelta(days=10)).isoformat()


def test_after_the_close_the_choices_page_says_the_period_has_ended_and_offers_nothing(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    client = app.test_client()
    patient = Patient(client, token)
    close_as_admin(app, world, risk_followed_up=True)

    closed = client.get(f"/p/{token}?lang=en")
    assert closed.status_code == 410
    # No new link comes after the end: the page says until when this one shows her progress
    # (the clean-up deletes a link 30 days after its own end, services/retention.py).
    with db.session() as session:
        link_ends = session.scalars(select(InvitationToken.expires_at)).one()
    kept_until = (link_ends + dt.timedelta(days=30)).astimezone(OSLO).date()
    assert (
        f"This link shows your progress until {kept_until.day} {kept_until:%B} {kept_until.year}."
    ) in closed.get_data(as_text=True)
    _through_the_code_step(db, world, patient)
    progress = client.get("/p/progress?lang=en").get_data(as_text=True)
    assert FOOTER not in progress
    # Her crisis plan and standing choices stay hers: the footer leads to them.
    assert '<a href="/p/choices">Your crisis plan and standing choices</a>' in progress

    for url in ("/p/choices", "/p/choices/pause", "/p/choices/stop", "/p/choices/fewer"):
        response = client.get(url + "?lang=en")
        page = response.get_data(as_text=True)
        assert response.status_code == 410, url
        assert ENDED in page and "Nothing more will be sent to you" in page
        for offer in OFFERS:
            assert offer not in page, (url, offer)
        assert FOOTER not in page
        assert "Your therapist" not in page
        assert "My crisis plan" in page
    nynorsk = client.get("/p/choices?lang=nn").get_data(as_text=True)
    assert "Behandlingsperioden din er over" in nynorsk
    bokmaal = client.get("/p/choices?lang=nb").get_data(as_text=True)
    assert "Behandlingsperioden din er over" in bokmaal


def test_after_the_close_a_planned_review_is_not_promised(app: Flask, db: Database) -> None:
    """ "You will look at this again around 1 Mar 2027" was shown after the close: nobody is
    reminded of a closed episode's review, so it would not come."""
    world = make_world(db)
    with db.transaction() as session:
        session.add(
            SharedDecision(
                episode_id=world.episode_id,
                options_discussed="Avslutte eller fortsette",
                decision="Vi avslutter etter neste time",
                review_on=dt.date(2027, 3, 1),
                recorded_by_id=world.therapist_id,
            )
        )
    _invitation_id, token = open_invitation(db, world)
    client = app.test_client()
    patient = Patient(client, token)
    _through_the_code_step(db, world, patient)
    before = client.get("/p/progress?lang=en").get_data(as_text=True)
    assert "You will look at this again around 1 Mar 2027." in before
    close_as_admin(app, world, risk_followed_up=True)
    after = client.get("/p/progress?lang=en").get_data(as_text=True)
    assert "Vi avslutter etter neste time" in after
    assert "You will look at this again" not in after
    assert (
        "You had planned to look at this again around 1 Mar 2027, but your treatment period"
        " has ended."
    ) in after


def test_after_the_close_a_posted_pause_stop_fewer_or_restart_stores_nothing(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    client = app.test_client()
    patient = Patient(client, token)
    close_as_admin(app, world, risk_followed_up=True)
    _through_the_code_step(db, world, patient)
    before = _events(db), _state(db, world)

    posts = [
        ("/p/choices/pause", {"pause-until": _pause_date()}),
        ("/p/choices", {"action": "pause", "pause-until": _pause_date()}),
        ("/p/choices/stop", {"stop-reason": "done"}),
        ("/p/choices/fewer", {"fewer-reason": "too many"}),
        ("/p/choices/channel", {"channel-channel": "email"}),
        ("/p/choices", {"action": "restart"}),
        (f"/p/{token}", {"action": "restart"}),
    ]
    for url, data in posts:
        refused = patient.post(url + "?lang=en", data)
        page = refused.get_data(as_text=True)
        assert refused.status_code == 410, (url, data, page[:500])
        assert ENDED in page
        assert "Your therapist reads this" not in page
    assert (_events(db), _state(db, world)) == before
    # A confirmation page reached by hand promises nothing either.
    done = client.get("/p/choices/done?lang=en")
    assert done.status_code == 410 and ENDED in done.get_data(as_text=True)


def test_a_pause_from_before_the_close_is_not_restarted_and_staff_read_no_restart_day(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    client = app.test_client()
    patient = Patient(client, token)
    patient.post(f"/p/{token}", {"action": "choices"})
    paused = patient.post("/p/choices/pause", {"pause-until": _pause_date()})
    assert paused.status_code == 302
    assert _state(db, world)[0] is ConsentState.PAUSED
    close_as_admin(app, world, risk_followed_up=True)

    closed = client.get(f"/p/{token}?lang=en").get_data(as_text=True)
    assert "Start questionnaires again" not in closed
    _through_the_code_step(db, world, patient)
    events = _events(db)
    refused = patient.post("/p/choices", {"action": "restart"})
    assert refused.status_code == 410
    assert _events(db) == events and _state(db, world)[0] is ConsentState.PAUSED

    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    page = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    assert "Closed on" in page
    assert "questionnaires again from" not in page
    assert "(episode closed)" in page
    nynorsk = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=nn")
    assert "(forløpet er avslutta)" in nynorsk.get_data(as_text=True)


def test_after_the_close_goals_and_crisis_plan_say_nobody_reads_them_now(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    client = app.test_client()
    patient = Patient(client, token)
    close_as_admin(app, world, risk_followed_up=True)
    _through_the_code_step(db, world, patient)

    goals = client.get("/p/goals?lang=en").get_data(as_text=True)
    assert "nobody at the clinic reads your goals now" in goals
    assert "reads your goals before your sessions" not in goals
    plan = client.get("/p/my-crisis-plan?lang=en")
    text = plan.get_data(as_text=True)
    assert plan.status_code == 200
    assert "Your crisis plan is still yours" in text
    assert "reads it before your sessions" not in text
    choices = client.get("/p/my-standing-choices?lang=en").get_data(as_text=True)
    assert "nobody at the clinic reads your standing choices now" in choices
    assert "before every session" not in choices
    for page in (goals, text, choices):
        assert FOOTER not in page


# After a clear worsening the progress page once said the clinic sees the scores, in every
# language; after the close nobody follows them, and the page says what is true instead.
SEEN = ("sees your scores too", "ser også skårene dine", "ser òg skårane dine")
NOBODY_FOLLOWS = {
    "en": "Your treatment period has ended, so nobody at the clinic follows your scores now.",
    "nb": "Behandlingsperioden din er over, så ingen ved klinikken følger med på skårene dine nå.",
    "nn": "Behandlingsperioden din er over, så ingen ved klinikken følgjer med på skårane dine no.",
}


def test_after_the_close_a_clear_worsening_is_not_said_to_be_seen_by_the_clinic(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    add_history(db, world, [19, 9, 18])  # 18 after 9: a clear change for the worse
    _invitation_id, token = open_invitation(db, world)
    client = app.test_client()
    patient = Patient(client, token)
    close_as_admin(app, world, risk_followed_up=True)
    _through_the_code_step(db, world, patient)

    for language, nobody in NOBODY_FOLLOWS.items():
        page = client.get(f"/p/progress?lang={language}").get_data(as_text=True)
        assert nobody in page, language
        for seen in SEEN:
            assert seen not in page, (language, seen)
    english = client.get("/p/progress?lang=en").get_data(as_text=True)
    assert "Your answers are kept as the privacy notice describes." in english
    assert "That is a clear change for the worse." in english


def test_a_stopped_patient_is_offered_to_start_again_but_not_to_stop_or_pause(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    client: FlaskClient = app.test_client()
    patient = Patient(client, token)
    patient.post(f"/p/{token}", {"action": "choices"})
    stopped = patient.post("/p/choices/stop", {"stop-reason": ""})
    assert stopped.status_code == 302
    assert _state(db, world)[0] is ConsentState.STOPPED

    menu = client.get("/p/choices?lang=en").get_data(as_text=True)
    assert "You have stopped questionnaires." in menu
    assert "Start questionnaires again" in menu
    assert "Stop questionnaires" not in menu
    assert "Pause questionnaires" not in menu
    assert "Ask for fewer questionnaires" not in menu
    assert "My crisis plan" in menu
    assert client.get("/p/choices/pause").headers["Location"] == "/p/choices"
    events = _events(db)
    assert patient.post("/p/choices/stop", {"stop-reason": ""}).status_code == 302
    assert patient.post("/p/choices", {"action": "stop"}).status_code == 400
    assert _events(db) == events
    # Starting again still works, and then stopping and pausing are offered again.
    restarted = patient.post("/p/choices", {"action": "restart"})
    assert restarted.status_code == 302
    again = client.get("/p/choices?lang=en").get_data(as_text=True)
    assert "Stop questionnaires" in again and "Pause questionnaires" in again


def test_links_declined_or_expired_before_the_close_promise_no_next_questionnaire(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    _declined_id, declined_token = open_invitation(db, world)
    expired_id, expired_token = open_invitation(db, world, "gad7")
    client = app.test_client()
    patient = Patient(client, declined_token)
    patient.post(f"/p/{declined_token}", {"action": "choices"})
    said_no = patient.post("/p/choices/decline", {"decline-reason": ""})
    assert said_no.status_code == 302
    with db.transaction() as session:  # its window ran out before the close
        expired = session.get_one(Invitation, expired_id)
        expired.expires_at = expired.closed_at = now() - dt.timedelta(minutes=1)
        expired.state = InvitationState.EXPIRED
    close_as_admin(app, world, risk_followed_up=True)

    for token in (declined_token, expired_token):
        response = app.test_client().get(f"/p/{token}?lang=en")
        page = response.get_data(as_text=True)
        assert response.status_code == 410
        assert "your treatment period has ended" in page.lower()
        assert "no more questionnaires will be sent" in page
        assert "asked again" not in page and "new link" not in page
        assert "next appointment" not in page


def test_after_the_close_the_thank_you_page_promises_no_reader_and_takes_no_comment(
    app: Flask, db: Database
) -> None:
    """The thank-you page, opened again after the episode was closed, said "Someone at your
    clinic reads this before your next session" and saved a comment nobody would read (the
    patient no longer appears on any caseload). It now says the period has ended and offers
    no comment; a comment sent from the page as shown before the close is not saved, and the
    patient is told so."""
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    client = app.test_client()
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9")
    assert patient.finish().status_code == 302
    before = client.get("/p/done?lang=en").get_data(as_text=True)
    assert "Your comment on this result" in before  # the form, while the episode is open

    close_as_admin(app, world, risk_followed_up=True)
    page = client.get("/p/done?lang=en")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Thank you for your answers" in text
    assert "Your comment on this result" not in text
    assert "before your next session" not in text

    sent = patient.post("/p/done?lang=en", {"text": "Please call me, things got worse."})
    refused = sent.get_data(as_text=True)
    assert sent.status_code == 409
    assert "Your comment was not sent: your treatment period has ended" in refused
    assert "before your next session" not in refused
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ResponseComment)) == 0
