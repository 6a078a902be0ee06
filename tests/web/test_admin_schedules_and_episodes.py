"""Schedule templates and episodes through the admin pages, and where each role lands and
finds its pages. Each test follows the change to what the other person sees."""

from __future__ import annotations

import json

from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import (
    AccessLog,
    AdminAudit,
    Episode,
    Invitation,
    Programme,
    SchedulePlan,
    ScheduleRule,
)
from fit_platform.domain.codes import EpisodeStatus, InvitationState, Role, ScheduleTrigger
from tests.support.factories import PASSWORD, make_invitation, make_staff, make_unit, make_world
from tests.support.html import csrf_token, log_in
from tests.support.scheduling import oslo


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _log_in_admin(client: FlaskClient) -> None:
    admin = make_staff(_db(client), (Role.ADMIN, None), name="Ada Admin")
    log_in(client, admin.username, PASSWORD)


def _log_out(client: FlaskClient) -> None:
    token = csrf_token(client.get("/staff/account").get_data(as_text=True))
    client.post("/staff/logout", data={"csrf_token": token})


def _rule(prefix: str = "new", /, **changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "instrument": "phq9",
        "trigger": "before_appointment",
        "offset_hours": "24",
        "window_hours": "24",
        "reminder_after_hours": "6",
        "min_interval_hours": "0",
        "active": "y",
        **changes,
    }
    return {f"{prefix}-{key}": value for key, value in fields.items()}


def _count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_template_with_a_preview_is_what_the_next_registered_patient_gets(
    client: FlaskClient,
) -> None:
    db = _db(client)
    # Today is Monday 7 December 2026 in Oslo: the example course starts on the 14th.
    client.application.extensions["fit_clock"] = lambda: oslo(2026, 12, 7, 12)
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    _log_in_admin(client)
    page = client.get("/admin/schedule-templates?lang=en").get_data(as_text=True)
    token = csrf_token(page)
    response = client.post(
        "/admin/schedule-templates",
        data={"csrf_token": token, "name": "Standard", "owner": f"unit:{unit.id}"},
    )
    assert response.status_code == 302
    url = response.headers["Location"]
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Nothing would be sent" in page
    assert client.post(url, data={"new-csrf_token": token, **_rule()}).status_code == 302

    page = client.get(url + "?lang=en").get_data(as_text=True)
    # One PHQ-9 the day before each of six weekly appointments at 10:00, reminder 6 h later.
    preview = page[
        page.index('id="preview-heading"') : page.index(
            "</section>", page.index('id="preview-heading"')
        )
    ]
    assert preview.count("<tr>") == 1 + 6  # the header row and one row per appointment
    assert preview.count("Before each appointment") == 6
    [added] = session_audits(db, "schedule_rule_added")
    assert json.loads(added.after or "{}")["instrument_id"] == "phq9"

    # A second template for the same unit is refused.
    again = client.post(
        "/admin/schedule-templates?lang=en",
        data={"csrf_token": token, "name": "Another", "owner": f"unit:{unit.id}"},
    )
    assert again.status_code == 422
    assert "There is a template for this already" in again.get_data(as_text=True)

    # The therapist registers a patient: the episode gets its own copy of the template.
    _log_out(client)
    log_in(client, therapist.username, PASSWORD)
    register = client.get("/clinician/register?lang=en").get_data(as_text=True)
    response = client.post(
        "/clinician/register",
        data={
            "csrf_token": csrf_token(register),
            "display_name": "Kari Nordmann",
            "phone": "+4791234567",
            "language": "nb",
            "channel": "sms",
            "unit": str(unit.id),
            "started_on": "2026-12-07",
            "form_nonce": "n-1",
        },
    )
    assert response.status_code == 302
    with db.session() as session:
        episode_id = session.scalars(select(Episode.id)).one()
        copied = session.scalars(
            select(ScheduleRule)
            .join(SchedulePlan, SchedulePlan.id == ScheduleRule.plan_id)
            .where(SchedulePlan.episode_id == episode_id)
        ).one()
    assert (copied.instrument_id, copied.trigger, copied.offset_hours) == (
        "phq9",
        ScheduleTrigger.BEFORE_APPOINTMENT,
        24,
    )
    schedule = client.get(f"/clinician/episodes/{episode_id}/schedule?lang=en")
    assert 'selected value="phq9"' in schedule.get_data(as_text=True)


