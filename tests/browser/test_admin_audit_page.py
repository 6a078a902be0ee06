"""The admin audit trail in the browser: the changes an administrator just made, with who,
what, before and after, at 1280 and 390 px, axe-checked and screenshotted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff


@pytest.mark.parametrize("width", [1280, 390])
def test_the_audit_trail_lists_an_admins_changes_with_before_and_after(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
    save_screenshot: Callable[[Page, str], Path],
    width: int,
) -> None:
    admin = make_staff(browser_db, (Role.ADMIN, None), name="Ada Admin")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_url + "/staff/login?lang=en")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_url + "/admin/units")
    page.get_by_label("Name shown to patients").fill("DPS Audit")
    page.get_by_label("Short code (used in reports and files)").fill("dps-audit")
    page.get_by_role("button", name="Create unit").click()
    page.goto(live_url + "/admin/")
    page.get_by_role("link", name="Admin audit trail").click()
    table = page.get_by_role("table")
    assert "Ada Admin" in table.inner_text()
    assert "dps-audit" in table.inner_text()
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    save_screenshot(page, f"admin-audit-{width}")
