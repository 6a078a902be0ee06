"""Every page, as every person who uses it sees it, on a small phone, a common phone and a
desktop: axe-core on each, no sideways scrolling anywhere (the document's own scroll width,
not a few boxes), no phone number link broken over two lines, and no form left to the
browser's own check of required fields (its message is in the browser's language). A full-page
screenshot of a page at a width where it has a problem goes to test-
artifacts/pages/<page>-<width>.png, and of every page at every width with
FIT_TEST_SCREENSHOTS=all (to look at them after a change to a page); taking all of them was a
third of the file's time.

The world is the demo's (units, staff of every role, patients with months of answers, schedule
templates), so the pages carry realistic amounts of text and numbers. One world, app and
server serve the whole file (seeding the demo and starting them took 2 to 4 s a test): the
tests only look at it, but for the patient, whose answers the later tests' pages then show
too, and the last, which adds a patient of its own and closes her episode to see the page that
says her treatment period has ended.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import (
    Episode,
    EpisodeTherapist,
    SchedulePlan,
    SharedDecision,
    SharedDecisionEarlier,
    Signal,
    Staff,
    Unit,
)
from fit_platform.domain.codes import Role
from fit_platform.domain.signals import SignalCode
from fit_platform.services.demo_link import demo_patient_link
from fit_platform.services.demo_patients import seed_demo_patients
from fit_platform.services.demo_seed import DEMO_PASSWORD, seed_demo, seed_demo_schedules
from fit_platform.services.episode_close import close_episode
from tests.browser.conftest import ALL_SCREENSHOTS, ARTIFACTS
from tests.conftest import make_test_app
from tests.support.axe import AxeChecker, describe
from tests.support.factories import make_staff, make_world
from tests.support.live_server import serve
from tests.support.patient import open_invitation
from tests.support.scheduling import OSLO

WIDTHS = (320, 390, 1280)
PAGES_DIR = ARTIFACTS / "pages"

Capture = Callable[[str], None]


@pytest.fixture(scope="module")
def browser_app(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The browser tests' app (tests/browser/conftest.py), once for this file."""
    folder = tmp_path_factory.mktemp("every-page")
    path = folder / "browser.sqlite3"
    shutil.copyfile(sqlite_template, path)
    application = make_test_app(f"sqlite:///{path}", folder / "instance")
    yield application
    application.extensions["fit_db"].dispose()


@pytest.fixture(scope="module")
def browser_db(browser_app: Flask) -> Database:
    database: Database = browser_app.extensions["fit_db"]
    return database


@pytest.fixture(scope="module")
def live_url(browser_app: Flask) -> Iterator[str]:
    with serve(browser_app) as url:
        yield url


