from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from tests.browser.conftest import PHONE
from tests.support.export_data import make_known_dataset
from tests.support.factories import PASSWORD, make_staff


def test_the_export_page_works_on_a_phone_without_javascript(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
    save_screenshot: Callable[[Page, str], Path],
) -> None:
    make_known_dataset(browser_db)
    staff = make_staff(browser_db, (Role.SERVICE_DEVELOPER, None))
    page.set_viewport_size(PHONE)
    page.goto(live_url + "/staff/login?lang=en")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Service figures").click()
    page.get_by_label("Period").select_option("month")
    page.get_by_label("From").fill("2026-06-01")
    page.get_by_label("To", exact=True).fill("2026-06-30")
    page.get_by_role("button", name="Show figures").click()
    assert page.locator("caption").count() >= 3
    assert page.get_by_text("fewer than 5").count() > 0
    # Every non-response reason has its column, those cancelled by an administrator too.
    for reason in ("Unit archived", "Episode closed"):
        assert page.get_by_role("columnheader", name=reason).count() == 1
    assert_accessible(page)
    save_screenshot(page, "export-figures-390")
    box = page.locator("main").bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"]
    # A caption wraps inside its table's scrolling box; it was as wide as the table, and cut.
    for caption in page.locator(".table-wrap caption").all():
        text = caption.bounding_box()
        scroller = caption.locator("xpath=ancestor::div[contains(@class, 'table-wrap')]")
        wrap = scroller.bounding_box()
        assert text is not None and wrap is not None
        assert text["x"] + text["width"] <= wrap["x"] + wrap["width"] + 1, caption.inner_text()
    page.get_by_label("From").fill("not a date")
    page.get_by_role("button", name="Show figures").click()
    assert page.get_by_role("alert").count() == 1
    assert_accessible(page)


def test_the_service_comments_page_is_reached_from_the_figures_and_is_accessible(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from fit_platform.db.models import Response, ServiceFeedback
    from fit_platform.domain.codes import Language, ResponseStatus
    from tests.support.factories import make_unit, make_world

    unit = make_unit(browser_db)
    # Texts are shown only where five patients answered and three therapists had them.
    therapists = [make_staff(browser_db, (Role.THERAPIST, unit.id)) for _ in range(3)]
    # In the quarter before this one (Oslo time): texts are read only once a quarter has ended.
    today = dt.datetime.now(ZoneInfo("Europe/Oslo")).date()
    this_quarter = dt.datetime(
        today.year, (today.month - 1) // 3 * 3 + 1, 1, tzinfo=ZoneInfo("Europe/Oslo")
    )
    answered = (this_quarter - dt.timedelta(days=20)).astimezone(dt.UTC)
    for n in range(5):
        world = make_world(browser_db, unit=unit, therapist=therapists[n % 3])
        with browser_db.transaction() as session:
            session.add(
                Response(
                    episode_id=world.episode_id,
                    instrument_id="wai_sr",
                    instrument_version="1.0.1",
                    language=Language.BOKMAAL,
                    status=ResponseStatus.SUBMITTED,
                    started_at=answered,
                    submitted_at=answered,
                )
            )
    with browser_db.transaction() as session:
        session.add(
            ServiceFeedback(
                unit_id=unit.id,
                instrument_id="wai_sr",
                text="Venterommet er kaldt",
                period=answered.astimezone(ZoneInfo("Europe/Oslo")).strftime("%Y-%m"),
            )
        )
    staff = make_staff(browser_db, (Role.SERVICE_DEVELOPER, None))
    page.set_viewport_size(PHONE)
    page.goto(live_url + "/staff/login?lang=en")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Service figures").click()
    page.get_by_role("link", name="Read the comments patients sent to the service").click()
    page.get_by_label("Unit").select_option(str(unit.id))
    page.get_by_role("button", name="Show comments").click()
    assert page.get_by_text("Venterommet er kaldt").count() == 1
    assert_accessible(page)