def session_audits(db: Database, action: str) -> list[AdminAudit]:
    with db.session() as session:
        return list(session.scalars(select(AdminAudit).where(AdminAudit.action == action)))


def test_a_template_rule_whose_reminder_comes_after_its_window_is_refused_and_not_saved(
    client: FlaskClient,
) -> None:
    db = _db(client)
    unit = make_unit(db)
    _log_in_admin(client)
    page = client.get("/admin/schedule-templates?lang=nn").get_data(as_text=True)
    token = csrf_token(page)
    response = client.post(
        "/admin/schedule-templates",
        data={"csrf_token": token, "name": "Standard", "owner": f"unit:{unit.id}"},
    )
    url = response.headers["Location"]
    good = _rule(offset_hours="36")
    assert client.post(url, data={"new-csrf_token": token, **good}).status_code == 302
    audits = _count(db, AdminAudit)
    cases: list[tuple[dict[str, object], str]] = [
        ({"reminder_after_hours": "30"}, "Påminninga må kome før svarfristen går ut."),
        ({"trigger": "weekly", "weekdays": []}, "Ein vekeleg regel treng minst éin dag."),
        ({"window_hours": "0"}, "Skriv inn 1 til 672 timar."),
    ]
    for bad, message in cases:
        response = client.post(url + "?lang=nn", data={"new-csrf_token": token, **_rule(**bad)})
        assert response.status_code == 422, bad
        html = response.get_data(as_text=True)
        assert message in html, bad
        assert "<title>Feil: " in html, bad
        # The stored rule's own form still shows its values next to the refused one.
        assert 'value="36"' in html, bad
        # On the field it is about: "Når: Påminninga må …" read as if the trigger were wrong.
        assert f"Når: {message}" not in html, bad
    assert _count(db, ScheduleRule) == 1
    assert _count(db, AdminAudit) == audits


