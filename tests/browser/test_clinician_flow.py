from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from fit_platform.db import Database
from fit_platform.db.models import Staff, Unit
from fit_platform.domain.codes import Language
from fit_platform.domain.signals import SignalCode
from fit_platform.services.demo_seed import DEMO_PASSWORD, seed_demo
from tests.support.clinical import add_goal, add_signal, add_topic
from tests.support.factories import add_appointment, add_history, make_world


def _demo_patient(db: Database) -> int:
    seed_demo(db)
    with db.session() as session:
        staff = session.scalar(
            select(Staff)
            .where(Staff.username == "terapeut1@demo.fit")
            .options(selectinload(Staff.roles))
        )
        unit = session.scalar(select(Unit).where(Unit.code == "dps-nord-pol"))
    assert staff is not None and unit is not None
    world = make_world(db, unit=unit, therapist=staff, language=Language.ENGLISH)
    now = dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(weeks=12)
    add_history(db, world, [21, 19, 18, 16, 17, 14, 12, 11, 9, 10, 8, 7], start=start)
    alliance = [54, 56, 56, 52, 54, 54, 48]
    add_history(db, world, alliance, "wai_sr", start=start + dt.timedelta(weeks=5))
    add_goal(db, world, "Sleep through the night")
    add_goal(db, world, "Go back to work half time")
    add_topic(db, world, "The meeting with my manager")
    add_appointment(db, world, now + dt.timedelta(hours=3))
    add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=now - dt.timedelta(hours=1))
    add_signal(db, world, SignalCode.ALLIANCE_DROP, raised_at=now, instrument_id="wai_sr")
    for _ in range(3):
        make_world(db, unit=unit, therapist=staff)
    return world.episode_id


def test_therapist_logs_in_reviews_acknowledges_risk_and_records_samvalg_without_javascript(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
    save_screenshot: Callable[[Page, str], Path],
) -> None:
    episode_id = _demo_patient(browser_db)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_url + "/staff/login?lang=en")
    assert_accessible(page)
    page.get_by_label("Username").fill("terapeut1@demo.fit")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    assert page.locator("h1").inner_text() == "Caseload"
    assert "Your session ends at" in page.content()
    first_row = page.locator("table.caseload tbody tr").first
    assert "Risk: acknowledge" in first_row.inner_text()
    assert_accessible(page)
    page.get_by_label("Sort by").select_option("name")
    page.get_by_role("button", name="Show").click()
    assert "sort=name" in page.url
    first_row = page.locator(f"a[href='/clinician/episodes/{episode_id}']")
    first_row.click()

    assert page.get_by_role(
        "img", name="Patient Health Questionnaire (PHQ-9) over time"
    ).is_visible()
    assert "Sleep through the night" in page.content()
    # The signals nobody has acted on are named in the first screen, the risk answer first.
    waiting = page.locator("p.signals-waiting")
    box = waiting.bounding_box()
    assert box is not None and box["y"] + box["height"] < 900
    assert waiting.get_by_role("link").all_inner_texts() == [
        "Risk answer",
        "Alliance score dropped",
    ]
    assert_accessible(page)
    save_screenshot(page, "presession-view")
    page.emulate_media(media="print")
    save_screenshot(page, "presession-view-print")
    page.emulate_media(media="screen")

    risk = page.locator("article.signal-risk")
    risk.get_by_role("button", name="Acknowledge").click()
    assert page.locator("article.signal-risk").count() == 1  # refused: a note is required
    # Spaces pass the browser's check; the page comes back with the message where it opens
    # and beside the note, not in a banner above a page scrolled to the signal.
    risk.get_by_label("What was done (required)").fill("   ")
    risk.get_by_role("button", name="Acknowledge").click()
    summary = page.locator("#error-summary")
    box = summary.bounding_box()
    assert box is not None and box["y"] + box["height"] < 900
    assert page.evaluate("window.scrollY") == 0
    message = "Write what was done before you acknowledge a risk signal."
    assert summary.get_by_role("link").inner_text() == message
    note = page.locator("article.signal-risk").get_by_label("What was done (required)")
    assert note.get_attribute("aria-invalid") == "true"
    assert page.locator("article.signal-risk .field-error").inner_text() == message
    assert_accessible(page)
    save_screenshot(page, "presession-risk-note-missing")
    summary.get_by_role("link").click()
    assert page.evaluate("document.activeElement.id") == note.get_attribute("id")
    page.locator("article.signal-risk").get_by_label("What was done (required)").fill(
        "Called the patient; safety plan reviewed; follow-up tomorrow"
    )
    page.locator("article.signal-risk").get_by_role("button", name="Acknowledge").click()
    assert page.get_by_role("status").inner_text().strip() == "Signal acknowledged."
    assert "Called the patient; safety plan reviewed" in page.content()
    assert_accessible(page)

    page.get_by_role("link", name="Record a samvalg decision about this signal").last.click()
    assert "About the signal:" in page.content()
    page.get_by_role("button", name="Save the record").click()
    assert page.get_by_role("alert").first.is_visible()
    assert_accessible(page)
    page.get_by_label("Options we discussed").fill("Keep the time; move to mornings; pause a week")
    page.get_by_label("What matters most to the patient").fill("Feeling heard about the job")
    page.get_by_label("What we decided").fill(
        "Move sessions to mornings and talk about the rupture"
    )
    page.get_by_label("When we will look at this again (optional)").fill(
        (dt.date.today() + dt.timedelta(weeks=4)).isoformat()
    )
    page.get_by_role("button", name="Save the record").click()
    assert page.get_by_role("status").inner_text().strip() == "The samvalg record is saved."
    assert "Move sessions to mornings" in page.content()
    assert_accessible(page)
