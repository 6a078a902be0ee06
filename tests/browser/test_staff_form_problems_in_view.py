"""A staff form sent back with a problem shows it where the eye and the keyboard are.

A keyboard walk at 200 % zoom (a 640 × 400 window) sent the samvalg form empty: the page came
back with focus at its top and the problem box some 600 px down, out of sight, so it looked
as if nothing had happened; following the box's link then put the field at the window's top
edge with its label and hint above it, out of sight. The box now takes the focus (and so is
scrolled into view and read first), and a field reached from its link stops below its label.
"""

from __future__ import annotations

from playwright.sync_api import Page, ViewportSize

from fit_platform.db import Database
from fit_platform.domain.signals import SignalCode
from tests.browser.conftest import ALL_SCREENSHOTS, ARTIFACTS
from tests.browser.steps import Check, log_in
from tests.support.clinical import add_goal, add_signal, add_topic
from tests.support.factories import make_world

ZOOMED: ViewportSize = {"width": 640, "height": 400}

FOCUS = """
() => {
  const box = document.activeElement.getBoundingClientRect();
  return {role: document.activeElement.getAttribute('role'), top: box.top,
          bottom: box.bottom, height: window.innerHeight};
}
"""
LABEL_OF_FOCUSED = """
() => {
  const field = document.activeElement;
  const label = document.querySelector(`label[for="${field.id}"]`);
  return {id: field.id, label: label.getBoundingClientRect().top,
          field: field.getBoundingClientRect().top};
}
"""


def _window(page: Page, name: str) -> None:
    """What the window shows (not the whole page), with FIT_TEST_SCREENSHOTS=all."""
    if ALL_SCREENSHOTS:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_the_problem_box_takes_the_focus_and_its_link_shows_the_label(
    page: Page, live_url: str, browser_db: Database, assert_accessible: Check
) -> None:
    world = make_world(browser_db)
    signal = add_signal(browser_db, world, SignalCode.NOT_ON_TRACK)
    # The patient's words beside the form push it down, as with a real patient.
    add_goal(browser_db, world, "Sleep through the night")
    add_topic(browser_db, world, "The meeting with my manager")
    log_in(page, live_url, world.therapist_username)
    page.set_viewport_size(ZOOMED)
    page.goto(f"{live_url}/clinician/episodes/{world.episode_id}/decisions/new?signal={signal}")
    page.get_by_role("button", name="Save the record").click()  # nothing written

    focus = page.evaluate(FOCUS)
    assert focus["role"] == "alert", focus
    assert 0 <= focus["top"] < focus["height"], focus  # in the window, not below it
    _window(page, "staff-form-problem-in-view-640")
    assert_accessible(page)

    page.keyboard.press("Tab")  # the box's first link
    with page.expect_navigation():
        page.keyboard.press("Enter")
    landed = page.evaluate(LABEL_OF_FOCUSED)
    assert landed["id"] == "options_discussed", landed
    assert 0 <= landed["label"] < landed["field"], landed  # the label is in view above it
    _window(page, "staff-form-problem-link-640")