def test_an_admin_transfers_an_episode_and_only_the_new_therapist_sees_it(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    successor = make_staff(db, (Role.THERAPIST, world.unit_id), name="Siri Successor")
    outsider = make_staff(db, (Role.THERAPIST, make_unit(db).id))
    _log_in_admin(client)
    url = f"/admin/units/{world.unit_id}/episodes"
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Siri Successor" in page
    token = csrf_token(page)
    prefix = f"transfer-{world.episode_id}"
    # Someone from another unit is not offered and is refused when forged.
    forged = client.post(
        f"{url}/{world.episode_id}/transfer?lang=en",
        data={"csrf_token": token, f"{prefix}-therapist": str(outsider.id)},
    )
    assert forged.status_code == 422
    response = client.post(
        f"{url}/{world.episode_id}/transfer",
        data={
            "csrf_token": token,
            f"{prefix}-therapist": str(successor.id),
            f"{prefix}-reason": "Therapist on leave",
        },
    )
    assert response.status_code == 302
    [audit] = session_audits(db, "episode_transferred")
    assert json.loads(audit.before or "{}") == {"responsible_staff_ids": [world.therapist_id]}
    assert audit.reason == "Therapist on leave"
    # The trail names both therapists, not their staff ids (a walk read "2 → 3").
    trail = client.get("/admin/audit?lang=en").get_data(as_text=True)
    row = trail[trail.index("Episode transferred") :].split("</tr>", 1)[0]
    assert "Responsible therapist: " in row and "Siri Successor" in row
    assert f"Responsible therapist: {world.therapist_id}<" not in row
    with db.session() as session:
        actions = session.scalars(
            select(AccessLog.action).where(AccessLog.patient_id == world.patient_id)
        ).all()
    assert "admin_episode_list" in actions and "admin_episode_transfer" in actions

    _log_out(client)
    log_in(client, successor.username, PASSWORD)
    assert client.get(f"/clinician/episodes/{world.episode_id}").status_code == 200
    _log_out(client)
    log_in(client, world.therapist_username, PASSWORD)
    assert client.get(f"/clinician/episodes/{world.episode_id}").status_code == 404


def test_closing_an_episode_cancels_its_unanswered_questionnaires(client: FlaskClient) -> None:
    db = _db(client)
    world = make_world(db)
    sent, _token = make_invitation(db, world, state=InvitationState.SENT)
    done, _other = make_invitation(db, world, state=InvitationState.COMPLETED)
    # While the sent one can still be answered (the answered one is not counted).
    client.application.extensions["fit_clock"] = lambda: oslo(2026, 11, 26, 12)
    _log_in_admin(client)
    url = f"/admin/units/{world.unit_id}/episodes"
    # Before closing, the page says what the close cancels (the patient's questionnaire in
    # hand: a walk closed a minute after the last session's was sent, and lost it).
    before = client.get(url + "?lang=en").get_data(as_text=True)
    assert (
        "1 questionnaire sent to the patient can still be answered: closing the episode cancels it."
    ) in before
    token = csrf_token(before)
    response = client.post(f"{url}/{world.episode_id}/close", data={"csrf_token": token})
    assert response.status_code == 302
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "No open episodes in this unit." in page
    with db.session() as session:
        episode = session.get_one(Episode, world.episode_id)
        states = {
            row.id: (row.state, row.non_response_reason)
            for row in session.scalars(select(Invitation))
        }
    assert episode.status is EpisodeStatus.ENDED and episode.ended_on is not None
    assert states[sent.id] == (InvitationState.CANCELLED, "episode_closed")
    assert states[done.id][0] is InvitationState.COMPLETED
    [audit] = session_audits(db, "episode_closed")
    assert json.loads(audit.after or "{}")["invitations_cancelled"] == 1
    # Closing twice (another tab) is refused with a message, not a second audit row.
    again = client.post(f"{url}/{world.episode_id}/close?lang=en", data={"csrf_token": token})
    assert again.status_code == 302
    assert "This episode is already closed." in client.get(url + "?lang=en").get_data(as_text=True)
    assert len(session_audits(db, "episode_closed")) == 1


def test_each_role_lands_on_its_own_start_page(client: FlaskClient) -> None:
    db = _db(client)
    unit = make_unit(db)
    landings: list[tuple[list[tuple[Role, int | None]], str]] = [
        ([(Role.ADMIN, None)], "/admin/"),
        ([(Role.SERVICE_DEVELOPER, None)], "/export/start"),
        ([(Role.THERAPIST, unit.id), (Role.ADMIN, None)], "/clinician/"),
    ]
    for roles, landing in landings:
        staff = make_staff(db, *roles)
        log_in(client, staff.username, PASSWORD)
        response = client.get("/staff/")
        assert response.status_code == 302
        assert response.headers["Location"].startswith(landing), (roles, response.headers)
        _log_out(client)


def test_a_therapist_reaches_registration_import_appointments_and_schedule_by_links(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    caseload = client.get("/clinician/?lang=en").get_data(as_text=True)
    for href in (
        "/clinician/register",
        "/clinician/appointments/import",
        f"/clinician/episodes/{world.episode_id}/appointments",
        f"/clinician/episodes/{world.episode_id}/schedule",
    ):
        assert f'href="{href}"' in caseload, href
    presession = client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(
        as_text=True
    )
    assert f'href="/clinician/episodes/{world.episode_id}/appointments"' in presession
    assert f'href="/clinician/episodes/{world.episode_id}/schedule"' in presession
    assert 'href="/admin/"' not in presession
    _log_out(client)
    lead = make_staff(db, (Role.UNIT_LEAD, world.unit_id))
    log_in(client, lead.username, PASSWORD)
    header = client.get("/clinician/?lang=en&scope=unit").get_data(as_text=True)
    assert 'href="/clinician/register"' not in header  # a unit lead does not register
    assert f'href="/clinician/episodes/{world.episode_id}/schedule"' not in header


def test_the_start_page_lists_every_admin_section(client: FlaskClient) -> None:
    _log_in_admin(client)
    page = client.get("/admin/?lang=en").get_data(as_text=True)
    for href in ("/admin/units", "/admin/schedule-templates", "/admin/audit"):
        assert f'href="{href}"' in page


def _programme_template(client: FlaskClient, unit_id: int, token: str) -> int:
    """The admin adds the programme "Angstgruppe" to the unit and gives it its own template
    (a GAD-7 rule); returns the programme's id."""
    created = client.post(
        f"/admin/units/{unit_id}/programmes",
        data={"csrf_token": token, "programme-name": "Angstgruppe", "programme-code": "angst"},
    )
    assert created.status_code == 302
    with _db(client).session() as session:
        programme_id = session.scalars(select(Programme.id).where(Programme.code == "angst")).one()
    response = client.post(
        "/admin/schedule-templates",
        data={"csrf_token": token, "name": "Angst", "owner": f"programme:{programme_id}"},
    )
    assert response.status_code == 302
    rule = _rule(instrument="gad7")
    assert (
        client.post(
            response.headers["Location"], data={"new-csrf_token": token, **rule}
        ).status_code
        == 302
    )
    return programme_id


def _registration(token: str, unit_id: int, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "display_name": "Kari Nordmann",
        "phone": "+4791234567",
        "language": "nb",
        "channel": "sms",
        "unit": str(unit_id),
        "started_on": "2026-12-07",
        "form_nonce": "n-1",
        **changes,
    }


def test_a_patient_registered_in_a_programme_gets_the_programme_template(
    client: FlaskClient,
) -> None:
    """The admin's programme and its template reach the therapist's registration form: the
    episode is in the programme (service figures per programme) and copies its template."""
    db = _db(client)
    client.application.extensions["fit_clock"] = lambda: oslo(2026, 12, 7, 12)
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    _log_in_admin(client)
    token = csrf_token(client.get("/admin/schedule-templates?lang=en").get_data(as_text=True))
    programme_id = _programme_template(client, unit.id, token)
    _log_out(client)

    log_in(client, therapist.username, PASSWORD)
    form = client.get("/clinician/register?lang=en").get_data(as_text=True)
    assert "Programme (optional)" in form
    assert f'<option value="{programme_id}">{unit.name}: Angstgruppe</option>' in form
    response = client.post(
        "/clinician/register",
        data=_registration(csrf_token(form), unit.id, programme=str(programme_id)),
    )
    assert response.status_code == 302
    with db.session() as session:
        episode = session.scalars(select(Episode)).one()
        copied = session.scalars(
            select(ScheduleRule.instrument_id)
            .join(SchedulePlan, SchedulePlan.id == ScheduleRule.plan_id)
            .where(SchedulePlan.episode_id == episode.id)
        ).all()
    assert episode.programme_id == programme_id
    assert copied == ["gad7"]


def test_registration_refuses_a_programme_of_another_unit_or_an_archived_one(
    client: FlaskClient,
) -> None:
    db = _db(client)
    unit = make_unit(db)
    other = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id), (Role.THERAPIST, other.id))
    _log_in_admin(client)
    token = csrf_token(client.get("/admin/schedule-templates?lang=en").get_data(as_text=True))
    programme_id = _programme_template(client, unit.id, token)
    _log_out(client)

    log_in(client, therapist.username, PASSWORD)
    form = client.get("/clinician/register?lang=en").get_data(as_text=True)
    wrong_unit = client.post(
        "/clinician/register?lang=en",
        data=_registration(csrf_token(form), other.id, programme=str(programme_id)),
    )
    assert wrong_unit.status_code == 422
    assert "Choose an open programme of the chosen unit." in wrong_unit.get_data(as_text=True)
    assert _count(db, Episode) == 0
    _log_out(client)

    _log_in_admin(client)
    token = csrf_token(client.get(f"/admin/units/{unit.id}?lang=en").get_data(as_text=True))
    archived = client.post(
        f"/admin/units/{unit.id}/programmes/{programme_id}/archive", data={"csrf_token": token}
    )
    assert archived.status_code == 302
    _log_out(client)
    log_in(client, therapist.username, PASSWORD)
    form = client.get("/clinician/register?lang=en").get_data(as_text=True)
    assert "Angstgruppe" not in form
    assert "Programme (optional)" not in form  # no open programme: no field


