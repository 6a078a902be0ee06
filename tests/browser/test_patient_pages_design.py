"""The patient's pages as a patient sees them, at 320, 390 and 1280 px: each page is saved to
test-artifacts/design-patient/ for a person to look at, and what the design pass promised is
asserted on the page itself (no JavaScript, bokmål)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from playwright.sync_api import Page

from fit_platform.db import Database
from tests.browser.conftest import ARTIFACTS
from tests.support.factories import add_history, make_invitation, make_world
from tests.support.patient import open_invitation

WIDTHS = (320, 390, 1280)
# "before" shots were taken from main with FIT_SCREENSHOT_PREFIX=before.
PREFIX = os.environ.get("FIT_SCREENSHOT_PREFIX", "after")
FOLDER = ARTIFACTS / "design-patient"


def shoot(page: Page, name: str) -> None:
    """Save the page at each width and check it never scrolls sideways."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        path = FOLDER / f"{PREFIX}-{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"{name} at {width} px is {overflow} px wide"
    page.set_viewport_size({"width": 390, "height": 800})


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

    page.locator("button[value=start]").click()
    shoot(page, "answer-page1")
    page.locator("main form button[type=submit]").first.click()
    shoot(page, "answer-errors")

    while "/p/answer/" in page.url or "/p/help" in page.url:
        if "/p/help" in page.url:  # the ninth question answered above 0: help comes first
            shoot(page, "help")
            page.locator("main a.button").click()
            continue
        for group in page.locator("fieldset.item").all():
            group.locator("label").nth(1).click()
        page.locator("main form button[type=submit]").first.click()
    shoot(page, "finish")

    page.locator("main form button[type=submit]").last.click()
    shoot(page, "done")

    page.goto(f"{live_url}/p/choices?lang=nb")
    shoot(page, "choices")

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
    shoot(page, "code")
    assert Path(FOLDER).is_dir()