@pytest.fixture(scope="module")
def demo_world(browser_db: Database) -> dict[str, int | str]:
    seed_demo(browser_db)
    now = dt.datetime.now(dt.UTC)  # as the demo command does, once
    seed_demo_patients(browser_db, now=now, zone=OSLO)
    seed_demo_schedules(browser_db, now=now, zone=OSLO)
    link = demo_patient_link(browser_db, now=now, zone=OSLO)
    with browser_db.session() as session:
        therapist = session.scalars(
            select(Staff.id).where(Staff.username == "terapeut1@demo.fit")
        ).one()
        # The therapist's patient with open signals (the demo's risk answer), so the pages
        # show signals, how long they have waited, a resolved one and a decision about it.
        episode_id = session.scalars(
            select(Episode.id)
            .join(EpisodeTherapist, EpisodeTherapist.episode_id == Episode.id)
            .join(Signal, Signal.episode_id == Episode.id)
            .where(EpisodeTherapist.staff_id == therapist)
            .order_by(Episode.id)
        ).first()
        unit_id = session.scalars(select(Unit.id).where(Unit.code == "dps-nord-pol")).one()
        template_id = session.scalars(
            select(SchedulePlan.id).where(SchedulePlan.episode_id.is_(None))
        ).first()
    assert episode_id is not None and template_id is not None
    with browser_db.session() as session:
        episode = session.get_one(Episode, episode_id)
        patient: dict[str, int | str] = {
            "patient_id": episode.patient_id,
            "patient_unit_id": episode.unit_id,
            "record_id": str(episode.patient.external_id),
        }
    now = dt.datetime.now(dt.UTC)
    with browser_db.transaction() as session:
        resolved = Signal(
            episode_id=episode_id,
            code=SignalCode.NOT_ON_TRACK.value,
            severity="medium",
            source_key="pages:resolved",
            details={"code": SignalCode.NOT_ON_TRACK.value, "instrument": "phq9"},
            raised_at=now - dt.timedelta(days=9),
            acknowledged_at=now - dt.timedelta(days=8),
            acknowledged_by_id=therapist,
            acknowledge_note="Talked about the plan at the session",
            resolved_at=now - dt.timedelta(days=8),
            resolved_by_id=therapist,
            resolve_note="Back within the expected range",
        )
        session.add(resolved)
        session.flush()
        # A decision corrected once (its page lists what it said before) and one withdrawn as
        # written in error (the view lists it without its words).
        decision = SharedDecision(
            episode_id=episode_id,
            signal_id=resolved.id,
            options_discussed="Keep weekly sessions, or add a group",
            decision="Keep weekly sessions for four more weeks",
            recorded_by_id=therapist,
            recorded_at=now - dt.timedelta(days=8),
            visible_to_patient=True,
            version=2,
            corrected_at=now - dt.timedelta(days=7),
            corrected_by_id=therapist,
        )
        session.add(decision)
        session.add(
            SharedDecision(
                episode_id=episode_id,
                options_discussed="Group or not",
                decision="Not for this patient",
                recorded_by_id=therapist,
                recorded_at=now - dt.timedelta(days=6),
                withdrawn_at=now - dt.timedelta(days=6),
                withdrawn_by_id=therapist,
                withdrawal_reason="Written on the wrong patient",
            )
        )
        session.flush()
        session.add(
            SharedDecisionEarlier(
                decision_id=decision.id,
                version=1,
                options_discussed="Keep weekly sessions, or add a group",
                decision="Keep weekly sessions for three more weeks",
                visible_to_patient=True,
                written_by_id=therapist,
                written_at=now - dt.timedelta(days=8),
                replaced_at=now - dt.timedelta(days=7),
            )
        )
        decision_id = decision.id
    return {
        "decision_id": decision_id,
        "link": link,
        "episode_id": episode_id,
        "unit_id": unit_id,
        "therapist_id": therapist,
        "template_id": template_id,
        **patient,
    }


@pytest.fixture
def capture(page: Page, axe_checker: AxeChecker) -> Iterator[Callable[[str], None]]:
    """Look at the page as it is now at every width: axe, no sideways scrolling, and a
    screenshot where there is a problem (or everywhere with FIT_TEST_SCREENSHOTS=all).

    The page is not reloaded between widths (it may be the answer to a POST); it reflows."""
    PAGES_DIR.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []

    def look(name: str) -> None:
        assert page.locator("h1").count() == 1, f"{name}: {page.url} has no single h1"
        to_shoot: list[int] = []
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            if ALL_SCREENSHOTS:
                page.screenshot(path=str(PAGES_DIR / f"{name}-{width}.png"), full_page=True)
            # Playwright evaluates in an isolated world, so this works with JavaScript off.
            # Both widths in one round trip to the browser, not two, per page and width.
            # And every phone number that can be called in one piece: "116 117" broken over
            # two lines at 320 px read as two numbers.
            scroll_width, inner_width, broken = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth,"
                " Array.from(document.querySelectorAll('a[href^=\"tel:\"]'))"
                ".filter(a => a.getClientRects().length > 1).map(a => a.textContent)]"
            )
            if width == WIDTHS[0]:
                # A required field in a form the browser checks itself: its message comes in
                # the browser's language ("Please fill out this field." on a nynorsk page),
                # not the page's; the server says it, translated, where `novalidate` is set.
                unchecked = page.evaluate(
                    "Array.from(document.querySelectorAll('form:not([novalidate]) [required]'))"
                    ".map(field => field.id || field.name)"
                )
                if unchecked:
                    problems.append(f"{name}: the browser checks required fields {unchecked}")
            if scroll_width > inner_width:
                problems.append(f"{name} at {width} px scrolls sideways ({scroll_width} px)")
                to_shoot.append(width)
            if broken:
                problems.append(f"{name} at {width} px breaks a phone number: {broken}")
                to_shoot.append(width)
        for width, violations in zip(
            WIDTHS, axe_checker.violations_at_widths(page, WIDTHS), strict=True
        ):
            if violations:
                problems.append(f"{name} at {width} px: {describe(violations)}")
                to_shoot.append(width)
        if to_shoot and not ALL_SCREENSHOTS:
            for width in sorted(set(to_shoot)):
                page.set_viewport_size({"width": width, "height": 800})
                page.screenshot(path=str(PAGES_DIR / f"{name}-{width}.png"), full_page=True)
            # The test goes on at the last width, as when nothing failed.
            page.set_viewport_size({"width": WIDTHS[-1], "height": 800})

    yield look
    assert problems == [], "\n".join(problems)