def test_the_template_form_does_not_offer_an_owner_that_has_a_template_already(
    client: FlaskClient,
) -> None:
    # Choosing one could only give "There is a template for this already".
    db = _db(client)
    _log_in_admin(client)
    unit = make_unit(db)
    page = client.get("/admin/schedule-templates?lang=en").get_data(as_text=True)
    token = csrf_token(page)
    assert f'value="unit:{unit.id}"' in page
    created = client.post(
        "/admin/schedule-templates",
        data={"csrf_token": token, "name": "Standard", "owner": f"unit:{unit.id}"},
    )
    assert created.status_code == 302
    page = client.get("/admin/schedule-templates?lang=en").get_data(as_text=True)
    assert f'value="unit:{unit.id}"' not in page
    assert "Every unit and programme in use has a template" in page
    programme = client.post(
        f"/admin/units/{unit.id}/programmes",
        data={"csrf_token": token, "programme-name": "Angstgruppe", "programme-code": "angst"},
    )
    assert programme.status_code == 302
    page = client.get("/admin/schedule-templates?lang=en").get_data(as_text=True)
    assert f'value="unit:{unit.id}"' not in page
    assert "Angstgruppe" in page.split('id="new-template-heading"')[1]
    # An old tab posting the owner anyway is told why, keeping the name typed.
    again = client.post(
        "/admin/schedule-templates?lang=en",
        data={"csrf_token": token, "name": "Another", "owner": f"unit:{unit.id}"},
    )
    assert again.status_code == 422
    assert "There is a template for this already" in again.get_data(as_text=True)
    assert 'value="Another"' in again.get_data(as_text=True)


