"""The patient's own plan in the browser: the patient writes a crisis plan and a standing
choice on a 320 px phone with JavaScript off, a risk answer then shows the plan together with
113 and 116 117, and the therapist reads both first on the pre-session view and in the journal
summary at 1280 px; axe on every page, screenshots in test-artifacts/own-plan/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page

from fit_platform.db import Database
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_patient_journey import fits_the_screen
from tests.support.factories import PASSWORD, make_world
from tests.support.patient import open_invitation

Check = Callable[[Page], None]
Shoot = Callable[[Page, str], Path]


def test_a_patient_writes_a_plan_and_a_risk_answer_shows_it_with_the_emergency_numbers(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Check,
    save_screenshot: Shoot,
) -> None:
    page.set_viewport_size(PHONE)
    world = make_world(browser_db)
    _invitation_id, token = open_invitation(browser_db, world)
    page.goto(f"{live_url}/p/{token}?lang=nb")
    page.locator("button[value=choices]").click()
    fits_the_screen(page)
    save_screenshot(page, "own-plan/patient-choices-links-320")
    page.get_by_role("link", name="Min kriseplan").click()
    assert page.locator("h1").inner_text() == "Min kriseplan"
    assert page.locator("main a[href='tel:113']").is_visible()
    fits_the_screen(page)
    assert_accessible(page)
    page.get_by_label("Tegn på at en krise er på vei").fill("Jeg slutter å sove")
    page.get_by_label("Hva som hjelper meg").fill("En tur med søsteren min")
    page.get_by_label("Hvem jeg ringer").fill("Kari 900 00 000")
    page.get_by_label("Hva jeg ikke vil at de ansatte skal gjøre").fill("Ta på meg uten å spørre")
    page.locator("main form button[type=submit]").click()
    assert "Kriseplanen din er lagret." in page.locator("body").inner_text()
    assert page.get_by_label("Hvem jeg ringer").input_value() == "Kari 900 00 000"
    assert_accessible(page)
    save_screenshot(page, "own-plan/patient-crisis-plan-320")

    page.goto(f"{live_url}/p/my-standing-choices")
    fits_the_screen(page)
    page.locator("button[value=add]").click()  # nothing chosen: the error summary
    assert page.locator("#error-summary").is_visible()
    assert_accessible(page)
    page.locator("label[for='new-kind-0']").click()
    page.get_by_label("Med dine egne ord").fill("Jeg har avsluttet ECT")
    page.locator("button[value=add]").click()
    assert "Valget ditt er lagret." in page.locator("body").inner_text()
    assert "Jeg har avsluttet ECT" in page.locator("textarea").first.input_value()
    fits_the_screen(page)
    assert_accessible(page)
    save_screenshot(page, "own-plan/patient-standing-choices-320")

    page.goto(f"{live_url}/p/{token}")
    page.locator("button[value=start]").click()
    for n in range(1, 6):
        page.locator(f"label[for='phq9_{n}-1']").click()
    page.locator("form button[type=submit]").first.click()
    for n in range(6, 9):
        page.locator(f"label[for='phq9_{n}-1']").click()
    page.locator("label[for='phq9_9-2']").click()
    page.locator("form button[type=submit]").first.click()
    assert "/p/help" in page.url
    assert page.locator("main a[href='tel:113']").is_visible()
    assert page.locator("main a[href='tel:116117']").is_visible()
    plan = page.locator("#own-crisis-plan-title").locator("..")
    assert "En tur med søsteren min" in plan.inner_text()
    assert "Kari 900 00 000" in plan.inner_text()
    fits_the_screen(page)
    assert_accessible(page)
    save_screenshot(page, "own-plan/patient-help-after-risk-320")


def test_the_therapist_reads_the_patients_own_plan_first(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Check,
    save_screenshot: Shoot,
) -> None:
    from fit_platform.domain.own_plan import ChoiceEventKind, ChoiceKind, CrisisPlanText
    from fit_platform.services import own_plan
    from tests.support.patient import now

    world = make_world(browser_db)
    own_plan.save_crisis_plan(
        browser_db,
        world.patient_id,
        CrisisPlanText(
            warning_signs="I stop sleeping",
            what_helps="A walk with my sister",
            who_to_call="Kari 900 00 000",
            staff_should="Speak calmly",
            staff_should_not="Do not touch me without asking",
        ),
        now(),
    )
    own_plan.change_choice(
        browser_db,
        world.patient_id,
        now(),
        event=ChoiceEventKind.RECORDED,
        kind=ChoiceKind.ENDED_APPROACH,
        text="I have ended ECT and do not consent to it",
    )
    page.set_viewport_size(DESKTOP)
    page.goto(live_url + "/staff/login?lang=en")
    page.get_by_label("Username").fill(world.therapist_username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_url}/clinician/episodes/{world.episode_id}?lang=en")
    first_panel = page.locator("section.panel").first
    assert "I have ended ECT" in first_panel.inner_text()
    assert "Do not touch me without asking" in first_panel.inner_text()
    assert_accessible(page)
    save_screenshot(page, "own-plan/therapist-presession-1280")

    page.locator("#own-plan-section summary").click()
    page.locator("label[for='own-choice-kind-1']").click()
    page.get_by_label("In the patient's own words").fill("Before any new medication")
    page.get_by_label("The patient is with me and agrees to these words").check()
    page.get_by_role("button", name="Record the choice").click()
    assert "Before any new medication" in page.locator("#own-plan-section").inner_text()
    assert "with the patient" in page.locator("#own-plan-section").inner_text()
    assert_accessible(page)

    page.goto(f"{live_url}/clinician/episodes/{world.episode_id}/summary?lang=en")
    assert "I have ended ECT" in page.locator("#plain-text").input_value()
    assert_accessible(page)
    save_screenshot(page, "own-plan/therapist-journal-summary-1280")


def test_own_days_pages_for_the_patient_at_320_px_and_the_therapist_at_1280_px(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Check,
    save_screenshot: Shoot,
) -> None:
    from fit_platform.domain.codes import ScheduleTrigger, UnitKind
    from tests.support.factories import make_unit
    from tests.support.scheduling import RuleSpec, give_plan

    world = make_world(browser_db, unit=make_unit(browser_db, UnitKind.DAY_PROGRAMME))
    give_plan(
        browser_db,
        world.episode_id,
        RuleSpec("phq9", ScheduleTrigger.DAILY, weekdays="1,2,3,4,5", send_time="10:00"),
    )
    _invitation_id, token = open_invitation(browser_db, world)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/p/{token}?lang=nn")
    page.locator("button[value=choices]").click()
    page.get_by_role("link", name="Dagane mine i dagtilbodet").click()
    fits_the_screen(page)
    assert_accessible(page)
    for day in ("Måndag", "Onsdag", "Fredag"):
        page.get_by_label(day).uncheck()
    page.get_by_role("button", name="Lagre dagane mine").click()
    assert "Dagane dine no: tysdag, torsdag." in page.locator("main").inner_text()
    assert_accessible(page)
    save_screenshot(page, "own-plan/patient-own-days-320")

    page.set_viewport_size(DESKTOP)
    page.goto(live_url + "/staff/login?lang=en")
    page.get_by_label("Username").fill(world.therapist_username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_url}/clinician/episodes/{world.episode_id}/schedule?lang=en")
    page.get_by_role("link", name="The patient's days in the programme").click()
    assert "The patient's days now: Tuesday, Thursday." in page.locator("main").inner_text()
    page.get_by_label("Monday").check()
    page.get_by_role("button", name="Save the patient's days").click()
    assert "Monday, Tuesday, Thursday." in page.locator("main").inner_text()
    assert_accessible(page)
    save_screenshot(page, "own-plan/therapist-own-days-1280")


def test_earlier_versions_of_the_plan_for_the_patient_and_the_therapist_at_320_px(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Check,
    save_screenshot: Shoot,
) -> None:
    world = make_world(browser_db)
    _invitation_id, token = open_invitation(browser_db, world)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/p/{token}?lang=nb")
    page.locator("button[value=choices]").click()
    page.get_by_role("link", name="Min kriseplan").click()
    helps = page.get_by_label("Hva som hjelper meg")
    helps.fill("En tur med søsteren min\nMusikk")
    page.locator("main form button[type=submit]").click()
    page.get_by_label("Hva som hjelper meg").fill("Å ringe Kari")
    page.locator("main form button[type=submit]").click()
    page.get_by_label("Hva som hjelper meg").fill("")
    page.locator("main form button[type=submit]").click()
    assert "Planen din har vært tom siden" in page.locator("main").inner_text()
    page.get_by_role("link", name="Se alle versjonene du har lagret (3)").click()
    assert page.locator("h1").inner_text() == "Tidligere versjoner av kriseplanen min"
    fits_the_screen(page)
    assert_accessible(page)
    save_screenshot(page, "own-plan/patient-crisis-plan-versions-320")
    page.get_by_role("button", name="Gjør versjon 1 til planen min igjen").click()
    assert (
        "Kriseplanen din er hentet tilbake fra versjonen lagret"
        in page.locator("main").inner_text()
    )
    restored = page.get_by_label("Hva som hjelper meg").input_value()
    assert restored == "En tur med søsteren min\nMusikk"

    page.goto(live_url + "/staff/login?lang=en")
    page.get_by_label("Username").fill(world.therapist_username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_url}/clinician/episodes/{world.episode_id}?lang=en")
    page.locator("#own-plan-section").get_by_role("link", name="4 versions kept").click()
    main = page.locator("main").inner_text()
    assert "Version 4 (in force now)" in main and "Empty: the plan was emptied" in main
    assert main.count("Saved by the patient") == 4
    assert "Restored by the patient from the version of" in main and "(version 1)." in main
    fits_the_screen(page)
    assert_accessible(page)
    save_screenshot(page, "own-plan/therapist-crisis-plan-versions-320")


def test_an_emptied_plan_is_named_on_the_pre_session_view_at_320_px(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Check,
    save_screenshot: Shoot,
) -> None:
    from fit_platform.domain.own_plan import CrisisPlanText
    from fit_platform.services import own_plan
    from tests.support.patient import now

    world = make_world(browser_db)
    own_plan.save_crisis_plan(
        browser_db, world.patient_id, CrisisPlanText(what_helps="A walk with my sister"), now()
    )
    own_plan.save_crisis_plan(browser_db, world.patient_id, CrisisPlanText(), now())
    page.set_viewport_size(PHONE)
    page.goto(live_url + "/staff/login?lang=en")
    page.get_by_label("Username").fill(world.therapist_username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_url}/clinician/episodes/{world.episode_id}?lang=nb")
    section = page.locator("#own-plan-section")
    assert "Pasienten tømte kriseplanen" in section.inner_text()
    fits_the_screen(page)
    assert_accessible(page)
    save_screenshot(page, "own-plan/therapist-emptied-plan-320")
    section.get_by_role("link", name="2 versjoner tatt vare på").click()
    assert "A walk with my sister" in page.locator("main").inner_text()
