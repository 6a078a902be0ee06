"""Steps the browser tests share: the staff login form, Enter in a form's field, and the
types of the axe check and screenshot fixtures (`assert_accessible`, `save_screenshot` in
conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Locator, Page

from tests.support.factories import PASSWORD

Check = Callable[[Page], None]
Shot = Callable[[Page, str], Path]


def log_in(page: Page, live_url: str, username: str, *, fresh: bool = False) -> None:
    """Log in through the real form in English; `fresh` first drops the browser's cookies
    (another person's session in the same page)."""
    if fresh:
        page.context.clear_cookies()
    page.goto(live_url + "/staff/login?lang=en")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def press_enter_to_submit(field: Locator) -> None:
    """Enter in a form's field submits the form (JavaScript off); return once the page it
    leads to has loaded. A bare `press` can return before that navigation has started, or
    once it is committed but before the new document is parsed; on a busy machine a
    locator's `count()` read straight after then sees the old or an empty page (CI saw the
    progress page's sentence missing that way)."""
    with field.page.expect_navigation():
        field.press("Enter")