def test_the_template_form_names_an_empty_name_and_a_taken_owner_in_one_round(
    client: FlaskClient,
) -> None:
    """An old tab posting an owner that has a template, with the name left empty: both
    messages at once (the owner's used to come only after the name was fixed)."""
    db = _db(client)
    _log_in_admin(client)
    unit = make_unit(db)
    page = client.get("/admin/schedule-templates?lang=en").get_data(as_text=True)
    token = csrf_token(page)
    created = client.post(
        "/admin/schedule-templates",
        data={"csrf_token": token, "name": "Standard", "owner": f"unit:{unit.id}"},
    )
    assert created.status_code == 302
    both = client.post(
        "/admin/schedule-templates?lang=en",
        data={"csrf_token": token, "name": "  ", "owner": f"unit:{unit.id}"},
    )
    assert both.status_code == 422
    html = both.get_data(as_text=True)
    assert "Enter a name." in html
    assert "There is a template for this already" in html
    # A crafted owner that is no choice at all keeps the form's own message, with the name's.
    crafted = client.post(
        "/admin/schedule-templates?lang=en",
        data={"csrf_token": token, "name": "", "owner": "unit:abc"},
    )
    assert crafted.status_code == 422
    html = crafted.get_data(as_text=True)
    assert "Enter a name." in html and "Choose one of the options." in html
    with db.session() as session:
        assert len(session.scalars(select(SchedulePlan)).all()) == 1
