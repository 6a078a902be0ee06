"""A patient opens their progress page with ID-porten, end to end in Chromium against a real
OpenID Connect provider: the therapist registers the national identity number, the patient's
link has closed, the code page offers ID-porten beside the code, the provider's login brings
them back to their progress; logging out ends ID-porten's session too, so the next person at
the browser must log in; a login nobody registered gets the neutral page. axe on each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from playwright.sync_api import Page, ViewportSize
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Episode, Patient
from fit_platform.domain.codes import Role
from tests.support.factories import (
    PASSWORD,
    World,
    make_invitation,
    make_staff,
    make_unit,
    make_unit_template,
)
from tests.support.oidc import log_in_at_provider_page, oidc_provider, use_idporten
from tests.web.test_idporten_login import TENOR, national_id

PHONE: ViewportSize = {"width": 320, "height": 800}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def test_a_patient_sees_their_progress_again_through_idporten(
    page: Page,
    live_url: str,
    browser_app: Flask,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
    save_screenshot: Callable[[Page, str], Path],
) -> None:
    unit = make_unit(browser_db)
    make_unit_template(browser_db, unit.id)
    therapist = make_staff(browser_db, (Role.THERAPIST, unit.id), name="Tora Terapeut")
    with oidc_provider(live_url + "/p/idporten/callback") as issuer:
        use_idporten(browser_app, issuer)
        # The therapist registers the patient with the national identity number.
        page.set_viewport_size(DESKTOP)
        page.goto(live_url + "/staff/login?lang=en")
        page.get_by_label("Username").fill(therapist.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in", exact=True).click()
        page.goto(live_url + "/clinician/register")
        page.get_by_label("Name").fill("Kari Nordmann")
        page.get_by_label("Mobile number").fill("912 34 567")
        page.get_by_label("National identity number for ID-porten (optional)").fill("123")
        page.get_by_label("Start of treatment").fill("2026-11-25")
        page.get_by_role("button", name="Register").click()
        page.get_by_text("A national identity number has 11 digits.").first.wait_for()
        assert_accessible(page)
        save_screenshot(page, "register-national-id-error")
        page.get_by_label("National identity number for ID-porten (optional)").fill(TENOR)
        page.get_by_role("button", name="Register").click()
        page.get_by_text("The patient is registered.").wait_for()
        page.get_by_role("button", name="Log out").click()

        with browser_db.session() as session:
            patient = session.scalars(select(Patient)).one()
            episode = session.scalars(select(Episode)).one()
        assert patient.national_id_hash and TENOR not in patient.national_id_hash
        world = World(unit.id, therapist.id, therapist.username, patient.id, episode.id)
        # A link whose answer window has closed: the patient comes back later for progress.
        _invitation, token = make_invitation(
            browser_db,
            world,
            due_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3),
            window=dt.timedelta(hours=2),
        )
        page.context.clear_cookies()
        page.set_viewport_size(PHONE)
        page.goto(live_url + f"/p/{token}?lang=en")
        page.get_by_role("button", name="See your progress").click()
        page.get_by_role("button", name="Log in with ID-porten").wait_for()
        assert page.get_by_role("button", name="Send me a code").is_visible()  # code stays
        assert_accessible(page)
        save_screenshot(page, "patient-progress-code-or-idporten-320")
        page.get_by_role("button", name="Log in with ID-porten").click()
        assert page.url.startswith(issuer)
        log_in_at_provider_page(page, TENOR)
        page.wait_for_url(live_url + "/**")
        page.get_by_role("heading", name="Your progress", exact=True).wait_for()
        assert_accessible(page)
        save_screenshot(page, "patient-progress-after-idporten-320")

        # Why logging out must reach ID-porten: with only our cookie gone, its single
        # sign-on lets the next press of the button in without a password.
        page.context.clear_cookies(name="session")
        page.goto(live_url + "/p/progress?lang=en")
        page.get_by_role("button", name="Log in with ID-porten").click()
        page.wait_for_url(live_url + "/**")
        page.get_by_role("heading", name="Your progress", exact=True).wait_for()

        # The patient logs out: our grant ends, then ID-porten's session on its own page.
        page.get_by_role("button", name="Log out", exact=True).click()
        page.get_by_role("heading", name="You are logged out").wait_for()
        assert page.get_by_text("You are still logged in to ID-porten").is_visible()
        assert_accessible(page)
        save_screenshot(page, "patient-logout-idporten-320")
        page.get_by_role("link", name="Log out of ID-porten").click()
        assert page.url.startswith(issuer)
        page.get_by_role("button", name="Yes, sign me out").click()  # the provider's own page
        page.wait_for_url(live_url + "/p/logged-out")
        page.get_by_role("heading", name="You are logged out").wait_for()
        assert_accessible(page)
        save_screenshot(page, "patient-logged-out-320")

        # The next person at this browser, someone nobody registered: ID-porten asks them to
        # log in (its session has ended), and our answer is the neutral one.
        page.goto(live_url + "/p/progress?lang=en")
        assert_accessible(page)
        save_screenshot(page, "patient-idporten-start-320")
        page.get_by_role("button", name="Log in with ID-porten").click()
        page.locator("input[name=login]").wait_for()
        log_in_at_provider_page(page, national_id("010190"))
        page.wait_for_url(live_url + "/**")
        page.get_by_text("We found no ongoing treatment with questionnaires").wait_for()
        assert page.get_by_role("heading", name="Your progress", exact=True).count() == 0
        assert_accessible(page)
        save_screenshot(page, "patient-idporten-no-match-320")
        page.set_viewport_size(DESKTOP)
        save_screenshot(page, "patient-idporten-no-match-1280")
        page.set_viewport_size(PHONE)
        page.goto(live_url + "/p/progress?lang=nn")
        page.get_by_role("button", name="Logg inn med ID-porten").wait_for()
        assert_accessible(page)
        save_screenshot(page, "patient-idporten-start-nn-320")
