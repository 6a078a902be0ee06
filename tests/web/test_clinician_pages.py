from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import AccessLog, SharedDecision, Signal
from fit_platform.domain.codes import Role
from fit_platform.domain.signals import SignalCode
from tests.support.clinical import add_goal, add_signal, add_topic
from tests.support.factories import PASSWORD, add_history, make_staff, make_world
from tests.support.html import csrf_token, log_in


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def test_caseload_lists_own_patients_with_status_word(app: Flask, client: FlaskClient) -> None:
    db = _db(app)
    world = make_world(db)
    other = make_world(db)
    add_signal(db, world, SignalCode.RISK_ANSWER)
    log_in(client, world.therapist_username, PASSWORD)
    html = client.get("/clinician/?lang=en").get_data(as_text=True)
    assert f"/clinician/episodes/{world.episode_id}" in html
    assert f"/clinician/episodes/{other.episode_id}" not in html
    assert "Risk: acknowledge" in html and "status-risk" in html


def test_caseload_answers_bad_query_parameters_with_the_default_not_a_400_page(
    app: Flask, client: FlaskClient
) -> None:
    world = make_world(_db(app))
    log_in(client, world.therapist_username, PASSWORD)
    for query in ("sort=evil", "show=%00", "scope=everyone"):
        response = client.get(f"/clinician/?{query}&lang=en")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "We could not use what was sent" not in html
        assert "so the default is shown" in html
    assert client.get("/clinician/?sort=name&show=signals").status_code == 200


def test_a_blank_caseload_scope_shows_the_default_list_not_an_error(
    app: Flask, client: FlaskClient
) -> None:
    # Found by the fuzz suite: "scope= " passed the form (blank is optional) and then failed
    # as a scope value, a 500 for a unit lead and a therapist alike.
    db = _db(app)
    world = make_world(db)
    lead = make_staff(db, (Role.UNIT_LEAD, world.unit_id))
    log_in(client, lead.username, PASSWORD)
    for blank in ("+", "%20%20", "%09", ""):
        response = client.get(f"/clinician/?sort=priority&show=all&scope={blank}&lang=en")
        assert response.status_code == 200, blank
        # A lead's default is everyone in the units they lead: the unit's patient is listed.
        assert f"/clinician/episodes/{world.episode_id}" in response.get_data(as_text=True)


def test_presession_view_shows_goals_topics_chart_table_and_answers(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    add_history(db, world, [20, 16, 12, 8])
    add_history(db, world, [56, 54, 51], "wai_sr")
    add_goal(db, world, "Sleep <better>")
    add_topic(db, world, "Work")
    add_signal(db, world, SignalCode.NOT_ON_TRACK)
    log_in(client, world.therapist_username, PASSWORD)
    response = client.get(f"/clinician/episodes/{world.episode_id}?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Sleep &lt;better&gt;" in html and "Work" in html
    assert 'role="img" aria-labelledby="chart-phq9-title chart-phq9-desc"' in html
    assert "Clinical cut-off 10" in html and 'stroke-dasharray="8 4"' in html
    assert "reliably better since the first score of 20" in html
    assert "Little interest or pleasure in doing things" in html
    assert "Not on track" in html and "Drop from last time" in html
    assert "<script" not in html and "style=" not in html


def test_someone_elses_episode_is_not_found_and_not_logged(app: Flask, client: FlaskClient) -> None:
    db = _db(app)
    mine = make_world(db)
    other = make_world(db)
    log_in(client, mine.therapist_username, PASSWORD)
    assert client.get(f"/clinician/episodes/{other.episode_id}").status_code == 404
    with db.session() as session:
        assert session.scalars(select(AccessLog.patient_id)).all() == []


def test_acknowledging_a_risk_signal_needs_a_note_then_records_it(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    signal_id = add_signal(db, world, SignalCode.RISK_ANSWER)
    log_in(client, world.therapist_username, PASSWORD)
    page = client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    url = f"/clinician/episodes/{world.episode_id}/signals/{signal_id}/acknowledge"
    refused = client.post(url, data={"csrf_token": csrf_token(page), "note": ""})
    assert refused.status_code == 422
    assert "Write what was done before you acknowledge a risk signal." in refused.get_data(
        as_text=True
    )
    client.post(url, data={"csrf_token": csrf_token(page), "note": "Phoned; safety plan"})
    with db.session() as session:
        signal = session.get(Signal, signal_id)
        assert signal is not None and signal.acknowledge_note == "Phoned; safety plan"


def test_recording_a_samvalg_decision_from_a_signal(app: Flask, client: FlaskClient) -> None:
    db = _db(app)
    world = make_world(db)
    signal_id = add_signal(db, world, SignalCode.NOT_ON_TRACK)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/decisions/new"
    form = client.get(f"{url}?signal={signal_id}&lang=en").get_data(as_text=True)
    assert "About the signal:" in form
    empty = client.post(url, data={"csrf_token": csrf_token(form), "signal_id": signal_id})
    assert empty.status_code == 400
    assert "Write the options you discussed." in empty.get_data(as_text=True)
    saved = client.post(
        url,
        data={
            "csrf_token": csrf_token(form),
            "signal_id": signal_id,
            "options_discussed": "Keep going; more sessions",
            "decision": "More sessions for a month",
            "review_on": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
            "visible_to_patient": "y",
        },
    )
    assert saved.status_code == 302
    with db.session() as session:
        decision = session.scalars(select(SharedDecision)).one()
        assert decision.signal_id == signal_id and decision.visible_to_patient


def test_admin_and_service_developer_get_403_on_every_clinician_page(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    developer = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    log_in(client, developer.username, PASSWORD)
    assert client.get("/clinician/?lang=en").status_code == 403
    assert client.get(f"/clinician/episodes/{world.episode_id}").status_code == 403


def test_an_administrator_refused_a_clinical_page_is_told_why(client: FlaskClient) -> None:
    """A walk as the administrator met 403 on every clinical page with "Contact your
    administrator if you think this is wrong": the admin role never opens patients' records,
    and the page now says so, and how someone who does both works."""
    admin = make_staff(_db(client.application), (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    for path in ("/clinician/register", "/clinician/episodes/1/appointments"):
        refused = client.get(f"{path}?lang=en")
        assert refused.status_code == 403
        html = refused.get_data(as_text=True)
        assert "An administrator&#39;s role does not open patients&#39; treatment pages" in html
        assert "Contact your administrator" not in html
    # Other roles keep the plain page.
    developer = make_staff(_db(client.application), (Role.SERVICE_DEVELOPER, None))
    log_in(client, developer.username, PASSWORD)
    plain = client.get("/clinician/register?lang=en").get_data(as_text=True)
    assert "Contact your administrator" in plain


def test_an_alliance_score_lower_by_less_than_a_drop_is_not_called_no_drop(
    app: Flask, client: FlaskClient
) -> None:
    """ "No drop from 56 last time" beside 55 read as if the numbers were wrong: the rule counts
    a fall of 2.5 % of the range (1.2 points on the WAI-SR) as a drop. The first answer, with
    no last time, has a dash in the drop column, not "No"."""
    db = _db(app)
    world = make_world(db)
    add_history(db, world, [56, 55], "wai_sr")
    log_in(client, world.therapist_username, PASSWORD)
    html = client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    assert "lower than 56 last time, by less than the 1.2 points that count as a drop" in html
    assert "no drop from" not in html
    table = html.split("Drop from last time", 1)[1].split("</table>", 1)[0]
    assert table.count("<td>–</td>") == 1 and table.count("<td>No</td>") == 1
