"""Three seams between the schedule, the caseload and the therapist, in a real browser with
screenshots in test-artifacts/ at 320 px and desktop width:

- an outpatient clinic's schedule shows an old "Every programme day" rule as not sent there and
  refuses to keep it in use, with the reason;
- the caseload marks a patient whose questionnaire the SMS provider refused (real loopback
  endpoint), with the cause and a link to the advice;
- the schedule template's preview, read at 22:30, starts tomorrow, not at a time gone today.

Every page and job runs on a fixed Oslo time: nothing here depends on the hour the suite runs.
"""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page

from fit_platform.db import Database
from fit_platform.db.models import SchedulePlan, ScheduleRule
from fit_platform.domain.codes import Channel, Role, ScheduleTrigger, UnitKind
from fit_platform.messaging.dispatcher import Dispatcher, DispatcherSettings
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.scheduler.clock import run_once
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.steps import Check, Shot, log_in
from tests.messaging.conftest import SmsEndpoint, sms_endpoint
from tests.support.factories import (
    PASSWORD,
    add_appointment,
    make_staff,
    make_unit,
    make_world,
)
from tests.support.scheduling import DAY_BEFORE, Clock, RuleSpec, give_plan, oslo

__all__ = ["sms_endpoint"]


def test_an_outpatient_schedule_marks_an_old_daily_rule_and_refuses_to_keep_it_in_use(
    page: Page,
    live_url: str,
    browser_app: Flask,
    browser_db: Database,
    assert_accessible: Check,
    save_screenshot: Shot,
) -> None:
    browser_app.extensions["fit_clock"] = Clock(oslo(2026, 12, 2, 12))
    world = make_world(browser_db, unit=make_unit(browser_db, UnitKind.OUTPATIENT))
    give_plan(
        browser_db,
        world.episode_id,
        RuleSpec("gad7", ScheduleTrigger.DAILY, weekdays="1,2,3,4,5", send_time="10:00"),
    )
    page.set_viewport_size(DESKTOP)
    log_in(page, live_url, world.therapist_username)
    page.goto(f"{live_url}/clinician/episodes/{world.episode_id}/schedule?lang=en")
    rule = page.locator("section.rule").first
    when = rule.get_by_label("When")
    assert when.locator("option:checked").inner_text() == (
        "Every programme day (day programmes only: not sent here)"
    )
    assert "Not sent: “Every programme day” is for day programmes only" in rule.inner_text()
    assert_accessible(page)
    save_screenshot(page, "care-1-outpatient-daily-rule-marked-1280")
    # The new rule's form does not offer it at all.
    new_rule = page.locator("section[aria-labelledby=new-rule-heading]")
    assert "Every programme day" not in new_rule.get_by_label("When").inner_text()
    rule.get_by_role("button", name="Save rule").click()
    error = page.locator("section.rule").first.inner_text()
    assert "“Every programme day” is for day programmes only" in error
    assert_accessible(page)
    save_screenshot(page, "care-1-outpatient-daily-rule-refused-1280")
    page.set_viewport_size(PHONE)
    save_screenshot(page, "care-1-outpatient-daily-rule-refused-320")


def test_the_caseload_marks_a_questionnaire_that_was_not_delivered(
    page: Page,
    live_url: str,
    browser_app: Flask,
    browser_db: Database,
    sms_endpoint: SmsEndpoint,
    assert_accessible: Check,
    save_screenshot: Shot,
) -> None:
    unit = make_unit(browser_db)
    therapist = make_staff(browser_db, (Role.THERAPIST, unit.id))
    worlds = [make_world(browser_db, unit=unit, therapist=therapist) for _ in range(3)]
    for world in worlds:
        give_plan(browser_db, world.episode_id, DAY_BEFORE)
    add_appointment(browser_db, worlds[0], oslo(2026, 12, 4, 13))
    # The day before the session the provider refuses the number: it fails for good.
    clock = Clock(oslo(2026, 12, 3, 13, 0))
    browser_app.extensions["fit_clock"] = clock
    sms_endpoint.mode = "400"
    config = SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)
    with HttpSmsChannel(config) as sms:
        dispatcher = Dispatcher(
            browser_db,
            {Channel.SMS: sms},
            lambda t: f"x/{t}",
            DispatcherSettings(max_attempts=1),
            clock=clock,
        )
        run_once(browser_db, dispatcher, clock=clock)

    page.set_viewport_size(DESKTOP)
    log_in(page, live_url, worlds[0].therapist_username)
    page.goto(f"{live_url}/clinician/?lang=en")
    main = page.locator("main").inner_text()
    assert "A questionnaire did not reach 1 patient" in main
    assert "Not delivered: 1" in main
    assert_accessible(page)
    save_screenshot(page, "care-2-caseload-not-delivered-1280")
    page.set_viewport_size(PHONE)
    assert_accessible(page)
    save_screenshot(page, "care-2-caseload-not-delivered-320")
    page.get_by_role("link", name="What to do").click()
    assert (
        "Check the patient's phone number or e-mail address." in page.locator("main").inner_text()
    )


def test_the_template_preview_read_late_in_the_evening_starts_tomorrow(
    page: Page,
    live_url: str,
    browser_app: Flask,
    browser_db: Database,
    assert_accessible: Check,
    save_screenshot: Shot,
) -> None:
    # Monday 7 December 2026, 22:30 in Oslo.
    browser_app.extensions["fit_clock"] = Clock(oslo(2026, 12, 7, 22, 30))
    unit = make_unit(browser_db, UnitKind.DAY_PROGRAMME)
    admin = make_staff(browser_db, (Role.ADMIN, None), name="Ada Admin")
    with browser_db.transaction() as session:
        template = SchedulePlan(name="Dagtilbud", unit_id=unit.id)
        template.rules = [
            ScheduleRule(**vars(RuleSpec("gad7", ScheduleTrigger.DAILY, send_time="10:00")))
        ]
        session.add(template)
        session.flush()
        template_id = template.id
    page.set_viewport_size(DESKTOP)
    page.goto(live_url + "/staff/login?lang=en")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_url}/admin/schedule-templates/{template_id}?lang=en")
    preview = page.locator("section[aria-labelledby=preview-heading]")
    assert "A patient registered now (07/12/2026, 22:30)" in preview.inner_text()
    first_row = preview.locator("tbody tr").first.inner_text()
    # Today's 10:00 has passed; its 48-hour window is still open, so it would go when quiet
    # hours end, at 08:00 tomorrow, and never at a time already gone.
    assert first_row.startswith("08/12/2026, 08:00")
    assert "07/12/2026, 10:00" not in preview.inner_text()
    assert_accessible(page)
    save_screenshot(page, "care-3-template-preview-at-22-30-1280")
    page.set_viewport_size(PHONE)
    # On a phone the preview is cards, each value named; nothing off to the right.
    box = preview.locator(".table-wrap")
    assert box.evaluate("(box) => box.scrollWidth - box.clientWidth") <= 0
    assert (
        preview.locator("tbody td[data-label]").first.evaluate(
            "(cell) => getComputedStyle(cell, '::before').content"
        )
        == '"Questionnaire: "'
    )
    # The daily rule's form shows its time of day, not the hours before an appointment.
    rule = page.locator("section.rule form, form:has(select[name$=trigger])").first
    assert rule.get_by_label("Time of day", exact=False).first.is_visible()
    assert not rule.get_by_label("Hours before or after the appointment").is_visible()
    assert_accessible(page)
    save_screenshot(page, "care-3-template-preview-at-22-30-320")
