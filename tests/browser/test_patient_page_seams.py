"""The patient's pages as a phone shows them, with JavaScript off, and what the therapist reads.

- Half an hour after midnight in Oslo (UTC still on the day before), the pause page's date
  picker starts tomorrow, and the first day it offers is taken.
- A goal written on two lines is read on two lines on the therapist's pre-session view, and
  the therapist's "what matters most" on two lines on the patient's progress page.
- A used link offers the goals, through the code step worded for them.

Screenshots go to test-artifacts/. Pages run on fixed Oslo times: nothing here depends on the
hour the suite runs at.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask
from playwright.sync_api import Page

from fit_platform.db import Database
from fit_platform.domain.codes import InvitationState, Language
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.steps import Check, Shot, log_in
from tests.browser.test_patient_journey import answer_questionnaire
from tests.support.factories import make_invitation, make_world
from tests.support.scheduling import Clock, oslo


def test_the_pause_picker_just_after_midnight_offers_tomorrow_and_takes_it(
    page: Page,
    live_url: str,
    browser_app: Flask,
    browser_db: Database,
    assert_accessible: Check,
    save_screenshot: Shot,
) -> None:
    now = oslo(2026, 12, 3, 0, 30)  # 23:30 UTC on 2 December
    browser_app.extensions["fit_clock"] = Clock(now)
    world = make_world(browser_db)
    _invitation, token = make_invitation(
        browser_db, world, due_at=now - dt.timedelta(hours=1), window=dt.timedelta(hours=49)
    )
    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/p/{token}?lang=en")
    page.locator("button[value=choices]").click()
    page.get_by_role("link", name="Pause questionnaires").click()
    picker = page.locator("input[name=pause-until]")
    assert picker.get_attribute("min") == "2026-12-04"
    assert_accessible(page)
    save_screenshot(page, "patientui-1-pause-picker-en-320")
    picker.fill(picker.get_attribute("min") or "")
    page.get_by_role("button", name="Pause", exact=True).click()
    assert page.url.endswith("/p/choices/done"), page.locator("main").inner_text()
    assert "There is a problem" not in page.locator("main").inner_text()
    assert_accessible(page)
    save_screenshot(page, "patientui-2-paused-en-320")


def test_free_text_keeps_its_line_breaks_on_both_sides(
    page: Page,
    live_url: str,
    browser_app: Flask,
    browser_db: Database,
    assert_accessible: Check,
    save_screenshot: Shot,
) -> None:
    now = oslo(2026, 12, 3, 9, 0)
    browser_app.extensions["fit_clock"] = Clock(now)
    world = make_world(browser_db, language=Language.NYNORSK)
    _invitation, token = make_invitation(
        browser_db, world, due_at=now - dt.timedelta(hours=1), window=dt.timedelta(hours=49)
    )
    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/p/{token}")
    assert page.locator("html").get_attribute("lang") == "nn"
    save_screenshot(page, "patientui-3-landing-nn-320")
    page.get_by_role(
        "link", name="Slik blir svara dine brukte, og kven som kan sjå dei"
    ).first.click()
    assert page.locator("html").get_attribute("lang") == "nn"  # the phone is set to bokmål
    page.go_back()
    page.locator("button[value=goals]").click()
    page.locator("textarea").first.fill("Sove heile natta\nTilbake på jobb")
    page.locator("button[value=add]").click()

    therapist = page.context.browser.new_page(viewport=DESKTOP)  # type: ignore[union-attr]
    log_in(therapist, live_url, world.therapist_username)
    therapist.goto(f"{live_url}/clinician/episodes/{world.episode_id}?lang=en")
    goal = therapist.locator("#goals-heading").locator("xpath=..").locator("li.free-text")
    assert goal.inner_text() == "Sove heile natta\nTilbake på jobb"
    save_screenshot(therapist, "patientui-4-presession-goal-on-two-lines-desktop")
    therapist.goto(f"{live_url}/clinician/episodes/{world.episode_id}/decisions/new?lang=en")
    therapist.get_by_label("Options we discussed").fill("A sleep course\nMore sessions")
    therapist.locator("textarea[name=what_matters]").fill("Sleep\nwork")
    therapist.locator("textarea[name=decision]").fill("A sleep course first")
    therapist.get_by_role("button", name="Save the record").click()
    therapist.close()

    page.goto(f"{live_url}/p/{token}")
    page.locator("button[value=start]").click()
    answer_questionnaire(page, "phq9", "nn", assert_accessible)
    page.locator("main form button[type=submit]").click()
    page.goto(f"{live_url}/p/progress")
    matters = page.locator(".decision .free-text").nth(2)
    assert matters.inner_text() == "Sleep\nwork"
    assert_accessible(page)
    save_screenshot(page, "patientui-5-progress-decision-on-two-lines-nn-320")


def test_a_used_link_offers_the_goals_through_the_code_step(
    page: Page,
    live_url: str,
    browser_app: Flask,
    browser_db: Database,
    assert_accessible: Check,
    save_screenshot: Shot,
) -> None:
    now = oslo(2026, 12, 3, 9, 0)
    browser_app.extensions["fit_clock"] = Clock(now)
    world = make_world(browser_db)
    _invitation, token = make_invitation(
        browser_db,
        world,
        due_at=now - dt.timedelta(hours=1),
        window=dt.timedelta(hours=49),
        state=InvitationState.COMPLETED,
    )
    for width, size in (("320", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.goto(f"{live_url}/p/{token}?lang=en")
        assert_accessible(page)
        save_screenshot(page, f"patientui-6-used-link-en-{width}")
    page.locator("button[value=goals]").click()
    assert page.url.endswith("/p/progress")
    assert page.locator("h1").inner_text() == "Your goals for treatment"
    assert_accessible(page)
    save_screenshot(page, "patientui-7-code-for-goals-en-desktop")
    page.set_viewport_size(PHONE)
    save_screenshot(page, "patientui-7-code-for-goals-en-320")
