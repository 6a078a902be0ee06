"""A questionnaire that never reached the patient shows on the therapist's caseload, the list
they scan first, not only on the appointments page: the therapist books a session, the
scheduler's invitation SMS fails for good at the real loopback endpoint, and the caseload says
"Not delivered" with the cause and a link to the advice. Once the next questionnaire reaches
the patient, the marker goes. Every time is fixed (Oslo); nothing reads the wall clock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Channel, Role
from fit_platform.messaging.dispatcher import Dispatcher, DispatcherSettings
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.scheduler.clock import run_once
from tests.messaging.conftest import SmsEndpoint, compiled_translations, sms_endpoint
from tests.support.factories import PASSWORD, World, make_staff, make_unit, make_world
from tests.support.html import csrf_token, log_in
from tests.support.scheduling import DAY_BEFORE, Clock, give_plan, oslo

__all__ = ["compiled_translations", "sms_endpoint"]

# Tuesday 24 November 2026, noon in Oslo, outside every unit's quiet hours.
NOON = oslo(2026, 11, 24, 12)


@pytest.fixture
def sms(sms_endpoint: SmsEndpoint) -> Iterator[HttpSmsChannel]:
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as channel:
        yield channel


def _book(client: FlaskClient, world: World, day: str) -> None:
    url = f"/clinician/episodes/{world.episode_id}/appointments"
    form = client.get(url + "?lang=en").get_data(as_text=True)
    booked = client.post(url, data={"csrf_token": csrf_token(form), "day": day, "time": "10:00"})
    assert booked.status_code == 302


def _row(page: str, world: World) -> str:
    """The caseload row of the world's patient."""
    start = page.index(f'/clinician/episodes/{world.episode_id}"')
    return page[start : page.index("</tr>", start)]


def _unanswered_cell(row: str) -> str:
    cells: list[str] = re.findall(r'<td data-label="Waiting for an answer">(.*?)</td>', row, re.S)
    [cell] = cells
    return cell


def test_the_caseload_marks_a_patient_whose_questionnaire_was_not_delivered(
    app: Flask,
    client: FlaskClient,
    sms_endpoint: SmsEndpoint,
    sms: HttpSmsChannel,
    compiled_translations: Path,
) -> None:
    db: Database = app.extensions["fit_db"]
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    refused, reached = (make_world(db, unit=unit, therapist=therapist) for _ in range(2))
    for world in (refused, reached):
        give_plan(db, world.episode_id, DAY_BEFORE)
    clock = Clock(NOON)
    app.extensions["fit_clock"] = clock
    log_in(client, therapist.username, PASSWORD)
    _book(client, refused, "2026-11-26")
    _book(client, reached, "2026-11-27")
    dispatcher = Dispatcher(
        db,
        {Channel.SMS: sms},
        lambda t: f"https://fit.example.no/p/{t}",
        DispatcherSettings(max_attempts=1),
        clock,
        translations_dir=compiled_translations,
    )
    # The day before each session, at 10:00: the provider refuses the first patient's
    # number; a day later the second patient's questionnaire goes through.
    clock.now, sms_endpoint.mode = oslo(2026, 11, 25, 10), "400"
    run_once(db, dispatcher, clock=clock)
    clock.now, sms_endpoint.mode = oslo(2026, 11, 26, 10), "ok"
    run_once(db, dispatcher, clock=clock)
    assert len(sms_endpoint.accepted) == 1

    # Days later by the app's clock: the therapist logs in again.
    log_in(client, therapist.username, PASSWORD)
    page = client.get("/clinician/?lang=en").get_data(as_text=True)
    assert "A questionnaire did not reach 1 patient" in page
    cell = _unanswered_cell(_row(page, refused))
    assert cell.startswith("0")  # nothing was sent, so nothing is unanswered
    assert "Not delivered: 1" in cell
    assert "Refused by the provider: the number or address may be wrong." in cell
    link = f'href="/clinician/episodes/{refused.episode_id}/appointments#questionnaires"'
    assert link in cell
    assert _unanswered_cell(_row(page, reached)).strip() == "1"

    # "Show" lists just the patients a questionnaire did not reach.
    assert '<option value="not_delivered">With questionnaires not delivered</option>' in page
    shown = client.get("/clinician/?show=not_delivered&lang=en").get_data(as_text=True)
    assert f'/clinician/episodes/{refused.episode_id}"' in shown
    assert f'/clinician/episodes/{reached.episode_id}"' not in shown
    assert "1 patient" in shown
    assert "Med spørreskjemaer som ikke ble levert" in client.get(
        "/clinician/?show=not_delivered&lang=nb"
    ).get_data(as_text=True)

    # The link leads to the advice.
    appointments = client.get(
        f"/clinician/episodes/{refused.episode_id}/appointments?lang=nb"
    ).get_data(as_text=True)
    assert 'id="questionnaires"' in appointments
    assert "Sjekk telefonnummeret eller e-postadressen til pasienten." in appointments

    # In bokmål and nynorsk too.
    assert "Ikke levert: 1" in _row(
        client.get("/clinician/?lang=nb").get_data(as_text=True), refused
    )
    assert "Ikkje levert: 1" in _row(
        client.get("/clinician/?lang=nn").get_data(as_text=True), refused
    )


def test_the_marker_goes_once_the_next_questionnaire_reaches_the_patient(
    app: Flask,
    client: FlaskClient,
    sms_endpoint: SmsEndpoint,
    sms: HttpSmsChannel,
    compiled_translations: Path,
) -> None:
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    give_plan(db, world.episode_id, DAY_BEFORE)
    clock = Clock(NOON)
    app.extensions["fit_clock"] = clock
    log_in(client, world.therapist_username, PASSWORD)
    _book(client, world, "2026-11-26")
    _book(client, world, "2026-12-03")
    dispatcher = Dispatcher(
        db,
        {Channel.SMS: sms},
        lambda t: f"https://fit.example.no/p/{t}",
        DispatcherSettings(max_attempts=1),
        clock,
        translations_dir=compiled_translations,
    )

    clock.now = oslo(2026, 11, 25, 10)
    sms_endpoint.mode = "500"  # the gateway is down
    run_once(db, dispatcher, clock=clock)
    # Days later by the app's clock: the therapist logs in again, as after every jump below.
    log_in(client, world.therapist_username, PASSWORD)
    cell = _unanswered_cell(_row(client.get("/clinician/?lang=en").get_data(as_text=True), world))
    assert "Not delivered: 1" in cell
    assert "The message service did not work." in cell

    # After the window has closed it is still not delivered, not merely unanswered.
    clock.now = oslo(2026, 11, 27, 12)
    run_once(db, None, clock=clock)
    log_in(client, world.therapist_username, PASSWORD)
    cell = _unanswered_cell(_row(client.get("/clinician/?lang=en").get_data(as_text=True), world))
    assert "Not delivered: 1" in cell

    # The gateway works again; the next questionnaire reaches the patient.
    clock.now = oslo(2026, 12, 2, 10)
    sms_endpoint.mode = "ok"
    run_once(db, dispatcher, clock=clock)
    assert len(sms_endpoint.accepted) == 1
    log_in(client, world.therapist_username, PASSWORD)
    page = client.get("/clinician/?lang=en").get_data(as_text=True)
    cell = _unanswered_cell(_row(page, world))
    assert cell.strip() == "1"
    assert "did not reach" not in page
