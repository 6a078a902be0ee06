"""A patient answers on a 320 px phone with JavaScript off, in bokmål, nynorsk and English;
axe-core checks every patient page (landing, form, errors, risk help, progress, consent,
closed link)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from fit_platform.db import Database
from fit_platform.domain.codes import Language
from fit_platform.domain.instruments import get_instrument
from fit_platform.services.answering import page_plan
from tests.browser.conftest import PHONE
from tests.support.factories import make_invitation, make_world
from tests.support.patient import open_invitation

Check = Callable[[Page], None]


def fits_the_screen(page: Page) -> None:
    for selector in ("main", "h1", "form"):
        if page.locator(selector).count() == 0:
            continue
        box = page.locator(selector).first.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"] + 1, selector


def answer_questionnaire(
    page: Page, instrument_id: str, lang: str, check: Check, risk_on: str | None = None
) -> None:
    inst = get_instrument(instrument_id)
    plan = page_plan(inst)
    for number, link_ids in enumerate(plan, start=1):
        assert page.locator("html").get_attribute("lang") == lang
        first_item = inst.item(link_ids[0])
        assert first_item.text[lang] in page.locator("main").inner_text()
        if number == 1:
            # Sending the page empty shows the error summary, linked to the first question.
            page.locator("form button[type=submit]").first.click()
            assert page.locator("#error-summary").is_visible()
            assert page.locator("#error-summary a").first.get_attribute("href") == (
                f"#{link_ids[0]}-0"
            )
            check(page)
        for link_id in link_ids:
            index = 2 if link_id == risk_on else (0 if link_id in {"phq9_9"} else 1)
            page.locator(f"label[for='{link_id}-{index}']").click()
        page.locator("form button[type=submit]").first.click()
        if risk_on and risk_on in link_ids:
            assert page.locator("main a[href='tel:113']").is_visible()
            assert page.locator("main a[href='tel:116117']").is_visible()
            check(page)
            page.locator("main a.button").click()


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
@pytest.mark.parametrize("instrument_id", ["phq9", "wai_sr"])
def test_a_patient_answers_on_a_phone_without_javascript(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Check,
    lang: str,
    instrument_id: str,
) -> None:
    page.set_viewport_size(PHONE)
    world = make_world(browser_db)
    _invitation_id, token = open_invitation(browser_db, world, instrument_id)
    page.goto(f"{live_url}/p/{token}?lang={lang}")
    assert page.locator("h1").count() == 1
    fits_the_screen(page)
    assert_accessible(page)
    page.locator("button[value=start]").click()
    risk_on = "phq9_9" if instrument_id == "phq9" and lang == "nn" else None
    answer_questionnaire(page, instrument_id, lang, assert_accessible, risk_on)
    assert page.url.endswith("/p/finish")
    assert_accessible(page)
    if instrument_id == "wai_sr":
        page.locator("textarea").last.fill("Venterommet er kaldt")
        page.locator("label[for='comment_to-1']").click()
    else:
        page.locator("textarea").first.fill("Søvn")
    page.locator("main form button[type=submit]").click()
    assert page.url.endswith("/p/done")
    assert page.locator("html").get_attribute("lang") == lang
    if instrument_id == "phq9":
        assert page.locator("svg.chart").count() == 1
        assert page.locator("table").count() == 1
    fits_the_screen(page)
    assert_accessible(page)
    page.goto(f"{live_url}/p/{token}?lang={lang}")
    assert page.locator("h1").count() == 1
    assert_accessible(page)


def test_consent_pages_and_a_closed_link_are_accessible(
    page: Page, live_url: str, browser_db: Database, assert_accessible: Check
) -> None:
    page.set_viewport_size(PHONE)
    world = make_world(browser_db)
    _invitation, expired = make_invitation(
        browser_db,
        world,
        due_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=5),
        window=dt.timedelta(hours=48),
    )
    page.goto(f"{live_url}/p/{expired}?lang=en")
    assert "This questionnaire has closed" in page.locator("h1").inner_text()
    assert_accessible(page)
    page.goto(f"{live_url}/p/not-a-real-link-at-all?lang=en")
    assert_accessible(page)

    _invitation_id, token = open_invitation(browser_db, world)
    page.goto(f"{live_url}/p/{token}?lang=en")
    page.locator("button[value=goals]").click()
    page.locator("#new-text").fill("Sove bedre")
    page.locator("button[value=add]").click()
    assert page.locator("textarea").first.input_value() == "Sove bedre"
    assert_accessible(page)
    page.goto(f"{live_url}/p/choices?lang=en")
    fits_the_screen(page)
    assert_accessible(page)
    page.get_by_role("link", name="Pause questionnaires", exact=True).click()
    page.locator("button[value=pause]").click()  # no date: error summary
    assert page.locator("#error-summary").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Back to your choices").click()
    page.get_by_role("link", name="Stop questionnaires", exact=True).click()
    page.locator("button[value=stop]").click()
    assert page.url.endswith("/p/choices/done")
    assert "This does not affect your treatment." in page.locator("main").inner_text()
    assert_accessible(page)


@pytest.mark.parametrize("lang", ["nb", "nn"])
def test_a_norwegian_patient_answers_the_english_only_core10_with_a_notice(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Check,
    save_screenshot: Callable[[Page, str], object],
    lang: str,
) -> None:
    page.set_viewport_size(PHONE)
    world = make_world(browser_db, language=Language(lang))
    _invitation_id, token = open_invitation(browser_db, world, "core10")
    page.goto(f"{live_url}/p/{token}?lang={lang}")
    assert "engelsk" in page.locator("main").inner_text()
    page.locator("button[value=start]").click()
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("[role=note]").count() == 1
    assert page.locator("legend span[lang=en]").count() >= 1
    fits_the_screen(page)
    assert_accessible(page)
    save_screenshot(page, f"core10-{lang}-page1")
    for link_ids in page_plan(get_instrument("core10")):
        assert page.locator("html").get_attribute("lang") == lang
        for link_id in link_ids:
            page.locator(f"label[for='{link_id}-0']").click()  # no risk answer
        page.locator("form button[type=submit]").first.click()
    assert page.url.endswith("/p/finish")
