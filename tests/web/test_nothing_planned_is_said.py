"""A patient registered in a unit whose template has no rule in use is sent nothing, and every
page on the way now says so.

Seen in a review of a new clinic set up through the web: the therapist registered a patient in
a unit without a schedule template. Registration said "Add the appointments next", the
caseload and the pre-session view said "Gives feedback", and only the schedule page said
"nothing is sent"; its questionnaire list was empty (no questionnaire enabled for the unit)
and adding a rule answered "Not a valid choice". Through the web layer: the administrator's
switches, the therapist's registration, the schedule page, the pre-session view.
"""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from fit_platform.services.unit_instruments import enabled_ids
from tests.support.factories import PASSWORD, make_staff, make_unit
from tests.support.html import csrf_token, log_in
from tests.support.registration import post_registration
from tests.web.test_episode_schedule import _rule

NOTHING_PLANNED = "No questionnaire is planned: nothing is sent to this patient."
NO_INSTRUMENT = "No questionnaire is enabled for this unit, so no rule can be added."


def _switch_all_off(client: FlaskClient, db: Database, unit_id: int) -> None:
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    for instrument_id in sorted(_enabled(db, unit_id)):
        page = client.get("/admin/instruments?lang=en").get_data(as_text=True)
        switched = client.post(
            f"/admin/instruments/units/{unit_id}/{instrument_id}",
            data={"csrf_token": csrf_token(page), "enabled": "0"},
        )
        assert switched.status_code == 302
    assert _enabled(db, unit_id) == frozenset()
    client.post("/staff/logout", data={"csrf_token": csrf_token(page)})


def _enabled(db: Database, unit_id: int) -> frozenset[str]:
    with db.session() as session:
        return enabled_ids(session, unit_id)


def test_a_patient_with_nothing_planned_is_said_to_get_nothing_until_a_rule_is_added(
    client: FlaskClient,
) -> None:
    db: Database = client.application.extensions["fit_db"]
    unit = make_unit(db)  # no schedule template
    _switch_all_off(client, db, unit.id)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    log_in(client, therapist.username, PASSWORD)

    registered = post_registration(client, unit.id)
    assert registered.status_code == 302
    schedule_url = registered.headers["Location"]
    match = re.fullmatch(r"/clinician/episodes/(\d+)/schedule", schedule_url.split("?")[0])
    assert match, schedule_url  # the plan first, not the appointments
    episode_id = int(match[1])
    schedule = client.get(schedule_url + "?lang=en").get_data(as_text=True)
    assert "but no questionnaire is planned" in schedule
    assert NO_INSTRUMENT in schedule and "Add rule</button>" not in schedule

    view_url = f"/clinician/episodes/{episode_id}"
    view = client.get(view_url + "?lang=en").get_data(as_text=True)
    assert NOTHING_PLANNED in view
    assert f'href="/clinician/episodes/{episode_id}/schedule">Add a rule' in view
    nb = client.get(view_url + "?lang=nb").get_data(as_text=True)
    assert "Ingen spørreskjemaer er planlagt: ingenting sendes til denne pasienten." in nb

    # The administrator enables the PHQ-9; the therapist can add a rule, and the line goes.
    admin = make_staff(db, (Role.ADMIN, None))
    admin_client = client.application.test_client()
    log_in(admin_client, admin.username, PASSWORD)
    page = admin_client.get("/admin/instruments?lang=en").get_data(as_text=True)
    admin_client.post(
        f"/admin/instruments/units/{unit.id}/phq9",
        data={"csrf_token": csrf_token(page), "enabled": "1"},
    )
    schedule = client.get(schedule_url + "?lang=en").get_data(as_text=True)
    assert NO_INSTRUMENT not in schedule
    data = {f"new-{key}": value for key, value in _rule().items()}
    added = client.post(schedule_url, data={"new-csrf_token": csrf_token(schedule), **data})
    assert added.status_code == 302
    assert NOTHING_PLANNED not in client.get(view_url + "?lang=en").get_data(as_text=True)
