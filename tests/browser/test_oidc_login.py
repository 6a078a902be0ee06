"""Staff log in through a real OpenID Connect provider, end to end in the browser: the admin
links the provider's subject to the account, the person logs in with no local password and
logs out of the provider too, and the next person at the browser, an identity nobody linked,
must log in at the provider and gets a clear refusal and no session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from playwright.sync_api import Page
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import AdminAudit, StaffExternalIdentity
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff, make_unit
from tests.support.oidc import log_in_at_provider_page, oidc_provider, use_provider


def test_an_admin_links_an_identity_and_the_therapist_logs_in_through_the_provider(
    page: Page,
    live_url: str,
    browser_app: Flask,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
    save_screenshot: Callable[[Page, str], Path],
) -> None:
    unit = make_unit(browser_db)
    admin = make_staff(browser_db, (Role.ADMIN, None), name="Ada Admin")
    therapist = make_staff(browser_db, (Role.THERAPIST, unit.id), name="Tora Terapeut")
    with oidc_provider(live_url + "/staff/login/provider/callback") as issuer:
        use_provider(browser_app, issuer)
        page.set_viewport_size({"width": 1280, "height": 900})
        # The admin links the therapist's subject at the provider.
        page.goto(live_url + "/staff/login?lang=en")
        page.get_by_label("Username").fill(admin.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in", exact=True).click()
        page.goto(live_url + "/admin/identities")
        page.get_by_label("Staff member").select_option(
            label=f"Tora Terapeut ({therapist.username})"
        )
        page.get_by_label("Subject (sub) at the identity provider").fill("hpr-9144900")
        page.get_by_role("button", name="Link", exact=True).click()
        page.get_by_text("The login identity is linked.").wait_for()
        assert_accessible(page)
        save_screenshot(page, "admin-identities-1280")
        page.set_viewport_size({"width": 390, "height": 844})
        assert_accessible(page)
        save_screenshot(page, "admin-identities-390")
        page.get_by_role("button", name="Log out").click()

        # The therapist logs in through the provider: no password here.
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(live_url + "/staff/login?lang=en")
        assert_accessible(page)
        save_screenshot(page, "staff-login-with-provider")
        page.get_by_role("button", name="Log in with Test ID").click()
        assert page.url.startswith(issuer)
        log_in_at_provider_page(page, "hpr-9144900")
        page.wait_for_url(live_url + "/**")
        page.get_by_role("heading", name="Caseload").wait_for()  # the therapist's start page
        assert page.get_by_role("button", name="Log out").is_visible()
        page.get_by_role("button", name="Log out").click()
        # Logged out here; the provider's single sign-on ends on its own page.
        page.get_by_role("heading", name="You are logged out").wait_for()
        assert page.get_by_role("button", name="Log out", exact=True).count() == 0  # no menu
        assert_accessible(page)
        save_screenshot(page, "staff-logout-provider")
        page.get_by_role("link", name="Log out of Test ID").click()
        page.get_by_role("button", name="Yes, sign me out").click()  # the provider's own page
        page.wait_for_url(live_url + "/staff/login")
        page.get_by_role("heading", name="Staff login").wait_for()

        # An identity nobody linked, the next person at the same browser: the provider asks
        # them to log in, and our login page answers clearly, with no session.
        page.goto(live_url + "/staff/login?lang=en")
        page.get_by_role("button", name="Log in with Test ID").click()
        page.locator("input[name=login]").wait_for()
        log_in_at_provider_page(page, "someone-else")
        page.wait_for_url(live_url + "/**")
        page.get_by_text("is not linked to an active staff account here").wait_for()
        assert "give them this identity: someone-else" in page.content()
        assert page.get_by_role("button", name="Log out").count() == 0
        assert_accessible(page)
        save_screenshot(page, "staff-login-provider-unlinked")

    with browser_db.session() as session:
        link = session.scalars(select(StaffExternalIdentity)).one()
        assert (link.staff_id, link.issuer, link.subject) == (therapist.id, issuer, "hpr-9144900")
        assert link.last_login_at is not None
        audit = session.scalars(
            select(AdminAudit).where(AdminAudit.action == "identity_linked")
        ).one()
        assert audit.staff_id == admin.id and "hpr-9144900" in (audit.after or "")
