"""The import page's messages about a wrong file, read in a real browser at 320 px: the
file-level error once in the error summary and on the field, the row and record-id lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from playwright.sync_api import Page

from fit_platform.db import Database
from fit_platform.db.models import Patient, Staff
from tests.browser.conftest import PHONE
from tests.support.factories import PASSWORD, make_world


def test_a_wrong_file_and_its_rows_are_explained_accessibly(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
) -> None:
    world = make_world(browser_db)
    with browser_db.session() as session:
        username = session.get(Staff, world.therapist_id).username  # type: ignore[union-attr]
        ref = session.get(Patient, world.patient_id).external_id  # type: ignore[union-attr]
    page.set_viewport_size(PHONE)
    page.goto(live_url + "/staff/login?lang=en")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(live_url + "/clinician/appointments/import")
    page.get_by_label("File").set_input_files(
        {"name": "bilde.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n\x00\x00"}
    )
    page.get_by_role("button", name="Import").click()
    assert page.get_by_role("alert").count() == 1
    assert page.get_by_text("The file is not a CSV text file", exact=False).count() == 2
    assert_accessible(page)

    day = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    csv = (
        "appointment_id,patient_id,start,end,status\n"
        f"K-1,{ref},{day}T10:00,,maybe\nK-2,EPR-NOT-HERE,{day}T11:00,,\n"
    )
    page.get_by_label("File").set_input_files(
        {"name": "rows.csv", "mimeType": "text/csv", "buffer": csv.encode()}
    )
    page.get_by_role("button", name="Import").click()
    assert page.get_by_text("Row 1, column status: the status is not recognised").count() == 1
    assert page.get_by_text("Record id EPR-NOT-HERE: row 2").count() == 1
    assert_accessible(page)
