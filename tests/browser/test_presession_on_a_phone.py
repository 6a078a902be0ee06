"""The pre-session view on a phone.

Its charts scroll sideways in their own box (text stays at least 12 px): the box opens at the
newest end, the scores the therapist is about to talk about, not at the oldest. Done in CSS
alone (the box's direction is right-to-left, the chart's left-to-right), so it holds with
JavaScript off; on a desk the chart fits and nothing moves.

Its score tables (and the all-scores page's) are cards, each value named by its column: as a
table, the expected range and the change since the first score were off to the right of a
320 px screen. On a desk and on paper they are tables."""

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


# Each outcome score table: how its box scrolls, how its rows and cells are laid out, and the
# words a card shows before each value.
SCORE_TABLES = """
() => [...document.querySelectorAll('table.reflow')].map((table) => {
  const box = table.closest('.table-wrap');
  const cells = [...table.querySelectorAll('tbody td')];
  return {
    overflow: box.scrollWidth - box.clientWidth,
    display: getComputedStyle(table).display,
    widest: Math.max(...cells.map((cell) => cell.getBoundingClientRect().right)),
    labels: cells.filter((cell) => getComputedStyle(cell).display !== 'none')
      .map((cell) => getComputedStyle(cell, '::before').content),
    shownEmpty: cells.filter((cell) => !cell.textContent.trim()
      && getComputedStyle(cell).display !== 'none').length,
  };
})
"""
LABELS = {'"Score: "', '"Severity: "', '"Expected range: "', '"Since the first score: "'}


def test_score_tables_are_cards_on_a_phone_and_tables_on_a_desk_and_on_paper(
    page: Page, live_url: str, browser_db: Database, assert_accessible: Check, save_screenshot: Shot
) -> None:
    world = make_world(browser_db)
    add_history(browser_db, world, [21, 19, 18, 16, 17, 14, 12, 11, 9, 10, 8, 7])
    add_history(browser_db, world, [15, 14, 12, 9], "gad7")
    log_in(page, live_url, world.therapist_username)
    page.set_viewport_size(PHONE)
    for path in ("", "/scores"):
        page.goto(f"{live_url}/clinician/episodes/{world.episode_id}{path}?lang=en")
        tables = page.evaluate(SCORE_TABLES)
        assert len(tables) == 2, tables  # the PHQ-9's and the GAD-7's
        for table in tables:
            assert table["display"] == "block" and table["overflow"] <= 0, table
            assert table["widest"] <= PHONE["width"], table  # nothing off to the right
            # The date heads a card; every value after it says which column it is.
            assert set(table["labels"]) - {"none", "normal"} == LABELS, table["labels"]
            assert table["shownEmpty"] == 0, table  # an empty value is left out of the card
        assert_accessible(page)
        save_screenshot(page, f"score-cards-320{path.replace('/', '-')}")
    page.set_viewport_size(DESKTOP)
    assert {table["display"] for table in page.evaluate(SCORE_TABLES)} == {"table"}
    # Printed from a phone or a narrow window, a table still, on a page the width of A4.
    page.set_viewport_size({"width": 700, "height": 900})
    page.emulate_media(media="print")
    for table in page.evaluate(SCORE_TABLES):
        assert table["display"] == "table" and table["overflow"] <= 0, table
    page.emulate_media(media="screen")
