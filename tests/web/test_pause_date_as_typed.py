"""The pause page's date as a patient without a date picker types it. The hint showed
"For example 18. desember 2026" and the form read only 2026-12-18, so typing what the hint
showed (or 18.12.2026) was refused with "for example 2026-12-31", a third way of writing it.
Followed to the therapist's pre-session view, which names the same last day."""

from __future__ import annotations

import datetime as dt
import re

from babel import dates
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.db.models import Patient as PatientRow
from fit_platform.domain.codes import ConsentState
from tests.support.factories import PASSWORD, World, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, now, open_invitation
from tests.support.scheduling import OSLO


def _pause_page(client: FlaskClient, db: Database) -> tuple[Patient, World, str]:
    world = make_world(db)
    _invitation, token = open_invitation(db, world)
    patient = Patient(client, token)
    assert patient.post(f"/p/{token}", {"action": "choices"}).status_code == 302
    page = client.get("/p/choices/pause?lang=nb").get_data(as_text=True)
    return patient, world, page


def test_the_date_the_hint_shows_is_a_date_the_form_takes(
    client: FlaskClient, db: Database
) -> None:
    patient, world, page = _pause_page(client, db)
    hint = re.search(r'<p class="hint" id="pause-until-hint">For eksempel ([^<]+)\.</p>', page)
    assert hint is not None
    example = hint.group(1)
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4}", example), example

    saved = patient.post("/p/choices/pause", {"action": "pause", "pause-until": example})

    assert saved.status_code == 302
    last_day = dt.datetime.strptime(example, "%d.%m.%Y").date()
    with db.session() as session:
        row = session.get_one(PatientRow, world.patient_id)
        assert row.consent_state is ConsentState.PAUSED
        assert row.paused_until == last_day
    # The therapist reads the same last day the patient typed, and the day after it.
    therapist = client.application.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    view = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=nb")
    page = " ".join(view.get_data(as_text=True).split())
    again = dates.format_skeleton("MMMd", last_day + dt.timedelta(days=1), locale="nb")
    medium = dates.format_date(last_day, "medium", locale="nb")
    assert f"På pause til og med {medium} (spørreskjema igjen fra {again})" in page


def test_a_date_typed_with_slashes_is_read_too_and_nonsense_gets_the_typed_form(
    client: FlaskClient, db: Database
) -> None:
    patient, world, _page = _pause_page(client, db)
    refused = patient.post("/p/choices/pause", {"action": "pause", "pause-until": "neste uke"})
    assert refused.status_code == 422
    assert "Skriv en dato som 31.12.2026." in refused.get_data(as_text=True)

    until = now().astimezone(OSLO).date() + dt.timedelta(days=10)
    typed = until.strftime("%d/%m/%Y")
    saved = patient.post("/p/choices/pause", {"action": "pause", "pause-until": typed})

    assert saved.status_code == 302
    with db.session() as session:
        assert session.get_one(PatientRow, world.patient_id).paused_until == until
