"""On a phone the pre-session view's charts scroll sideways in their own box (text stays at
least 12 px): the box opens at the newest end, the scores the therapist is about to talk about,
not at the oldest. Done in CSS alone (the box's direction is right-to-left, the chart's
left-to-right), so it holds with JavaScript off; on a desk the chart fits and nothing moves."""

from __future__ import annotations

from playwright.sync_api import Page

from fit_platform.db import Database
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.steps import Check, Shot, log_in
from tests.support.factories import add_history, make_world

# Each chart box: how far it can scroll, and where the chart's right edge is against the
# box's (a chart that opens at its newest end ends where the box ends).
BOXES = """
() => [...document.querySelectorAll('.chart-wrap')].map((box) => {
  const chart = box.firstElementChild.getBoundingClientRect();
  const frame = box.getBoundingClientRect();
  return {overflow: box.scrollWidth - box.clientWidth, right: chart.right, edge: frame.right,
          left: chart.left, start: frame.left};
})
"""


def test_a_chart_that_scrolls_opens_at_its_newest_scores(
    page: Page, live_url: str, browser_db: Database, assert_accessible: Check, save_screenshot: Shot
) -> None:
    world = make_world(browser_db)
    add_history(browser_db, world, [21, 19, 18, 16, 17, 14, 12, 11, 9, 10, 8, 7])
    log_in(page, live_url, world.therapist_username)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/clinician/episodes/{world.episode_id}?lang=en")
    boxes = page.evaluate(BOXES)
    assert boxes, "no chart on the view"
    for box in boxes:
        assert box["overflow"] > 100, box  # the chart is wider than a phone: it scrolls
        assert abs(box["right"] - box["edge"]) <= 2, box  # and shows its newest end
    assert_accessible(page)
    save_screenshot(page, "chart-newest-end-320")
    page.set_viewport_size(DESKTOP)
    for box in page.evaluate(BOXES):
        assert box["overflow"] <= 0 and abs(box["left"] - box["start"]) <= 2, box
