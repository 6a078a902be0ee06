from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, ViewportSize

from fit_platform.db import Database
from fit_platform.services.demo_seed import DEMO_PASSWORD, seed_demo
from tests.browser.conftest import DESKTOP, PHONE

BASE_PAGES = ["/", "/staff/login", "/privacy", "/no-such-page"]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["320px", "desktop"])
@pytest.mark.parametrize("path", BASE_PAGES)
def test_base_pages_have_no_axe_violations(
    page: Page,
    live_url: str,
    path: str,
    viewport: ViewportSize,
    assert_accessible: Callable[[Page], None],
) -> None:
    page.set_viewport_size(viewport)
    page.goto(live_url + path)
    assert page.locator("h1").count() == 1
    assert_accessible(page)


def test_pages_fit_a_320px_screen_without_sideways_scrolling(page: Page, live_url: str) -> None:
    page.set_viewport_size(PHONE)
    for path in BASE_PAGES:
        page.goto(live_url + path)
        # Element boxes are read by Playwright itself, so this works with JavaScript off.
        for selector in ("main", "header", "footer", "h1"):
            box = page.locator(selector).first.bounding_box()
            assert box is not None and box["x"] + box["width"] <= PHONE["width"], (path, selector)


def test_language_switcher_works_without_javascript(page: Page, live_url: str) -> None:
    page.goto(live_url + "/")
    assert page.locator("html").get_attribute("lang") == "nb"
    page.get_by_role("link", name="Nynorsk").click()
    assert page.locator("html").get_attribute("lang") == "nn"
    assert page.locator("h1").inner_text() == "Tilbakemelding i behandlinga"


def test_staff_can_log_in_and_out_with_a_keyboard_only(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
) -> None:
    seed_demo(browser_db)
    page.goto(live_url + "/staff/login?lang=en")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.get_by_label("Username").fill("terapeut1@demo.fit")
    page.get_by_label("Password").fill("wrong password here")
    page.get_by_role("button", name="Log in").click()
    assert (
        page.get_by_role("alert")
        .first.inner_text()
        .strip()
        .startswith("Wrong username or password, or too many attempts in a short time.")
    )
    assert_accessible(page)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Therapists land on their caseload.
    assert page.locator("h1").inner_text() == "Caseload"
    page.get_by_role("button", name="Log out").click()
    assert page.get_by_role("status").inner_text().strip() == "You are logged out."


def test_registration_and_appointment_pages_have_no_axe_violations(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
) -> None:
    from tests.support.factories import PASSWORD, make_world

    world = make_world(browser_db)
    with browser_db.session() as session:
        from fit_platform.db.models import Staff

        username = session.get(Staff, world.therapist_id).username  # type: ignore[union-attr]
    page.set_viewport_size(PHONE)
    page.goto(live_url + "/staff/login?lang=en")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_url + "/clinician/register")
    page.get_by_role("button", name="Register").click()  # empty form: errors shown
    assert page.get_by_role("alert").count() == 1
    assert_accessible(page)
    page.goto(live_url + f"/clinician/episodes/{world.episode_id}/appointments")
    # A session ahead of the server's clock: one typed in for a past time is saved as done.
    page.get_by_label("Date").fill((dt.date.today() + dt.timedelta(days=14)).isoformat())
    page.get_by_label("Time", exact=True).fill("10:00")
    page.get_by_role("button", name="Add", exact=True).click()
    assert page.get_by_role("status").inner_text().strip() == "The appointment is added."
    assert_accessible(page)
    page.goto(live_url + "/clinician/appointments/import")
    assert_accessible(page)
    page.goto(live_url + f"/clinician/episodes/{world.episode_id}/schedule")
    page.get_by_role("button", name="Add rule").click()  # the default rule is valid
    assert page.get_by_role("status").inner_text().startswith("The schedule is saved.")
    assert_accessible(page)
    page.locator("#new-trigger").select_option("weekly")  # weekly without days: refused
    page.get_by_role("button", name="Add rule").click()
    assert page.get_by_role("alert").count() == 1
    assert_accessible(page)


def test_the_instrument_administration_page_has_no_axe_violations(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
) -> None:
    from fit_platform.domain.codes import Role
    from tests.support.factories import PASSWORD, make_staff

    admin = make_staff(browser_db, (Role.ADMIN, None))
    page.set_viewport_size(PHONE)
    page.goto(live_url + "/staff/login?lang=nn")
    page.get_by_label("Brukarnamn").fill(admin.username)
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    page.goto(live_url + "/admin/instruments")
    assert page.locator("h3[id^=instrument-]").count() >= 5  # one section per instrument
    assert_accessible(page)
