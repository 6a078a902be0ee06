"""Correcting a patient's contact details in a real browser, JavaScript off, at phone and
desktop widths, checked with axe: the therapist from the pre-session view, a refused number,
the correction; then what the patient sees of it on the choices page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize

from fit_platform.db import Database
from fit_platform.db.models import Patient
from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE
from tests.support.factories import PASSWORD, make_world
from tests.support.patient import open_invitation


def _fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["320", "1280"])
def test_a_therapist_corrects_a_number_and_the_patient_sees_it_partly_hidden(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
    save_screenshot: Callable[[Page, str], Path],
    viewport: ViewportSize,
) -> None:
    world = make_world(browser_db)
    page.set_viewport_size(viewport)
    page.goto(live_url + "/staff/login?lang=en")
    page.get_by_label("Username").fill(world.therapist_username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_url}/clinician/episodes/{world.episode_id}?lang=en")
    page.get_by_role("link", name="Contact details (correct phone, e-mail, language)").click()
    assert page.get_by_label("Mobile number").input_value().startswith("+4791")
    assert_accessible(page)
    _fits(page, viewport["width"])
    page.get_by_label("Mobile number").fill("22 00 00 00")
    page.get_by_role("button", name="Save the contact details").click()
    assert page.get_by_role("alert").count() == 1
    assert page.get_by_label("Mobile number").input_value() == "22 00 00 00"
    assert_accessible(page)
    _fits(page, viewport["width"])
    save_screenshot(page, f"contact-details-refused-{viewport['width']}")
    page.get_by_label("Mobile number").fill("987 65 432")
    page.get_by_role("button", name="Save the contact details").click()
    assert page.get_by_text("The contact details are corrected.").count() == 1
    with browser_db.session() as session:
        assert session.get_one(Patient, world.patient_id).phone_e164 == "+4798765432"

    _invitation_id, token = open_invitation(browser_db, world)
    page.goto(f"{live_url}/p/{token}?lang=en")
    page.locator("button[value=choices]").click()
    page.get_by_role("link", name="Change how we contact you").click()
    assert page.get_by_text("Mobile number: ending in 32").count() == 1
    assert "98765432" not in page.content()
    assert_accessible(page)
    _fits(page, viewport["width"])
    page.get_by_text("Mobile number: ending in 32").scroll_into_view_if_needed()
    save_screenshot(page, f"patient-choices-contact-on-file-{viewport['width']}")
    section = page.locator("ul.on-file")
    section.screenshot(
        path=str(ARTIFACTS / f"patient-choices-contact-section-{viewport['width']}.png")
    )
