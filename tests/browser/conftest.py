"""Browser tests: Debian's Chromium driven by Playwright, JavaScript off, axe-core checks.

Browser tests run the app on a real SQLite file only; what the database does is covered on
both SQLite and PostgreSQL by the service and web suites, and a second browser pass would
double the slowest part of the suite for no new coverage.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Locator, Page, ViewportSize

from fit_platform.db import Database
from tests.conftest import make_test_app
from tests.support.axe import AxeChecker, axe_source, describe
from tests.support.live_server import serve

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE: ViewportSize = {"width": 320, "height": 640}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
# Screenshots are for a person to look at: the tests that look at many pages (every page at
# three widths, every questionnaire page at 320 px) take one only of a page with a problem,
# the service developer's pages (test_export_insight.py) no full-page one, and the others
# (`save_screenshot`, the patient pages' design tour) none, unless FIT_TEST_SCREENSHOTS=all
# asks for all of them: taking them all was a third to a half of the first ones' time.
ALL_SCREENSHOTS = os.environ.get("FIT_TEST_SCREENSHOTS") == "all"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # Patient pages must work without JavaScript: test them that way.
    return {**browser_context_args, "java_script_enabled": False, "locale": "nb-NO"}


@pytest.fixture(scope="session", autouse=True)
def clicks_wait_for_the_next_page() -> Iterator[None]:
    """Make every click return only once the page it leads to has loaded.

    With JavaScript off, a click on a link or a submit button is a navigation. Playwright's
    click returns once that navigation is committed, which can be before the new document
    is parsed: an assertion read straight after (`page.content()`, a locator's `count()`)
    then sees an empty page, and fails only on a busy machine. A click that does not
    navigate (a download, a checkbox) finds the page already loaded and returns at once.
    """
    original_click = Locator.click

    def click_and_wait(self: Locator, *args: Any, **kwargs: Any) -> None:
        original_click(self, *args, **kwargs)
        self.page.wait_for_load_state("load")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Locator, "click", click_and_wait)
        yield


@pytest.fixture(scope="session")
def axe_js() -> str:
    return axe_source()


@pytest.fixture
def browser_app(sqlite_template: Path, tmp_path: Path) -> Iterator[Flask]:
    path = tmp_path / "browser.sqlite3"
    shutil.copyfile(sqlite_template, path)
    application = make_test_app(f"sqlite:///{path}", tmp_path / "instance")
    yield application
    application.extensions["fit_db"].dispose()


@pytest.fixture
def browser_db(browser_app: Flask) -> Database:
    database: Database = browser_app.extensions["fit_db"]
    return database


@pytest.fixture
def live_url(browser_app: Flask) -> Iterator[str]:
    with serve(browser_app) as url:
        yield url


@pytest.fixture(scope="session")
def axe_checker(browser: Browser, axe_js: str) -> Iterator[AxeChecker]:
    checker = AxeChecker(browser, axe_js)
    yield checker
    checker.close()


@pytest.fixture
def assert_accessible(axe_checker: AxeChecker) -> Callable[[Page], None]:
    """Fail with the list of WCAG 2.1 A/AA violations axe finds on the page as it is now."""

    def check(page: Page) -> None:
        violations = axe_checker.violations(page)
        assert violations == [], f"{page.url}: {describe(violations)}"

    return check


@pytest.fixture
def save_screenshot() -> Callable[[Page, str], Path]:
    """Save the page for a person to look at, with FIT_TEST_SCREENSHOTS=all: no test reads
    these back, and the some 200 full-page screenshots of a run cost about 20 s of it."""

    def save(page: Page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        if ALL_SCREENSHOTS:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(path), full_page=True)
        return path

    return save
