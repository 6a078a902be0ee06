"""The admin Instruments page in a real browser, without JavaScript, at desktop and phone width."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from tests.browser.conftest import ARTIFACTS
from tests.support.factories import PASSWORD, make_staff, make_unit


@pytest.mark.parametrize(("width", "name"), [(1280, "desktop"), (390, "phone")])
def test_an_admin_switches_an_instrument_off_for_a_unit_on_an_accessible_page(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
    save_screenshot: Callable[[Page, str], Path],
    width: int,
    name: str,
) -> None:
    make_unit(browser_db)
    admin = make_staff(browser_db, (Role.ADMIN, None))
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_url + "/staff/login?lang=en")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_url + "/admin/?lang=en")
    page.get_by_role("link", name="Instruments").click()
    assert page.get_by_role("heading", name="Instruments", level=1).is_visible()
    sai = page.locator("section", has=page.locator("#instrument-sai"))
    assert "this definition is a draft" in sai.inner_text()
    assert_accessible(page)
    save_screenshot(page, f"admin-instruments-{name}")
    box = page.locator("main").bounding_box()
    assert box is not None and box["x"] + box["width"] <= width

    page.get_by_role("button", name=re.compile(r"^Disable .*GAD-7")).click()
    assert page.get_by_role("status").inner_text().startswith("Saved.")
    assert page.get_by_role("button", name=re.compile(r"^Enable .*GAD-7")).count() == 1
    assert_accessible(page)
    save_screenshot(page, f"admin-instruments-switched-{name}")
    page.goto(live_url + "/admin/audit?lang=en")
    assert page.get_by_text("Questionnaire disabled for a unit").count() == 1


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_the_instruments_page_fits_a_320_px_phone_in_every_language(
    page: Page,
    live_url: str,
    browser_db: Database,
    save_screenshot: Callable[[Page, str], Path],
    lang: str,
) -> None:
    """At 320 px the page does not scroll sideways (the hidden words inside each "Disable"
    button used to stick out past the table in English) and no table is cut inside its own
    scroll box (the per-unit tables cut the Change column mid-button in bokmål)."""
    make_unit(browser_db)
    admin = make_staff(browser_db, (Role.ADMIN, None))
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(live_url + f"/staff/login?lang={lang}")
    page.locator("input[name=username]").fill(admin.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.goto(live_url + f"/admin/instruments?lang={lang}")
    save_screenshot(page, f"admin-instruments-320-{lang}")
    page.locator("section[aria-labelledby^=unit-]").first.screenshot(
        path=str(ARTIFACTS / f"admin-instruments-320-{lang}-unit.png")
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    cut = page.evaluate(
        """[...document.querySelectorAll('.table-wrap')]
            .filter(w => w.scrollWidth > w.clientWidth)
            .map(w => w.querySelector('caption').textContent.trim())"""
    )
    assert cut == []
    buttons = page.locator("main form button")
    assert buttons.count() > 0
    for index in range(buttons.count()):
        box = buttons.nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320
