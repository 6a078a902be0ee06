"""The export codebook in a real browser without JavaScript, on a phone and a desktop.

A user test found the page showing the file's Markdown source. It is now HTML: axe finds no
WCAG 2.1 AA violation, the column lists are tables a screen reader can name, and at 320 px
only a table's own box scrolls sideways, never the page. Screenshots for a person to look at:
test-artifacts/export-codebook-320.png and export-codebook-1280.png.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, ViewportSize

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.steps import Check, Shot, log_in
from tests.support.factories import make_staff


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["320", "1280"])
def test_the_codebook_reads_as_a_page_with_tables_at_320_and_1280_px(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Check,
    save_screenshot: Shot,
    viewport: ViewportSize,
) -> None:
    developer = make_staff(browser_db, (Role.SERVICE_DEVELOPER, None))
    page.set_viewport_size(viewport)
    log_in(page, live_url, developer.username)
    page.goto(live_url + "/export/codebook?lang=en")
    assert page.get_by_role("heading", name="Codebook for the export", level=1).is_visible()
    assert page.get_by_role("heading", name="Where and when", level=3).is_visible()
    where = page.get_by_role("region", name="Where and when")
    assert where.get_by_role("columnheader", name="meaning").count() == 1
    assert where.get_by_role("rowheader", name="unit_code").count() == 1
    assert page.get_by_role("table").count() >= 8
    main = page.locator("main").inner_text()
    assert "**" not in main and "|---|" not in main and "../../../" not in main
    assert_accessible(page)
    save_screenshot(page, f"export-codebook-{viewport['width']}")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    # A wide table scrolls in its own box, which stays inside the page.
    for box in page.locator(".codebook .table-wrap").all():
        bounds = box.bounding_box()
        assert bounds is not None and bounds["x"] + bounds["width"] <= viewport["width"]
