"""An administrator sets a clinic up in the browser (no JavaScript): a unit, a programme, a
schedule template with its preview, then a unit's open episodes; a therapist then finds the
episode pages from the caseload. Every page at 1280 and 390 px, axe-checked, screenshotted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from tests.browser.steps import log_in
from tests.support.factories import make_staff, make_unit, make_world

VIEWPORTS: list[ViewportSize] = [{"width": 1280, "height": 900}, {"width": 320, "height": 700}]


def _fits(page: Page) -> None:
    """Nothing sticks out sideways (tables scroll inside their own box)."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=["1280px", "320px"])
def test_an_admin_sets_up_a_unit_programme_and_template_and_manages_episodes(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
    save_screenshot: Callable[[Page, str], Path],
    viewport: ViewportSize,
) -> None:
    size = f"{viewport['width']}px"
    page.set_viewport_size(viewport)
    existing = make_unit(browser_db)
    world = make_world(browser_db, unit=existing)
    make_staff(browser_db, (Role.THERAPIST, existing.id), name="Siri Successor")
    admin = make_staff(browser_db, (Role.ADMIN, None), name="Ada Admin")
    log_in(page, live_url, admin.username)
    assert page.url.endswith("/admin/")  # admins land on the admin start page
    assert_accessible(page)
    save_screenshot(page, f"admin-start-{size}")

    page.get_by_role("link", name="Units and programmes").first.click()
    page.get_by_label("Name shown to patients").fill("DPS Sentrum")
    page.get_by_label("Short code (used in reports and files)").fill("dps-sentrum")
    page.get_by_label("Phone number shown to patients (optional)").fill("+47 22 11 22 33")
    page.get_by_label("Opening hours in bokmål").fill("Weekdays 08:00–15:30")
    page.get_by_label("Quiet hours start (HH:MM)").fill("25:00")
    page.get_by_role("button", name="Create unit").click()
    assert page.get_by_role("alert").count() == 1  # the error summary
    assert "Write the time as HH:MM" in page.content()
    assert_accessible(page)
    save_screenshot(page, f"admin-units-error-{size}")
    page.get_by_label("Quiet hours start (HH:MM)").fill("21:30")
    page.get_by_role("button", name="Create unit").click()
    assert page.get_by_role("heading", level=1).inner_text() == "DPS Sentrum"
    assert "No unit lead in DPS Sentrum" in page.content()

    page.get_by_label("Programme name").fill("Angstgruppe")
    page.get_by_label("Short code (used in reports and files)").last.fill("angst")
    page.get_by_role("button", name="Add programme").click()
    page.get_by_label("Programme name").fill("angstgruppe")
    page.get_by_label("Short code (used in reports and files)").last.fill("angst-2")
    page.get_by_role("button", name="Add programme").click()
    assert "This name is already in use." in page.content()
    # A long compound name, as Norwegian has them: its rename label breaks, not the page.
    page.get_by_label("Programme name").fill("Rusbehandlingspoliklinikkprogrammet")
    page.get_by_label("Short code (used in reports and files)").last.fill("rus")
    page.get_by_role("button", name="Add programme").click()
    assert page.get_by_label("New name for Rusbehandlingspoliklinikkprogrammet").count() == 1
    assert_accessible(page)
    _fits(page)
    save_screenshot(page, f"admin-unit-{size}")

    page.goto(live_url + "/admin/units?lang=en")
    assert_accessible(page)
    _fits(page)
    save_screenshot(page, f"admin-units-{size}")

    page.goto(live_url + "/admin/schedule-templates?lang=en")
    page.get_by_label("Template name").fill("Standard course")
    page.get_by_label("For", exact=True).select_option(label="DPS Sentrum: Angstgruppe")
    page.get_by_role("button", name="Create template").click()
    assert "Nothing would be sent" in page.content()
    form = page.locator("form").filter(has=page.get_by_role("button", name="Add rule"))
    form.get_by_label("Questionnaire").select_option("phq9")
    form.get_by_label("When").select_option("before_appointment")
    form.get_by_label("Hours before or after the appointment").fill("24")
    form.get_by_label("Hours to answer").fill("24")
    form.get_by_label("Reminder after (hours, optional)").fill("30")
    form.get_by_role("button", name="Add rule").click()
    assert "The reminder must come before the time to answer runs out." in page.content()
    assert_accessible(page)
    form = page.locator("form").filter(has=page.get_by_role("button", name="Add rule"))
    form.get_by_label("Reminder after (hours, optional)").fill("6")
    form.get_by_role("button", name="Add rule").click()
    preview = page.locator("section", has=page.get_by_role("heading", name="Preview"))
    assert preview.locator("tbody tr").count() == 6
    assert_accessible(page)
    _fits(page)
    save_screenshot(page, f"admin-schedule-template-{size}")
    page.goto(live_url + "/admin/schedule-templates?lang=en")
    assert_accessible(page)
    save_screenshot(page, f"admin-schedule-templates-{size}")

    page.goto(live_url + f"/admin/units/{existing.id}/episodes?lang=en")
    assert_accessible(page)
    _fits(page)
    save_screenshot(page, f"admin-episodes-{size}")
    section = page.locator("section", has=page.get_by_role("heading", name="Patient"))
    section.get_by_label("New responsible therapist").select_option(label="Siri Successor")
    section.get_by_role("button", name="Transfer episode").click()
    assert "The episode is transferred." in page.content()
    assert "Responsible: Siri Successor" in page.content()
    assert_accessible(page)

    page.goto(live_url + "/admin/audit?lang=en")
    for label in ("Unit created", "Programme created", "Rule added to a schedule template"):
        assert label in page.content()
    assert "Episode transferred to another therapist" in page.content()
    assert world.episode_id


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=["1280px", "320px"])
def test_a_therapist_finds_every_page_from_the_menu_caseload_and_pre_session_view(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
    save_screenshot: Callable[[Page, str], Path],
    viewport: ViewportSize,
) -> None:
    size = f"{viewport['width']}px"
    page.set_viewport_size(viewport)
    world = make_world(browser_db)
    log_in(page, live_url, world.therapist_username)
    assert "/clinician/" in page.url
    nav = page.get_by_role("navigation", name="Staff")
    assert nav.get_by_role("link", name="Register a patient").count() == 1
    assert nav.get_by_role("link", name="Import appointments").count() == 1
    assert_accessible(page)
    _fits(page)
    save_screenshot(page, f"caseload-with-links-{size}")
    page.get_by_role("link", name="Schedule").first.click()
    assert page.url.endswith(f"/episodes/{world.episode_id}/schedule")
    page.get_by_role("link", name="Back to the pre-session view").click()
    page.get_by_role("link", name="Appointments and delivery").click()
    assert page.url.endswith(f"/episodes/{world.episode_id}/appointments")
    assert_accessible(page)
    page.get_by_role("link", name="Back to the pre-session view").click()
    assert_accessible(page)
    save_screenshot(page, f"presession-with-links-{size}")
