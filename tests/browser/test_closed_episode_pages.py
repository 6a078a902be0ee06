"""A closed episode in a real browser, JavaScript off, at phone and desktop widths, checked with
axe: the administrator's transfer list offers only the other therapist, the close; then the
therapist's pre-session view, appointments page, journal summary, schedule and contact details
say it has ended and offer no change; the patient's cancelled link says the treatment period
has ended."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize

from fit_platform.db import Database
from fit_platform.db.models import Invitation
from fit_platform.domain.codes import Role
from fit_platform.domain.signals import SignalCode
from fit_platform.services import one_time_codes
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.steps import log_in, press_enter_to_submit
from tests.support.clinical import add_signal
from tests.support.factories import add_history, make_invitation, make_staff, make_world
from tests.support.patient import now, open_invitation


def _fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["320", "1280"])
def test_a_closed_episode_reads_as_closed_for_therapist_and_patient(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
    save_screenshot: Callable[[Page, str], Path],
    viewport: ViewportSize,
) -> None:
    width = viewport["width"]
    world = make_world(browser_db)
    make_staff(browser_db, (Role.THERAPIST, world.unit_id), name="Siri Successor")
    admin = make_staff(browser_db, (Role.ADMIN, None))
    add_history(browser_db, world, [19, 9, 18])  # 18 after 9: a clear change for the worse
    # One questionnaire already sent (it shows its send time), one link still open.
    sent, _sent_token = make_invitation(browser_db, world)
    with browser_db.transaction() as session:
        row = session.get_one(Invitation, sent.id)
        row.sent_at = row.due_at + dt.timedelta(hours=7, minutes=26)
    _invitation_id, token = open_invitation(browser_db, world)
    page.set_viewport_size(viewport)

    log_in(page, live_url, admin.username, fresh=True)
    # A unit where the responsible therapist is the only one: said in words, no form.
    lone = make_world(browser_db)
    page.goto(f"{live_url}/admin/units/{lone.unit_id}/episodes?lang=en")
    assert page.get_by_text("No other active therapist in this unit").count() == 1
    assert page.get_by_role("button", name="Transfer episode").count() == 0
    assert_accessible(page)
    _fits(page, width)
    save_screenshot(page, f"closed-admin-transfer-nobody-else-{width}")
    page.goto(f"{live_url}/admin/units/{world.unit_id}/episodes?lang=en")
    options = page.locator(f"select[name='transfer-{world.episode_id}-therapist'] option")
    assert options.all_inner_texts() == ["Siri Successor"]
    assert_accessible(page)
    _fits(page, width)
    save_screenshot(page, f"closed-admin-transfer-others-{width}")
    page.get_by_role("button", name="Close episode").click()
    assert page.get_by_text("The episode is closed.").count() == 1

    log_in(page, live_url, world.therapist_username, fresh=True)
    page.goto(f"{live_url}/clinician/episodes/{world.episode_id}?lang=en")
    assert page.get_by_text("Closed on").count() >= 1
    assert page.get_by_text("Next appointment").count() == 0
    assert page.get_by_role("link", name="Record a samvalg decision").count() == 0
    assert_accessible(page)
    _fits(page, width)
    save_screenshot(page, f"closed-presession-{width}")
    page.get_by_role("link", name="Appointments and delivery").click()
    assert page.get_by_role("button", name="Add").count() == 0
    assert page.get_by_text("Sent ").count() >= 1
    assert_accessible(page)
    _fits(page, width)
    save_screenshot(page, f"closed-appointments-{width}")
    page.goto(f"{live_url}/clinician/episodes/{world.episode_id}/summary?lang=en")
    assert_accessible(page)
    save_screenshot(page, f"closed-journal-summary-{width}")
    # The schedule and the contact details are read, not changed: no form, the closed notice.
    for name in ("schedule", "contact"):
        page.goto(f"{live_url}/clinician/episodes/{world.episode_id}/{name}?lang=en")
        assert page.get_by_text("This episode was closed on").count() == 1
        assert page.locator("main form").count() == 1  # the session bar's "Extend session"
        assert page.get_by_text("Changes apply from the next questionnaire").count() == 0
        assert page.get_by_text("(optional)").count() == 0  # a form's label, not a record's
        assert_accessible(page)
        _fits(page, width)
        save_screenshot(page, f"closed-{name}-{width}")

    page.context.clear_cookies()
    page.goto(f"{live_url}/p/{token}?lang=en")
    assert page.get_by_text("Your treatment period has ended").count() == 1
    assert page.get_by_role("button", name="Pause, stop or change how we contact you").count() == 0
    assert_accessible(page)
    _fits(page, width)
    save_screenshot(page, f"closed-patient-link-{width}")

    # Her progress after the close: a clear worsening is not said to be seen by anyone now.
    page.get_by_role("button", name="See your progress").click()
    page.get_by_role("button", name="Send me a code").click()
    with browser_db.transaction() as session:  # what the dispatcher does when it sends it
        code = one_time_codes.mint_code(session, world.patient_id, now())
    page.locator("input[name='verify-code']").fill(code)
    press_enter_to_submit(page.locator("input[name='verify-code']"))
    assert page.url.endswith("/p/progress")
    # Said once on the page (the chart's description, read by screen readers, says it again).
    said = page.locator("main p")
    assert said.filter(has_text="so nobody at the clinic follows your scores now").count() == 1
    assert said.filter(has_text="That is a clear change for the worse.").count() == 1
    assert_accessible(page)
    _fits(page, width)
    save_screenshot(page, f"closed-patient-progress-{width}")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["320", "1280"])
def test_closing_with_an_unacknowledged_risk_answer_asks_first_and_reads_well(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
    save_screenshot: Callable[[Page, str], Path],
    viewport: ViewportSize,
) -> None:
    """The warning, the box, and the refusal when the box is not ticked, at both widths."""
    width = viewport["width"]
    world = make_world(browser_db)
    add_signal(browser_db, world, SignalCode.RISK_ANSWER)
    admin = make_staff(browser_db, (Role.ADMIN, None))
    page.set_viewport_size(viewport)
    log_in(page, live_url, admin.username, fresh=True)
    page.goto(f"{live_url}/admin/units/{world.unit_id}/episodes?lang=en")
    box = page.get_by_label(
        "The therapist has followed up the risk answer, and the treatment is over"
    )
    assert box.count() == 1
    page.get_by_role("button", name="Close episode").click()
    assert page.get_by_text("nothing was closed").count() >= 1
    assert_accessible(page)
    _fits(page, width)
    save_screenshot(page, f"close-with-unacknowledged-risk-refused-{width}")
    page.get_by_label(
        "The therapist has followed up the risk answer, and the treatment is over"
    ).check()
    page.get_by_role("button", name="Close episode").click()
    assert page.get_by_text("The episode is closed.").count() == 1
