"""The staff-administration and access-review pages, and the set-password page, in headless
Chromium without JavaScript at 1280 and 390 px: axe finds nothing, nothing scrolls sideways."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, ViewportSize
from sqlalchemy import select, update

from fit_platform.db import Database
from fit_platform.db.models import Staff, StaffInvite
from fit_platform.domain.codes import Role
from fit_platform.services import recovery_codes
from fit_platform.services.access_log import record_access
from fit_platform.services.staff_invites import mint_invite_token
from tests.support.factories import PASSWORD, make_staff, make_world

SIZES: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 320, "height": 700},
}


def _fits(page: Page, width: int) -> None:
    """Nothing wider than the screen: not the page, nor a table in a box scrolled sideways (at
    320 px the access log's "Outside own patients" mark was off to the right)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    boxes = page.eval_on_selector_all(
        "main .table-wrap", "(boxes) => boxes.map((box) => box.scrollWidth - box.clientWidth)"
    )
    assert all(overflow <= 0 for overflow in boxes), boxes


@pytest.mark.parametrize("size", SIZES)
def test_staff_admin_and_access_review_pages_are_accessible(
    page: Page,
    live_url: str,
    browser_app: Flask,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
    save_screenshot: Callable[[Page, str], Path],
    size: str,
) -> None:
    viewport = SIZES[size]
    world = make_world(browser_db)
    lead = make_staff(browser_db, (Role.UNIT_LEAD, world.unit_id), name="Lea Leder")
    admin = make_staff(browser_db, (Role.ADMIN, None), name="Ada Admin")
    sealed = browser_app.extensions["fit_totp_box"].seal("JBSWY3DPEHPK3PXP")
    now = dt.datetime.now(dt.UTC)
    with browser_db.transaction() as session:
        session.execute(
            update(Staff).where(Staff.id == world.therapist_id).values(totp_secret=sealed)
        )
        recovery_codes.issue(session, world.therapist_id, now)
        for staff_id, role in ((world.therapist_id, Role.THERAPIST), (lead.id, Role.UNIT_LEAD)):
            record_access(
                session,
                staff_id=staff_id,
                role=role,
                patient_id=world.patient_id,
                unit_id=world.unit_id,
                action="presession_view",
                now=now,
            )
    page.set_viewport_size(viewport)
    page.goto(live_url + "/staff/login?lang=en")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("link", name="Staff accounts").click()
    assert page.get_by_role("cell", name="Lea Leder").count() == 1
    assert_accessible(page)
    _fits(page, viewport["width"])
    save_screenshot(page, f"admin-staff-list-{size}")

    # Invite: an empty form first, then a real one.
    page.get_by_role("link", name="Invite a staff member").click()
    page.get_by_role("button", name="Send invitation").click()
    assert page.get_by_role("alert").count() == 1
    assert_accessible(page)
    save_screenshot(page, f"admin-staff-invite-errors-{size}")
    page.get_by_label("E-mail address (also the username)").fill(f"ny.{size}@example.org")
    page.get_by_label("Full name").fill("Nora Ny")
    page.get_by_label("Role").select_option("therapist")
    page.get_by_label("Unit", exact=True).select_option(str(world.unit_id))
    page.get_by_role("button", name="Send invitation").click()
    assert page.get_by_role("heading", name="Nora Ny").count() == 1
    assert page.get_by_text("Invited, has not set a password yet").count() == 1
    assert_accessible(page)
    _fits(page, viewport["width"])
    save_screenshot(page, f"admin-staff-invited-{size}")

    # A colleague with a second factor: the reset needs a reason.
    page.goto(live_url + f"/admin/staff/{world.therapist_id}?lang=en")
    assert page.get_by_text("10 recovery codes left").count() == 1
    page.get_by_role("button", name="Reset second factor").click()
    assert page.get_by_role("alert").count() == 1
    assert_accessible(page)
    _fits(page, viewport["width"])
    save_screenshot(page, f"admin-staff-detail-{size}")

    # The access log, filtered to reads outside the reader's own patients.
    page.goto(live_url + "/admin/?lang=en")
    page.get_by_role("link", name="Access log review").click()
    page.get_by_label("Only reads outside the reader's own patients").check()
    page.get_by_role("button", name="Search").click()
    assert page.get_by_role("cell", name="Lea Leder").count() == 1
    assert page.get_by_role("cell", name=world.therapist_username).count() == 0
    assert_accessible(page)
    _fits(page, viewport["width"])
    save_screenshot(page, f"admin-access-log-{size}")
    page.get_by_label("From").fill("2026-12-31")
    page.get_by_label("To", exact=True).fill("2026-12-01")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_role("alert").count() == 1
    assert_accessible(page)

    # The new person's set-password page (the token as the dispatcher would mint it).
    with browser_db.transaction() as session:
        invite_id = session.scalars(select(StaffInvite.id)).one()
        mail = mint_invite_token(session, invite_id, dt.datetime.now(dt.UTC))
        assert mail is not None
    page.get_by_role("button", name="Log out").click()
    page.goto(live_url + f"/staff/invite/{mail.token}?lang=en")
    page.get_by_label("New password (at least 12 characters)").fill("short")
    page.get_by_label("New password again").fill("short")
    page.get_by_role("button", name="Set password").click()
    assert page.get_by_role("alert").count() == 1
    assert_accessible(page)
    _fits(page, viewport["width"])
    save_screenshot(page, f"staff-set-password-{size}")
    page.get_by_label("New password (at least 12 characters)").fill("kettle orchard violin thunder")
    page.get_by_label("New password again").fill("kettle orchard violin thunder")
    page.get_by_role("button", name="Set password").click()
    assert page.get_by_text("Your password is set.").count() == 1
    page.goto(live_url + f"/staff/invite/{mail.token}?lang=en")
    assert page.get_by_role("heading", name="This link no longer works").count() == 1
    assert_accessible(page)
    save_screenshot(page, f"staff-set-password-used-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_the_patients_list_of_readers_shows_one_row_per_reading_session(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
    save_screenshot: Callable[[Page, str], Path],
    size: str,
) -> None:
    from tests.browser.test_patient_journey import answer_questionnaire
    from tests.support.patient import open_invitation

    viewport = SIZES[size]
    world = make_world(browser_db)
    now = dt.datetime.now(dt.UTC)
    reads = [
        (now - dt.timedelta(days=3), "appointment_change"),
        (now - dt.timedelta(minutes=20), "caseload"),
        (now - dt.timedelta(minutes=19), "presession_view"),
        (now - dt.timedelta(minutes=5), "presession_view"),
    ]
    with browser_db.transaction() as session:
        for at, action in reads:
            record_access(
                session,
                staff_id=world.therapist_id,
                role=Role.THERAPIST,
                patient_id=world.patient_id,
                unit_id=world.unit_id,
                action=action,
                now=at,
            )
    _invitation_id, token = open_invitation(browser_db, world, "phq9")
    page.set_viewport_size(viewport)
    page.goto(f"{live_url}/p/{token}?lang=nn")
    page.locator("button[value=start]").click()
    answer_questionnaire(page, "phq9", "nn", assert_accessible)
    page.locator("main form button[type=submit]").click()
    assert page.url.endswith("/p/done")
    # The thank-you page links on to the progress page, which lists who has read the answers.
    page.locator("main a[href$='/p/progress']").click()
    readers = page.locator("table", has=page.locator("th", has_text="Kva dei gjorde"))
    assert readers.locator("tbody tr").count() == 2
    assert "Såg deg på pasientlista si, las svara dine" in readers.inner_text()
    assert_accessible(page)
    _fits(page, viewport["width"])
    readers.scroll_into_view_if_needed()
    save_screenshot(page, f"patient-readers-{size}")
