"""A schedule rule's form shows the fields its trigger uses, and follows the trigger as the
therapist changes it, with JavaScript off (CSS `:has()` on the chosen option): the hours before
or after an appointment, or the days and the time of day of a weekly rule. Before, every rule
showed all of them at 320 px, "Days (weekly rules)" under "Before each appointment". A field
the server sent back with an error is shown whatever the trigger. The questionnaire's short
name comes first in its choice, since a closed select on a phone shows the start only."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Locator, Page

from fit_platform.db import Database
from fit_platform.domain.codes import ScheduleTrigger
from tests.browser.conftest import PHONE
from tests.browser.steps import Check, Shot, log_in
from tests.support.factories import make_world
from tests.support.scheduling import Clock, RuleSpec, give_plan, oslo

OFFSET = "Hours before or after the appointment"


def _shown(form: Locator) -> dict[str, bool]:
    """Which of the trigger's fields the therapist sees in one rule's form."""
    return {
        "offset": form.get_by_label(OFFSET).is_visible(),
        "days": form.get_by_role("group", name="Days (weekly rules)").is_visible(),
        "time": form.get_by_label("Time of day (weekly rules)").is_visible(),
    }


APPOINTMENT = {"offset": True, "days": False, "time": False}
WEEKLY = {"offset": False, "days": True, "time": True}


def test_a_rule_shows_the_fields_of_its_trigger_and_follows_a_change_without_a_script(
    page: Page,
    live_url: str,
    browser_app: Flask,
    browser_db: Database,
    assert_accessible: Check,
    save_screenshot: Shot,
) -> None:
    browser_app.extensions["fit_clock"] = Clock(oslo(2026, 12, 2, 12))
    world = make_world(browser_db)
    give_plan(
        browser_db,
        world.episode_id,
        RuleSpec("phq9", ScheduleTrigger.BEFORE_APPOINTMENT, offset_hours=24),
        RuleSpec("wai_sr", ScheduleTrigger.WEEKLY, weekdays="1", send_time="09:00"),
    )
    page.set_viewport_size(PHONE)
    log_in(page, live_url, world.therapist_username)
    url = f"{live_url}/clinician/episodes/{world.episode_id}/schedule?lang=en"
    page.goto(url)
    first, second = (page.locator("section.rule form").nth(index) for index in (0, 1))
    new_rule = page.locator("section[aria-labelledby=new-rule-heading] form")
    assert _shown(first) == APPOINTMENT and _shown(new_rule) == APPOINTMENT
    assert _shown(second) == WEEKLY
    questionnaire = first.get_by_label("Questionnaire").locator("option:checked").inner_text()
    assert questionnaire.startswith("PHQ-9: Patient Health Questionnaire (working translation")
    assert_accessible(page)
    save_screenshot(page, "schedule-fields-of-the-trigger-320")

    # The first rule becomes weekly: its days and time appear as the choice is made.
    first.get_by_label("When").select_option("weekly")
    assert _shown(first) == WEEKLY
    first.get_by_role("group", name="Days (weekly rules)").get_by_label("Thursday").check()
    first.get_by_label("Time of day (weekly rules)").fill("10:00")
    first.get_by_role("button", name="Save rule").click()
    first = page.locator("section.rule form").first
    assert first.get_by_label("When").locator("option:checked").inner_text() == (
        "Weekly on chosen days"
    )
    assert first.get_by_label("Thursday").is_checked() and _shown(first) == WEEKLY

    # A field the trigger does not use, sent back with an error: shown, so it can be put right.
    new_rule = page.locator("section[aria-labelledby=new-rule-heading] form")
    new_rule.get_by_label(OFFSET).fill("400")
    new_rule.get_by_label("When").select_option("weekly")
    assert not new_rule.get_by_label(OFFSET).is_visible()
    new_rule.get_by_label("Monday").check()
    new_rule.get_by_label("Time of day (weekly rules)").fill("09:00")
    new_rule.get_by_role("button", name="Add rule").click()
    new_rule = page.locator("section[aria-labelledby=new-rule-heading] form")
    assert new_rule.get_by_label(OFFSET).is_visible()
    assert "Enter 0 to 336 hours." in new_rule.inner_text()
    assert page.locator("section.rule").count() == 2  # nothing was added
    assert_accessible(page)
    save_screenshot(page, "schedule-hidden-field-with-an-error-320")
