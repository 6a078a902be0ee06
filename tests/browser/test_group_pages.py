"""Groups in the browser: a group therapist creates a group, adds members and records a
session with attendance at 1280 px (and the group page still fits 320 px); a member who
attended opens the group form's link on a 320 px phone with JavaScript off and answers it;
the group page shows no figures while the forms are open, never the answer. axe on every
page, screenshots in test-artifacts/groups/.

The group form is the test-only GSRS-shaped definition (tests/fixtures/instruments_test_only),
loaded through FIT_INSTRUMENTS_DIR as a licence holder loads the real scale."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Invitation
from fit_platform.domain.codes import Role, UnitKind
from fit_platform.domain.instruments import configure_extra_dirs
from fit_platform.services.links import mint_token
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_patient_journey import fits_the_screen
from tests.conftest import make_test_app
from tests.support.factories import PASSWORD, make_staff, make_unit, make_world
from tests.support.scheduling import oslo

Check = Callable[[Page], None]
Shoot = Callable[[Page, str], Path]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "instruments_test_only"
NOW = oslo(2027, 1, 6, 12, 0)


@pytest.fixture
def browser_app(sqlite_template: Path, tmp_path: Path) -> Iterator[Flask]:
    path = tmp_path / "browser.sqlite3"
    shutil.copyfile(sqlite_template, path)
    application = make_test_app(
        f"sqlite:///{path}", tmp_path / "instance", instruments_dir=FIXTURES
    )
    application.extensions["fit_clock"] = lambda: NOW
    yield application
    application.extensions["fit_db"].dispose()
    configure_extra_dirs([])


def test_a_therapist_records_a_group_session_and_a_member_answers_on_a_phone(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Check,
    save_screenshot: Shoot,
) -> None:
    unit = make_unit(browser_db, UnitKind.DAY_PROGRAMME)
    leader = make_staff(browser_db, (Role.THERAPIST, unit.id), name="Gro Gruppeleder")
    members = [make_world(browser_db, unit=unit, therapist=leader) for _ in range(2)]

    page.set_viewport_size(DESKTOP)
    page.goto(live_url + "/staff/login?lang=en")
    page.get_by_label("Username").fill(leader.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Groups").click()
    assert page.locator("h1").inner_text() == "Groups"
    assert_accessible(page)
    page.get_by_role("link", name="Create a group").click()
    page.get_by_role("button", name="Create the group").click()  # no name: error summary
    assert page.locator(".alert-error").is_visible()
    assert_accessible(page)
    page.get_by_label("Name of the group").fill("Tirsdagsgruppa")
    page.get_by_role("button", name="Create the group").click()
    assert page.locator("h1").inner_text() == "Tirsdagsgruppa"
    for _member in members:
        page.get_by_role("button", name="Add to the group").click()
    assert page.locator("#members + ul li").count() == 2
    assert_accessible(page)
    page.get_by_role("link", name="Record a group session").first.click()
    page.get_by_label("Date").fill("2027-01-06")
    page.get_by_label("Time").fill("10:00")
    for checkbox in page.locator("input[type=checkbox]").all():
        checkbox.check()
    assert_accessible(page)
    save_screenshot(page, "groups/therapist-record-session-1280")
    page.get_by_role("button", name="Record the session").click()
    assert "The session is recorded: 2 attended." in page.locator("body").inner_text()
    # The forms are open for 48 hours: no figures until then (docs/groups.md).
    assert page.locator("text=Figures are shown when the forms close on").count() == 1
    assert_accessible(page)
    save_screenshot(page, "groups/therapist-group-1280")
    page.set_viewport_size(PHONE)
    fits_the_screen(page)
    assert_accessible(page)
    save_screenshot(page, "groups/therapist-group-320")

    with browser_db.transaction() as session:
        invitation = session.scalars(
            select(Invitation).where(Invitation.episode_id == members[0].episode_id)
        ).one()
        token = mint_token(session, invitation, NOW)

    page.context.clear_cookies()
    page.goto(f"{live_url}/p/{token}?lang=nb")
    fits_the_screen(page)
    assert_accessible(page)
    page.locator("button[value=start]").click()
    # `.all()` does not wait: on a busy machine it found the start page's (no) fields, and the
    # form was sent empty.
    page.wait_for_url("**/p/answer/**")
    fields = page.locator("main form input[inputmode=decimal]").all()
    assert len(fields) == 4
    for field in fields:
        field.fill("9,3")
    fits_the_screen(page)
    assert_accessible(page)
    save_screenshot(page, "groups/patient-group-form-320")
    page.get_by_role("button", name="Lagre og avslutt").click()
    assert page.url.endswith("/p/finish"), page.locator("main").inner_text()
    assert_accessible(page)
    # A comment sent with a group form goes to the own therapist: no choice of reader.
    assert page.locator("input[name=comment_to]").count() == 0
    fits_the_screen(page)
    save_screenshot(page, "groups/patient-finish-320")
    page.locator("main form button[type=submit]").click()
    assert page.url.endswith("/p/done")
    fits_the_screen(page)
    assert_accessible(page)
    save_screenshot(page, "groups/patient-done-320")
