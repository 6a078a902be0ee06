"""On a phone with JavaScript off, a patient who changes language halfway down a question page
finds the page again in that language with her ticks in place, and Enter still saves the page
and goes on (the language buttons sit in the header, before the form: the page's first button
for the form, which Enter presses, is a plain save)."""

from __future__ import annotations

from playwright.sync_api import Page

from fit_platform.db import Database
from tests.browser.conftest import PHONE
from tests.browser.steps import Check, Shot, press_enter_to_submit
from tests.support.factories import make_world
from tests.support.patient import open_invitation, saved_answers


def _started_on_a_phone(page: Page, live_url: str, browser_db: Database) -> int:
    """A new patient's PHQ-9 link opened at 320 px in bokmål and started; its invitation."""
    world = make_world(browser_db)
    invitation_id, token = open_invitation(browser_db, world)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/p/{token}?lang=nb")
    page.locator("button[value=start]").click()
    assert page.url.endswith("/p/answer/1")
    return invitation_id


def test_a_language_change_keeps_the_ticks_and_enter_still_goes_on(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Check,
    save_screenshot: Shot,
) -> None:
    invitation_id = _started_on_a_phone(page, live_url, browser_db)
    page.locator("label[for='phq9_1-2']").click()
    page.locator("label[for='phq9_2-1']").click()
    save_screenshot(page, "language-switch-1-ticked-nb-320")

    page.get_by_role("button", name="Nynorsk").click()
    assert page.url.endswith("/p/answer/1")
    assert page.locator("html").get_attribute("lang") == "nn"
    assert page.locator("#phq9_1-2").is_checked() and page.locator("#phq9_2-1").is_checked()
    assert page.locator("input[type=radio]:checked").count() == 2
    assert "Det er eit problem" not in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Nynorsk").get_attribute("aria-current") == "true"
    assert_accessible(page)
    save_screenshot(page, "language-switch-2-kept-nn-320")

    for link_id in ("phq9_3", "phq9_4", "phq9_5"):
        page.locator(f"label[for='{link_id}-0']").click()
    press_enter_to_submit(page.locator("#phq9_5-0"))
    assert page.url.endswith("/p/answer/2"), page.url
    assert page.locator("html").get_attribute("lang") == "nn"
    saved = saved_answers(browser_db, invitation_id)
    assert {k: v for k, (v, _at) in saved.items()} == {
        "phq9_1": 2,
        "phq9_2": 1,
        "phq9_3": 0,
        "phq9_4": 0,
        "phq9_5": 0,
    }


def test_the_review_page_changes_language_with_the_typed_words_kept(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Check,
    save_screenshot: Shot,
) -> None:
    _started_on_a_phone(page, live_url, browser_db)
    while "/p/answer/" in page.url:
        names = page.eval_on_selector_all(
            "input[type=radio]", "(inputs) => [...new Set(inputs.map((input) => input.name))]"
        )
        for name in names:
            page.locator(f"label[for='{name}-0']").click()
        press_enter_to_submit(page.locator(f"#{names[-1]}-0"))
    assert page.url.endswith("/p/finish"), page.url
    page.locator("textarea[name=topic]").fill("Søvnen og jobben")
    page.locator("textarea[name=comment]").fill("Vanskelig uke,\nmen bedre nå.")
    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Check your answers before sending them"
    )
    assert page.locator("textarea[name=topic]").input_value() == "Søvnen og jobben"
    assert page.locator("textarea[name=comment]").input_value() == "Vanskelig uke,\nmen bedre nå."
    assert_accessible(page)
    save_screenshot(page, "language-switch-3-review-kept-en-320")
    page.get_by_role("button", name="Send my answers").click()
    assert page.url.endswith("/p/done"), page.url
    assert "Vanskelig uke," in page.locator("main").inner_text()