def _log_in(page: Page, live_url: str, username: str, lang: str = "nb") -> None:
    page.context.clear_cookies()
    page.goto(f"{live_url}/staff/login?lang={lang}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()


def _visit(
    page: Page,
    live_url: str,
    capture: Capture,
    pages: dict[str, str],
    statuses: Mapping[str, int] | None = None,
) -> None:
    """Capture each page after checking its status: 200 unless `statuses` names another, so
    a wrong id cannot leave its 404 page checked in place of the real one."""
    for name, path in pages.items():
        response = page.goto(live_url + path)
        expected = (statuses or {}).get(name, 200)
        assert response is not None and response.status == expected, (
            name,
            path,
            response and response.status,
        )
        capture(name)


def test_public_pages_fit_every_width(page: Page, live_url: str, capture: Capture) -> None:
    _visit(
        page,
        live_url,
        capture,
        {
            "start": "/",
            "privacy": "/privacy",
            "staff-login": "/staff/login",
            "not-found": "/no-such-page",
        },
        statuses={"not-found": 404},
    )


def test_patient_pages_fit_every_width(
    page: Page, live_url: str, demo_world: dict[str, int | str], capture: Capture
) -> None:
    page.goto(f"{live_url}{demo_world['link']}")
    capture("patient-landing")
    page.locator("button[value=start]").click()
    capture("patient-question")
    page.locator("form button[type=submit]").first.click()  # nothing answered: errors
    capture("patient-question-errors")
    while "/p/answer/" in page.url:
        for fieldset in page.locator("fieldset.item").all():
            fieldset.locator("label").first.click()
        page.locator("form button[type=submit]").first.click()
    capture("patient-check-answers")
    page.locator("form button[type=submit]").first.click()
    capture("patient-done")
    _visit(
        page,
        live_url,
        capture,
        {
            "patient-progress": "/p/progress",
            "patient-choices": "/p/choices",
            "patient-goals": "/p/goals",
        },
    )


def test_clinician_pages_fit_every_width(
    page: Page, live_url: str, demo_world: dict[str, int | str], capture: Capture
) -> None:
    _log_in(page, live_url, "terapeut1@demo.fit")
    episode = demo_world["episode_id"]
    decision = demo_world["decision_id"]
    _visit(
        page,
        live_url,
        capture,
        {
            "caseload": "/clinician/",
            "presession": f"/clinician/episodes/{episode}",
            "all-scores": f"/clinician/episodes/{episode}/scores",
            "decision-new": f"/clinician/episodes/{episode}/decisions/new",
            "decision-correct": f"/clinician/episodes/{episode}/decisions/{decision}/correct",
            "decision-withdraw": f"/clinician/episodes/{episode}/decisions/{decision}/withdraw",
            "appointments": f"/clinician/episodes/{episode}/appointments",
            "schedule": f"/clinician/episodes/{episode}/schedule",
            "journal-summary": f"/clinician/episodes/{episode}/summary",
            "register": "/clinician/register",
            "import": "/clinician/appointments/import",
            "groups": "/groups/",
            "group-new": "/groups/new",
            "account": "/staff/account",
            "password": "/staff/password",
            "totp": "/staff/totp",
        },
    )
    # On a phone each caseload row is a card: the patient's name gets the card's width
    # (it was squeezed to one character per line), and each line says what it is.
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(live_url + "/clinician/")
    name = page.locator("table.caseload tbody th a").first.bounding_box()
    card = page.locator("table.caseload tbody tr").first.bounding_box()
    assert name is not None and card is not None
    assert card["width"] >= 300 and name["height"] < 40, (card, name)
    # A chart wider than the phone opens at its newest end, with its scale out of view: the
    # line above it says so there, and only there.
    page.goto(live_url + f"/clinician/episodes/{episode}?lang=en")
    hint = page.locator(".chart-scroll-hint").first
    assert hint.is_visible()
    assert "scroll sideways in it to see the scale and the legend" in hint.inner_text()
    box = page.locator(".chart-wrap").first
    assert box.evaluate("element => element.scrollWidth > element.clientWidth")
    # At a desk the header lines up with the page, and "Log out" stays on one line.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_url + f"/clinician/episodes/{episode}?lang=en")
    assert not page.locator(".chart-scroll-hint").first.is_visible()
    assert box.evaluate("element => element.scrollWidth <= element.clientWidth")
    page.goto(live_url + "/clinician/")
    header = page.locator(".header-row").bounding_box()
    main = page.locator("main").bounding_box()
    logout = page.locator("form.logout button").bounding_box()
    assert header is not None and main is not None and logout is not None
    assert abs(header["x"] - main["x"]) <= 1 and logout["height"] < 50
    # Chart labels are at least 12 px as shown, on a phone (the chart scrolls in its box)
    # and at a desk.
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{live_url}/clinician/episodes/{episode}")
        sizes = page.locator("svg.chart text").evaluate_all(
            # The font size in chart units times the chart's scale on screen.
            "texts => texts.map(t => parseFloat(t.getAttribute('font-size'))"
            " * t.ownerSVGElement.getScreenCTM().a)"
        )
        assert sizes and min(sizes) >= 12, (width, min(sizes))


def test_unit_lead_pages_fit_every_width(
    page: Page, live_url: str, demo_world: dict[str, int | str], capture: Capture
) -> None:
    _log_in(page, live_url, "terapeut2@demo.fit")
    _visit(page, live_url, capture, {"caseload-unit-lead": "/clinician/"})


def test_service_developer_pages_fit_every_width(
    page: Page, live_url: str, demo_world: dict[str, int | str], capture: Capture
) -> None:
    _log_in(page, live_url, "utvikler@demo.fit")
    _visit(
        page,
        live_url,
        capture,
        {
            "export-start": "/export/start",
            "export": "/export/",
            "export-comments": "/export/comments",
            "export-report": "/export/report",
            "export-codebook": "/export/codebook",
        },
    )


def test_admin_pages_fit_every_width(
    page: Page, live_url: str, demo_world: dict[str, int | str], capture: Capture
) -> None:
    _log_in(page, live_url, "admin@demo.fit")
    unit = demo_world["unit_id"]
    patient = demo_world["patient_id"]
    found = f"unit={demo_world['patient_unit_id']}&record_id={demo_world['record_id']}"
    _visit(
        page,
        live_url,
        capture,
        {
            "admin": "/admin/",
            "admin-units": "/admin/units",
            "admin-unit": f"/admin/units/{unit}",
            "admin-unit-episodes": f"/admin/units/{unit}/episodes",
            "admin-unit-archive": f"/admin/units/{unit}/archive",
            "admin-staff": "/admin/staff",
            "admin-staff-detail": f"/admin/staff/{demo_world['therapist_id']}",
            "admin-staff-deactivate": f"/admin/staff/{demo_world['therapist_id']}/deactivate",
            "admin-staff-invite": "/admin/staff/invite",
            "admin-identities": "/admin/identities",
            "admin-instruments": "/admin/instruments",
            "admin-templates": "/admin/schedule-templates",
            "admin-template": f"/admin/schedule-templates/{demo_world['template_id']}",
            "admin-patients": "/admin/patients",
            "admin-patient-found": f"/admin/patients?{found}",
            "admin-patient-contact": f"/admin/patients/{patient}/contact?{found}",
            "admin-patient-erase": f"/admin/patients/{patient}/erase?{found}",
            "admin-access-log": "/admin/access-log",
            "admin-audit": "/admin/audit",
        },
    )


def test_the_ended_treatment_period_page_fits_every_width(
    page: Page, live_url: str, browser_db: Database, capture: Capture
) -> None:
    # A patient of her own beside the demo's, so closing her episode changes nothing the
    # other tests look at. She went to her choices from her link before the close, so her
    # browser holds the link; afterwards every choices page shows the same 410 page
    # (web/patient/choice_pages.py).
    world = make_world(browser_db)
    _invitation_id, token = open_invitation(browser_db, world)
    page.context.clear_cookies()
    page.goto(f"{live_url}/p/{token}")
    page.locator("button[value=choices]").click()
    assert page.url.endswith("/p/choices")
    now = dt.datetime.now(dt.UTC)
    close_episode(
        browser_db,
        staff_id=make_staff(browser_db, (Role.ADMIN, None)).id,
        unit_id=world.unit_id,
        episode_id=world.episode_id,
        today=now.astimezone(OSLO).date(),
        now=now,
    )
    _visit(
        page,
        live_url,
        capture,
        {"patient-choices-ended": "/p/choices"},
        statuses={"patient-choices-ended": 410},
    )
