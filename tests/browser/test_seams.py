"""The seams of the core loop in a real browser, as the people on each side see them, with
screenshots in test-artifacts/ (issue: "close the seams").

- The patient, on a 320 px phone in bokmål with JavaScript off, reads the deadline with its
  time, answers with a risk answer, writes a topic and two comments and sees them on the
  thank-you page; the therapist then finds the topic under "To talk about first" and both
  comments, newest first, under "The patient's own words", next to the risk signal.
- The therapist books a session half an hour ahead; the scheduler (fixed clock, real loopback
  SMS endpoint) sends nothing and the appointments page says why.

Pages and jobs run on fixed Oslo times: nothing here depends on the hour the suite runs at.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask
from playwright.sync_api import Page

from fit_platform.db import Database
from fit_platform.db.models import Invitation, Patient
from fit_platform.domain.codes import Channel, InvitationState
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.scheduler.clock import run_once
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.steps import Check, Shot, log_in
from tests.browser.test_patient_journey import answer_questionnaire
from tests.messaging.conftest import SmsEndpoint, sms_endpoint
from tests.support.factories import World, make_invitation, make_world
from tests.support.scheduling import DAY_BEFORE, Clock, give_plan, oslo

__all__ = ["sms_endpoint"]


def test_what_the_patient_writes_reaches_the_therapist_and_the_deadline_has_its_time(
    page: Page,
    live_url: str,
    browser_app: Flask,
    browser_db: Database,
    assert_accessible: Check,
    save_screenshot: Shot,
) -> None:
    # 07:40 on a Thursday; the questionnaire before the 09:30 session closes when it starts.
    now = oslo(2026, 12, 3, 7, 40)
    browser_app.extensions["fit_clock"] = Clock(now)
    world = make_world(browser_db)
    _invitation, token = make_invitation(
        browser_db,
        world,
        "phq9",
        due_at=oslo(2026, 12, 3, 7, 30),
        window=dt.timedelta(hours=2),
    )

    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/p/{token}?lang=nb")
    assert "til kl. 09:30 i dag" in page.locator("main").inner_text()
    assert_accessible(page)
    save_screenshot(page, "seams-1-patient-landing-deadline-nb-320")
    page.locator("button[value=start]").click()
    answer_questionnaire(page, "phq9", "nb", assert_accessible, risk_on="phq9_9")
    assert page.url.endswith("/p/finish")
    page.locator("textarea").first.fill("Jobben, og <søvnen>")
    page.locator("textarea").last.fill("Jeg sover dårlig igjen")
    page.locator("main form button[type=submit]").click()
    assert page.url.endswith("/p/done")
    page.locator("textarea").last.fill("Og jeg vil snakke om jobben")
    page.locator("main form button[type=submit]").click()
    mine = page.locator(".own-comments").inner_text()
    assert "Jeg sover dårlig igjen" in mine and "Og jeg vil snakke om jobben" in mine
    # The topic too, in the patient's own words, as the therapist reads it first.
    assert page.locator(".own-topic").inner_text() == "Jobben, og <søvnen>"
    assert "Det du vil snakke om i neste time" in page.locator("main").inner_text()
    assert "Behandleren din leser dette før neste time." in page.locator("main").inner_text()
    assert_accessible(page)
    save_screenshot(page, "seams-2-patient-thank-you-both-comments-nb-320")

    therapist = page.context.browser.new_page(viewport=DESKTOP)  # type: ignore[union-attr]
    log_in(therapist, live_url, world.therapist_username)
    therapist.goto(f"{live_url}/clinician/episodes/{world.episode_id}?lang=en")
    own_words = therapist.locator("#own-words").locator("xpath=..").inner_text()
    # Newest first, each with the questionnaire it came with.
    assert own_words.index("Og jeg vil snakke om jobben") < own_words.index(
        "Jeg sover dårlig igjen"
    )
    assert "PHQ-9" in own_words
    wants = therapist.locator("#goals-heading").locator("xpath=..").inner_text()
    assert "To talk about first" in wants and "Jobben, og <søvnen>" in wants
    assert "risk" in therapist.locator("main").inner_text().lower()
    assert_accessible(therapist)
    save_screenshot(therapist, "seams-3-presession-own-words-1280")
    therapist.set_viewport_size({"width": 390, "height": 844})
    save_screenshot(therapist, "seams-3-presession-own-words-390")
    therapist.close()


def _book_a_session(page: Page, live_url: str, db: Database, day: str) -> World:
    """A therapist of a new world, with questionnaires the day before each session, books a
    session at 13:00 on `day` on the appointments page (desktop width, English)."""
    world = make_world(db)
    give_plan(db, world.episode_id, DAY_BEFORE)
    page.set_viewport_size(DESKTOP)
    log_in(page, live_url, world.therapist_username)
    page.goto(f"{live_url}/clinician/episodes/{world.episode_id}/appointments?lang=en")
    page.get_by_label("Date").fill(day)
    page.get_by_label("Time").fill("13:00")
    page.get_by_role("button", name="Add", exact=True).click()
    return world


def test_a_session_booked_too_close_gets_no_message_and_the_therapist_sees_why(
    page: Page,
    live_url: str,
    browser_db: Database,
    sms_endpoint: SmsEndpoint,
    assert_accessible: Check,
    save_screenshot: Shot,
) -> None:
    _book_a_session(page, live_url, browser_db, "2026-12-03")
    assert "No appointments yet." not in page.locator("main").inner_text()

    # The scheduler runs at 12:30: half an hour is less than the minimum time to answer.
    clock = Clock(oslo(2026, 12, 3, 12, 30))
    config = SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)
    with HttpSmsChannel(config) as sms:
        dispatcher = Dispatcher(browser_db, {Channel.SMS: sms}, lambda t: f"x/{t}", clock=clock)
        run_once(browser_db, dispatcher, clock=clock)
    assert sms_endpoint.accepted == []

    page.reload()
    assert "Not sent: too little time left to answer" in page.locator("main").inner_text()
    assert_accessible(page)
    save_screenshot(page, "seams-4-appointments-not-sent-reason-1280")


def test_an_invitation_sms_that_failed_for_good_reads_not_delivered_on_the_appointments_page(
    page: Page,
    live_url: str,
    browser_db: Database,
    sms_endpoint: SmsEndpoint,
    assert_accessible: Check,
    save_screenshot: Shot,
) -> None:
    _book_a_session(page, live_url, browser_db, "2026-12-04")

    # The day before, the provider refuses the number: the invitation fails for good.
    sms_endpoint.mode = "400"
    clock = Clock(oslo(2026, 12, 3, 13, 0))
    config = SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)
    with HttpSmsChannel(config) as sms:
        dispatcher = Dispatcher(browser_db, {Channel.SMS: sms}, lambda t: f"x/{t}", clock=clock)
        run_once(browser_db, dispatcher, clock=clock)

    page.reload()
    main = page.locator("main").inner_text()
    assert "Not delivered: refused by the provider: the number or address may be wrong" in main
    assert "Check the patient's phone number or e-mail address." in main
    assert_accessible(page)
    save_screenshot(page, "seams-5-appointments-not-delivered-1280")
    page.set_viewport_size(PHONE)
    save_screenshot(page, "seams-5-appointments-not-delivered-320")


def test_a_patient_without_a_phone_is_told_the_code_went_by_e_mail(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Check,
    save_screenshot: Shot,
) -> None:
    world = make_world(browser_db)
    invitation, token = make_invitation(browser_db, world, "phq9")
    with browser_db.transaction() as session:
        patient = session.get_one(Patient, world.patient_id)
        patient.preferred_channel, patient.phone_e164 = Channel.SMS, None
        patient.email = "kari@example.no"
        session.get_one(Invitation, invitation.id).state = InvitationState.COMPLETED
    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/p/{token}?lang=nn")
    page.locator("button[value=progress]").click()
    page.locator("button[value=send]").click()
    status = page.get_by_role("status").inner_text()
    assert "Vi har sendt deg ein kode på e-post." in status
    assert_accessible(page)
    save_screenshot(page, "seams-6-patient-code-sent-by-e-mail-nn-320")
