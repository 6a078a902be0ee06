"""The service developer's pages in a real browser without JavaScript, on a desktop and a phone:
the start page, the trend report (and its print layout) and the figures page, each with axe
reporting no WCAG 2.1 AA violation and nothing wider than the screen.

Both widths look at one app, server and two-year synthetic history (seeded once for the file;
the tests only read it, each as a service developer of its own). Screenshots for a person to
look at: one chart of the report and the top of the figures page always, in
test-artifacts/export-*; the full-page ones (start page, report, its print layout, the whole
figures page, 6 s of the 25 s at 1280 px on its own) with FIT_TEST_SCREENSHOTS=all.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, ViewportSize

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from tests.browser.conftest import ALL_SCREENSHOTS, ARTIFACTS, DESKTOP
from tests.conftest import make_test_app
from tests.support.factories import PASSWORD, make_staff
from tests.support.live_server import serve
from tests.support.scheduling import Clock, oslo
from tests.support.service_history import seed_service_history

NOW = oslo(2026, 12, 2, 9, 0)
NARROW: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser_app(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The browser tests' app (tests/browser/conftest.py), once for this file, at NOW, with
    the synthetic service history."""
    folder = tmp_path_factory.mktemp("export-insight")
    path = folder / "browser.sqlite3"
    shutil.copyfile(sqlite_template, path)
    application = make_test_app(f"sqlite:///{path}", folder / "instance")
    application.extensions["fit_clock"] = Clock(NOW)
    seed_service_history(application.extensions["fit_db"], NOW)
    yield application
    application.extensions["fit_db"].dispose()


@pytest.fixture(scope="module")
def browser_db(browser_app: Flask) -> Database:
    database: Database = browser_app.extensions["fit_db"]
    return database


@pytest.fixture(scope="module")
def live_url(browser_app: Flask) -> Iterator[str]:
    with serve(browser_app) as url:
        yield url


def _fits(page: Page, width: int) -> None:
    """Nothing but the scrollable tables is wider than the window."""
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"page is {overflow} px wide in a {width} px window"


@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["1280", "390"])
def test_start_page_report_and_figures_read_well_on_desktop_and_phone(
    page: Page,
    live_url: str,
    browser_db: Database,
    viewport: ViewportSize,
    assert_accessible: Callable[[Page], None],
    save_screenshot: Callable[[Page, str], Path],
) -> None:
    def full_page(name: str) -> None:
        if ALL_SCREENSHOTS:
            save_screenshot(page, name)

    staff = make_staff(browser_db, (Role.SERVICE_DEVELOPER, None))
    width = viewport["width"]
    page.set_viewport_size(viewport)
    page.goto(live_url + "/staff/login?lang=en")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(live_url + "/export/start?lang=en")
    assert page.get_by_role("heading", name="DPS Sør, poliklinikk").is_visible()
    assert page.locator(".unit-card").count() == 4
    assert_accessible(page)
    _fits(page, width)
    full_page(f"export-start-{width}")

    card = page.locator(".unit-card", has_text="DPS Vest, poliklinikk")
    card.get_by_role("link", name="Trends and printable report").click()
    assert page.get_by_role("heading", name="Service report: DPS Vest, poliklinikk").is_visible()
    assert page.locator("svg.chart").count() == 4
    assert (
        page.locator("p.summary")
        .first.inner_text()
        .startswith("Response rate in DPS Vest, poliklinikk")
    )
    assert_accessible(page)
    _fits(page, width)
    full_page(f"export-report-{width}")
    page.locator("section.trend-figure").nth(1).screenshot(
        path=str(ARTIFACTS / f"export-report-{width}-figure.png")
    )
    page.emulate_media(media="print")
    assert not page.locator("form.filters").is_visible()
    full_page(f"export-report-{width}-print")
    page.emulate_media(media="screen")

    page.get_by_label("Period", exact=True).select_option("month")
    page.get_by_role("button", name="Show report").click()
    assert page.get_by_text("By month").count() == 1
    assert page.get_by_text("left out of the chart").count() >= 1
    assert_accessible(page)

    page.get_by_role("link", name="Every figure for this choice, with downloads").click()
    assert page.locator("caption").count() >= 3
    button = page.get_by_role("button", name="Show figures")
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(11, 79, 138)"
    assert_accessible(page)
    _fits(page, width)
    full_page(f"export-figures-{width}")
    page.screenshot(path=str(ARTIFACTS / f"export-figures-{width}-top.png"))
    # Column headers and period keys keep whole words on a phone ("Programme", "2026-Q3"): a
    # one-word cell's text sits on one line.
    broken = page.evaluate(
        """() => [...document.querySelectorAll("thead th, tbody th, tbody td")]
            .filter(c => c.innerText.trim() && !/\\s/.test(c.innerText.trim()))
            .filter(c => {
                const range = document.createRange();
                range.selectNodeContents(c);
                const tops = [...range.getClientRects()].map(b => Math.round(b.top));
                return new Set(tops).size > 1;
            })
            .map(c => c.innerText.trim())"""
    )
    assert broken == [], f"words broken across lines: {broken[:10]}"
    if width == DESKTOP["width"]:
        # On paper (A4 landscape: 277 mm, some 1,047 px, between the margins) every column of
        # every table is on the page, the form is left off and a line says what was chosen.
        # Printed as a screen page, the right-hand columns were cut off without a sign.
        page.set_viewport_size({"width": 1047, "height": 740})
        page.emulate_media(media="print")
        assert not page.locator("form.filters").is_visible()
        assert page.locator("p.chosen-figures").inner_text().startswith("Month, 20")
        boxes = page.eval_on_selector_all(
            "main .table-wrap", "(boxes) => boxes.map((box) => box.scrollWidth - box.clientWidth)"
        )
        assert boxes and all(overflow <= 0 for overflow in boxes), boxes
        pdf = page.pdf(format="A4", prefer_css_page_size=True)
        (ARTIFACTS / "export-figures-print.pdf").write_bytes(pdf)
        page.emulate_media(media="screen")
