"""The administrator's patient-data pages and the privacy notice in a real browser, JavaScript
off, at desktop and phone widths, checked with axe."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, ViewportSize

from fit_platform.db import Database
from fit_platform.db.models import Patient
from fit_platform.domain.codes import Role
from tests.browser.conftest import DESKTOP, PHONE
from tests.conftest import make_test_app
from tests.support.clinical import add_goal
from tests.support.factories import PASSWORD, add_history, make_staff, make_world
from tests.support.live_server import serve

WIDE_PHONE: ViewportSize = {"width": 390, "height": 844}


def _fits(page: Page, width: int) -> None:
    box = page.locator("main").bounding_box()
    assert box is not None and box["x"] + box["width"] <= width


@pytest.mark.parametrize("viewport", [DESKTOP, WIDE_PHONE], ids=["1280", "390"])
def test_an_administrator_finds_downloads_and_erases_a_patients_data(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
    save_screenshot: Callable[[Page, str], Path],
    viewport: ViewportSize,
) -> None:
    world = make_world(browser_db)
    add_history(browser_db, world, [19, 14, 11])
    add_goal(browser_db, world, "Sove bedre")
    with browser_db.session() as session:
        record_id = session.get_one(Patient, world.patient_id).external_id or ""
    admin = make_staff(browser_db, (Role.ADMIN, None))
    page.set_viewport_size(viewport)
    page.goto(live_url + "/staff/login?lang=en")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_url + "/admin/?lang=en")
    page.get_by_role("link", name="A patient's data").click()
    page.get_by_role("button", name="Find the patient").click()
    assert page.get_by_role("alert").count() == 1  # nothing entered: a clear message
    assert_accessible(page)
    page.get_by_label("Unit").select_option(str(world.unit_id))
    page.get_by_label("Record id (from the patient record system)").fill(record_id)
    page.get_by_role("button", name="Find the patient").click()
    assert page.get_by_text("Questionnaire answers: 3").count() == 1
    assert_accessible(page)
    _fits(page, viewport["width"])
    save_screenshot(page, f"admin-patient-data-{viewport['width']}")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download the patient's data (JSON)").click()
    assert download.value.suggested_filename.startswith(f"patient-{world.patient_id}-data-")

    page.get_by_role("link", name="Erase the patient's feedback data").click()
    assert_accessible(page)
    _fits(page, viewport["width"])
    save_screenshot(page, f"admin-patient-erase-{viewport['width']}")
    page.get_by_label("Type the patient's record id to confirm").fill("EPR-wrong")
    page.get_by_label("Reason for the erasure").fill("The patient asked in writing")
    page.get_by_role("button", name="Erase the feedback data").click()
    assert page.get_by_role("alert").count() == 1
    assert_accessible(page)
    page.get_by_label("Type the patient's record id to confirm").fill(record_id)
    page.get_by_role("button", name="Erase the feedback data").click()
    assert page.get_by_text("The platform holds no feedback data for this patient.").count() == 1
    assert_accessible(page)
    save_screenshot(page, f"admin-patient-erased-{viewport['width']}")


@pytest.fixture
def configured_url(sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "privacy.sqlite3"
    shutil.copyfile(sqlite_template, path)
    app: Flask = make_test_app(
        f"sqlite:///{path}",
        tmp_path / "instance",
        privacy_controller="Helse Testvik HF, Sykehusveien 1, 9999 Testvik, org.nr. 999 999 999",
        privacy_contact="Personvernombudet, personvernombud@helse-testvik.no, telefon 22 00 00 00",
        privacy_notice_url="https://helse-testvik.no/personvern",
    )
    with serve(app) as url:
        yield url
    app.extensions["fit_db"].dispose()


@pytest.mark.parametrize("viewport", [DESKTOP, WIDE_PHONE, PHONE], ids=["1280", "390", "320"])
@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_the_privacy_notice_reads_well_at_every_width(
    page: Page,
    configured_url: str,
    assert_accessible: Callable[[Page], None],
    save_screenshot: Callable[[Page, str], Path],
    viewport: ViewportSize,
    lang: str,
) -> None:
    page.set_viewport_size(viewport)
    page.goto(f"{configured_url}/privacy?lang={lang}")
    assert page.get_by_text("Helse Testvik HF").count() == 1
    assert page.locator("h2").count() == 7
    assert_accessible(page)
    _fits(page, viewport["width"])
    address = page.locator("address").first.bounding_box()
    assert address is not None and address["x"] + address["width"] <= viewport["width"]
    save_screenshot(page, f"privacy-{lang}-{viewport['width']}")
