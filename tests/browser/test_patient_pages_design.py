"""The patient's pages as a patient sees them, at 320, 390 and 1280 px: each page can be saved to
test-artifacts/design-patient/ for a person to look at, and what the design pass promised is
asserted on the page itself (no JavaScript, bokmål). The pages are saved with
FIT_TEST_SCREENSHOTS=all."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from fit_platform.db import Database
from tests.browser.conftest import ALL_SCREENSHOTS, ARTIFACTS
from tests.support.factories import add_history, make_invitation, make_world
from tests.support.patient import open_invitation

WIDTHS = (320, 390, 1280)
# "before" shots were taken from main with FIT_SCREENSHOT_PREFIX=before.
PREFIX = os.environ.get("FIT_SCREENSHOT_PREFIX", "after")
FOLDER = ARTIFACTS / "design-patient"


def shoot(page: Page, name: str) -> None:
    """Check the page never scrolls sideways at any width, and save it at each one
    (FIT_TEST_SCREENSHOTS=all)."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        if ALL_SCREENSHOTS:
            path = FOLDER / f"{PREFIX}-{name}-{width}.png"
            page.screenshot(path=str(path), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"{name} at {width} px is {overflow} px wide"
    page.set_viewport_size({"width": 390, "height": 800})


def background(locator: Locator) -> str:
    return str(locator.evaluate("element => getComputedStyle(element).backgroundColor"))


def help_text_lines_up(page: Page) -> None:
    """At 1280 px each help line's words start at the same x, beside the number."""
    page.set_viewport_size({"width": 1280, "height": 800})
    lefts = {round(box["x"]) for box in _boxes(page, ".help-list .help-text")}
    assert len(lefts) == 1, lefts
    page.set_viewport_size({"width": 390, "height": 800})


def _boxes(page: Page, selector: str) -> list[dict[str, float]]:
    boxes = [item.bounding_box() for item in page.locator(selector).all()]
    return [box for box in boxes if box is not None]  # type: ignore[misc]


def test_tour_of_the_patient_pages_at_three_widths(
    page: Page, live_url: str, browser_db: Database
) -> None:
    world = make_world(browser_db)
    add_history(browser_db, world, [14, 12], "gad7")
    add_history(browser_db, world, [18, 15, 13], "phq9")
    _invitation_id, token = open_invitation(browser_db, world, "phq9")
    page.set_viewport_size({"width": 390, "height": 800})

    page.goto(f"{live_url}/p/{token}?lang=nb")
    shoot(page, "landing")
    # The clinic that sent the link, with its phone, above everything else.
    assert "DPS Test" in page.locator(".clinic-bar").inner_text()
    # The secondary choice is an outlined button, not a second blue one beside "Start".
    start = page.locator("button[value=start]")
    choices = page.locator("button[value=choices]")
    assert background(start) == "rgb(11, 79, 138)"
    assert background(choices) == "rgb(255, 255, 255)"

    page.locator("button[value=start]").click()
    shoot(page, "answer-page1")
    assert float(page.locator("progress").get_attribute("value") or 0) > 0
    page.locator("main form button[type=submit]").first.click()
    # GOV.UK's error summary without JavaScript: first in <main>, focused, naming each question.
    # `autofocus` is applied at the next rendering step after load: wait for it.
    expect(page.locator("#error-summary")).to_be_focused()
    assert page.evaluate("document.querySelector('main').firstElementChild.id") == "error-summary"
    entries = page.locator("#error-summary li").all_inner_texts()
    assert len(entries) == 5 and len(set(entries)) == 5
    assert entries[0].startswith("Spørsmål 1, «Lite interesse")
    shoot(page, "answer-errors")

    while "/p/answer/" in page.url or "/p/help" in page.url:
        if "/p/help" in page.url:  # the ninth question answered above 0: help comes first
            shoot(page, "help")
            help_text_lines_up(page)
            page.locator("main a.button").click()
            continue
        for group in page.locator("fieldset.item").all():
            group.locator("label").nth(1).click()
        page.locator("main form button[type=submit]").first.click()
    shoot(page, "finish")
    assert page.locator(".summary-list dt").count() == 10
    assert page.locator(".summary-list dd button[name=change]").count() == 10

    page.locator("main form button[type=submit]").last.click()
    shoot(page, "done")
    # What was just answered comes first; its table is one tap away, not 1,700 px down.
    assert "PHQ-9" in page.locator("main .progress-block h2").first.inner_text()
    assert page.locator("details.score-table").count() == 1
    assert not page.locator("details.score-table table").is_visible()
    assert "GAD-7" in page.locator(".other-results").inner_text()
    page.set_viewport_size({"width": 390, "height": 800})
    chart_top = page.locator("svg.chart").first.bounding_box()
    # Below the help box a risk answer brings (this tour answers the ninth question above 0)
    # and the line after it saying the risk answer matters more than the scores (about 80 px).
    assert chart_top is not None and chart_top["y"] < 1200

    page.goto(f"{live_url}/p/choices?lang=nb")
    shoot(page, "choices")
    # Pause, stop, channel and fewer (the questionnaire is answered, so no "say no"), then the
    # crisis plan and standing choices (an outpatient has no programme days to choose).
    assert page.locator(".choice-menu li").count() == 6
    assert page.locator("main textarea").count() == 0
    page.get_by_role("link", name="Ta pause fra spørreskjemaene").click()
    shoot(page, "choice-pause")

    page.goto(f"{live_url}/p/goals?lang=nb")
    shoot(page, "goals")

    page.goto(f"{live_url}/privacy?lang=nb")
    shoot(page, "privacy")

    _invitation, expired = make_invitation(
        browser_db,
        world,
        due_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=5),
        window=dt.timedelta(hours=48),
    )
    page.goto(f"{live_url}/p/{expired}?lang=nb")
    shoot(page, "closed")
    page.locator("button[value=progress]").click()
    shoot(page, "progress")  # the grant from answering still holds: no code asked
    assert Path(FOLDER).is_dir()
