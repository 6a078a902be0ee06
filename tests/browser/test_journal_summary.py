"""The journal summary in the browser: two years of weekly answers still print on one A4 page,
with nothing broken mid-word, and the page passes axe on a desk and on a phone."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Response
from fit_platform.domain.signals import SignalCode
from fit_platform.services.comments import COMMENT_MAX, comment_on_result
from tests.support.clinical import add_decision, add_goal, add_signal, add_topic, resolve_signal
from tests.support.factories import PASSWORD, add_history, make_world

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _two_years(db: Database) -> tuple[int, str]:
    world = make_world(db)
    now = dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(weeks=104)
    weekly = [max(4, 21 - week // 6) for week in range(104)]
    add_history(db, world, weekly, start=start)
    add_history(db, world, [max(3, 15 - week // 8) for week in range(104)], "gad7", start=start)
    add_history(db, world, [22 + week % 6 for week in range(104)], "sai", start=start)
    add_signal(db, world, SignalCode.NOT_ON_TRACK, raised_at=now - dt.timedelta(days=1))
    old = add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=now - dt.timedelta(days=20))
    resolve_signal(
        db,
        old,
        at=now - dt.timedelta(days=19),
        acknowledge_note="Talked about safety the same day; crisis plan updated together",
        resolve_note="Follow-up call: no current suicidal thoughts",
    )
    for days, text in ((60, "Start a sleep course"), (20, "Add a weekly phone call for a month"),
                       (5, "Keep the plan; review the medication with the GP")):  # fmt: skip
        add_decision(db, world, text, at=now - dt.timedelta(days=days))
    add_goal(db, world, "Sleep through the night")
    add_goal(db, world, "Go back to work half time before the summer")
    add_topic(db, world, "The meeting with my manager next week")
    # The newest of the patient's words goes into the summary: at its longest (COMMENT_MAX).
    with db.session() as session:
        newest = session.scalars(
            select(Response.id)
            .where(Response.episode_id == world.episode_id)
            .order_by(Response.submitted_at.desc())
            .limit(1)
        ).one()
    words = "The last weeks were better, but work is still too much some days. " * 20
    assert comment_on_result(db, newest, world.patient_id, words[:COMMENT_MAX], now)
    return world.episode_id, world.therapist_username


def test_two_years_of_answers_print_on_one_a4_page(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
    save_screenshot: Callable[[Page, str], Path],
) -> None:
    episode_id, username = _two_years(browser_db)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_url + "/staff/login?lang=nb")
    page.get_by_label("Brukernavn").fill(username)
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    page.goto(live_url + f"/clinician/episodes/{episode_id}")
    page.get_by_role("link", name=re.compile("Journalsammendrag")).click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Tilbakemelding")
    assert_accessible(page)
    save_screenshot(page, "journal-summary-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The latest scores are cards on a phone: nothing in a box to scroll sideways.
    scores = page.locator(".journal-table").locator("xpath=..")
    assert scores.evaluate("(box) => box.scrollWidth - box.clientWidth") <= 0
    save_screenshot(page, "journal-summary-390")

    page.emulate_media(media="print")
    save_screenshot(page, "journal-summary-print")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "journal-summary.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf))
    assert pages == 1, f"the summary printed on {pages} pages"
    # Words stay whole: no line in the printed summary starts inside a word of the goals.
    text = page.locator(".journal-summary").inner_text()
    assert "Go back to work half time before the summer" in text
