"""Deactivating a therapist in headless Chromium without JavaScript at 1280 and 390 px: the step
before it, the marks it leaves on the admin pages and what the unit lead sees; axe finds
nothing and nothing scrolls sideways."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff, make_unit, make_world

SIZES: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844},
}


def _log_in(page: Page, live_url: str, username: str) -> None:
    page.goto(live_url + "/staff/login?lang=en")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _check(page: Page, width: int, assert_accessible: Callable[[Page], None]) -> None:
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("size", SIZES)
def test_deactivating_a_therapist_shows_what_is_left_and_who_sees_it_now(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
    save_screenshot: Callable[[Page, str], Path],
    size: str,
) -> None:
    viewport = SIZES[size]
    unit = make_unit(browser_db)
    lead = make_staff(browser_db, (Role.UNIT_LEAD, unit.id), name="Lea Leder")
    leaving = make_staff(browser_db, (Role.THERAPIST, unit.id), name="Tone Terapeut")
    colleague = make_staff(browser_db, (Role.THERAPIST, unit.id), name="Kari Kollega")
    worlds = [make_world(browser_db, unit=unit, therapist=leaving) for _ in range(3)]
    admin = make_staff(browser_db, (Role.ADMIN, None), name="Ada Admin")
    page.set_viewport_size(viewport)
    _log_in(page, live_url, admin.username)

    page.goto(live_url + f"/admin/staff/{leaving.id}?lang=en")
    page.get_by_role("link", name="Deactivate account").click()
    assert page.get_by_text("Tone Terapeut is responsible for 3 open episodes.").count() == 1
    _check(page, viewport["width"], assert_accessible)
    save_screenshot(page, f"admin-staff-deactivate-{size}")

    # One button moves all of them to the colleague, and the step is empty.
    page.get_by_label("New responsible therapist").select_option(str(colleague.id))
    page.get_by_role("button", name="Transfer all 3 episodes").click()
    assert page.get_by_text("3 episodes are transferred.").count() == 1
    assert page.get_by_text("Tone Terapeut is responsible for no open episode.").count() == 1
    _check(page, viewport["width"], assert_accessible)
    page.get_by_role("button", name="Deactivate account").click()
    assert page.get_by_text("no active therapist").count() == 0

    # The colleague leaves suddenly: deactivated with the three episodes still theirs.
    page.goto(live_url + f"/admin/staff/{colleague.id}/deactivate?lang=en")
    assert page.get_by_text("No other active therapist in this unit").count() == 1
    page.get_by_role("button", name="Deactivate anyway").click()
    assert page.get_by_text("3 open episodes have no active therapist now.").count() == 1
    _check(page, viewport["width"], assert_accessible)
    save_screenshot(page, f"admin-staff-deactivated-with-episodes-{size}")

    page.goto(live_url + "/admin/?lang=en")
    page.get_by_role("link", name=unit.name).click()
    assert page.get_by_text("Responsible: Kari Kollega (deactivated)").count() == 3
    _check(page, viewport["width"], assert_accessible)
    save_screenshot(page, f"admin-unit-episodes-unattended-{size}")

    page.get_by_role("button", name="Log out").click()
    _log_in(page, live_url, lead.username)
    section = page.get_by_role("region", name="Patients with no active therapist")
    assert section.get_by_role("link").count() == len(worlds)
    _check(page, viewport["width"], assert_accessible)
    save_screenshot(page, f"lead-caseload-unattended-{size}")
