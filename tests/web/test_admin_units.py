"""Units and programmes through the admin pages: what is saved, what is refused, who may."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import (
    AdminAudit,
    Invitation,
    OutboxMessage,
    Programme,
    Unit,
)
from fit_platform.domain.codes import (
    Channel,
    InvitationState,
    MessageKind,
    OutboxState,
    Role,
)
from fit_platform.services.enqueue import enqueue_due
from tests.support.factories import (
    NOW,
    PASSWORD,
    make_invitation,
    make_staff,
    make_unit,
    make_world,
)
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient, open_invitation
from tests.support.scheduling import OSLO, gad7_before_an_evening_session


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _admin(client: FlaskClient) -> None:
    admin = make_staff(_db(client), (Role.ADMIN, None), name="Ada Admin")
    log_in(client, admin.username, PASSWORD)


def _unit_form(prefix: str = "new", **changes: str) -> dict[str, str]:
    fields = {
        "name": "DPS Nordre Aker",
        "code": "dps-nordre",
        "kind": "outpatient",
        "phone": "+47 22 02 03 04",
        "opening_hours": "Weekdays 08:00–15:30",
        "quiet_from": "21:00",
        "quiet_until": "08:00",
        **changes,
    }
    return {f"{prefix}-{key}": value for key, value in fields.items()}


def _audits(db: Database, action: str) -> list[AdminAudit]:
    with db.session() as session:
        return list(session.scalars(select(AdminAudit).where(AdminAudit.action == action)))


def _count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_an_admin_creates_a_unit_and_changes_what_patients_see(client: FlaskClient) -> None:
    db = _db(client)
    _admin(client)
    page = client.get("/admin/units?lang=en").get_data(as_text=True)
    response = client.post("/admin/units", data={"csrf_token": csrf_token(page), **_unit_form()})
    assert response.status_code == 302
    with db.session() as session:
        unit = session.scalars(select(Unit)).one()
    assert (unit.name, unit.code, unit.phone, unit.quiet_from) == (
        "DPS Nordre Aker",
        "dps-nordre",
        "+47 22 02 03 04",
        "21:00",
    )
    [created] = _audits(db, "unit_created")
    assert json.loads(created.after or "{}")["code"] == "dps-nordre"

    url = f"/admin/units/{unit.id}?lang=en"
    page = client.get(url).get_data(as_text=True)
    assert "No unit lead in DPS Nordre Aker" in page  # risk escalation would reach nobody
    # ... with the way to the page where the role is given.
    warning = page.split('class="alert alert-danger no-lead"', 1)[1].split("</p>", 1)[0]
    assert '<a href="/admin/staff">Staff accounts</a>' in warning
    changed = _unit_form("unit", quiet_from="22:30", opening_hours="Mon–Thu 08–16")
    response = client.post(url, data={"csrf_token": csrf_token(page), **changed})
    assert response.status_code == 302
    with db.session() as session:
        unit = session.get_one(Unit, unit.id)
    assert (unit.quiet_from, unit.opening_hours) == ("22:30", "Mon–Thu 08–16")
    [change] = _audits(db, "unit_changed")
    assert json.loads(change.before or "{}") == {
        "quiet_from": "21:00",
        "opening_hours": "Weekdays 08:00–15:30",
    }
    audit_page = client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "Unit changed" in audit_page and "Unit created" in audit_page


def _help_page(patient: FlaskClient, lang: str) -> str:
    return patient.get(f"/p/help?lang={lang}").get_data(as_text=True)


def test_the_patient_sees_the_opening_hours_in_their_language_or_the_bokmaal_ones_said_so(
    client: FlaskClient,
) -> None:
    db = _db(client)
    _admin(client)
    page = client.get("/admin/units?lang=en").get_data(as_text=True)
    form = _unit_form(opening_hours="man.–tors. 08–16, fre. 08–14")
    created = client.post("/admin/units", data={"csrf_token": csrf_token(page), **form})
    assert created.status_code == 302
    with db.session() as session:
        unit = session.scalars(select(Unit)).one()
    world = make_world(db, unit=unit)
    invitation_id, token = open_invitation(db, world)
    patient = client.application.test_client()
    Patient(patient, token, lang="en").start()
    # Only bokmål given: every page shows it, marked up as Norwegian, and the English page
    # says it is in Norwegian instead of passing it off as English.
    bokmaal = '<span lang="nb">man.–tors. 08–16, fre. 08–14</span>'
    assert f"(åpent {bokmaal})" in _help_page(patient, "nb")
    assert f"(ope {bokmaal})" in _help_page(patient, "nn")
    assert f"(open, in Norwegian: {bokmaal})" in _help_page(patient, "en")

    # The admin adds nynorsk and English on the unit's page: each page shows its own.
    url = f"/admin/units/{unit.id}?lang=en"
    page = client.get(url).get_data(as_text=True)
    assert 'value="man.–tors. 08–16, fre. 08–14"' in page
    changed = _unit_form(
        "unit",
        opening_hours="man.–tors. 08–16, fre. 08–14",
        opening_hours_nn="må.–to. 08–16, fr. 08–14",
        opening_hours_en="Mon–Thu 08–16, Fri 08–14",
    )
    assert client.post(url, data={"csrf_token": csrf_token(page), **changed}).status_code == 302
    assert f"(åpent {bokmaal})" in _help_page(patient, "nb")
    assert '(ope <span lang="nn">må.–to. 08–16, fr. 08–14</span>)' in _help_page(patient, "nn")
    english = _help_page(patient, "en")
    assert '(open <span lang="en">Mon–Thu 08–16, Fri 08–14</span>)' in english
    assert "in Norwegian" not in english
    [change] = _audits(db, "unit_changed")
    assert json.loads(change.after or "{}")["opening_hours_en"] == "Mon–Thu 08–16, Fri 08–14"

    # A closed link's page gives the clinic's phone and hours in the page's language too.
    with db.transaction() as session:
        session.get_one(Invitation, invitation_id).state = InvitationState.CANCELLED
    closed = client.application.test_client()
    for lang, sentence in (
        ("en", 'Opening hours: <span lang="en">Mon–Thu 08–16, Fri 08–14</span>.'),
        ("nn", 'Opningstid: <span lang="nn">må.–to. 08–16, fr. 08–14</span>.'),
    ):
        assert sentence in closed.get(f"/p/{token}?lang={lang}").get_data(as_text=True), lang


def test_opening_hours_in_nynorsk_or_english_without_bokmaal_are_refused_with_a_message(
    client: FlaskClient,
) -> None:
    db = _db(client)
    _admin(client)
    page = client.get("/admin/units?lang=nb").get_data(as_text=True)
    form = _unit_form(opening_hours="", opening_hours_en="Mon–Fri 08–15")
    response = client.post("/admin/units?lang=nb", data={"csrf_token": csrf_token(page), **form})
    assert response.status_code == 422
    assert "Skriv åpningstidene på bokmål også" in response.get_data(as_text=True)
    assert "<title>Feil: " in response.get_data(as_text=True)
    assert _count(db, Unit) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code": "DPS-NORDRE"}, "This code is already in use."),
        ({"code": "dps-other", "name": "dps nordre aker"}, "This name is already in use."),
        ({"code": "dps-other", "name": "Other", "quiet_from": "25:00"}, "Write the time as HH:MM"),
        ({"code": "dps-other", "name": "Other", "quiet_until": "8"}, "Write the time as HH:MM"),
        ({"code": "æøå dps", "name": "Other"}, "Use the letters a–z"),
        ({"code": "dps-other", "name": "Other", "phone": "call us"}, "Write the phone number"),
    ],
)
def test_a_duplicate_or_malformed_unit_gets_a_message_and_nothing_is_saved(
    client: FlaskClient, changes: dict[str, str], message: str
) -> None:
    db = _db(client)
    _admin(client)
    page = client.get("/admin/units?lang=en").get_data(as_text=True)
    token = csrf_token(page)
    first = client.post("/admin/units", data={"csrf_token": token, **_unit_form()})
    assert first.status_code == 302
    audits_before = _count(db, AdminAudit)
    response = client.post(
        "/admin/units?lang=en", data={"csrf_token": token, **_unit_form(**changes)}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count(db, Unit) == 1
    assert _count(db, AdminAudit) == audits_before


def test_renaming_a_unit_to_another_units_name_is_refused_in_norwegian_too(
    client: FlaskClient,
) -> None:
    db = _db(client)
    _admin(client)
    first, second = make_unit(db), make_unit(db)
    url = f"/admin/units/{second.id}?lang=nb"
    page = client.get(url).get_data(as_text=True)
    data = _unit_form("unit", name=first.name, code=second.code)
    response = client.post(url, data={"csrf_token": csrf_token(page), **data})
    assert response.status_code == 422
    assert "Dette navnet er allerede i bruk" in response.get_data(as_text=True)
    with db.session() as session:
        assert session.get_one(Unit, second.id).name == second.name


def test_programmes_are_added_renamed_and_archived_and_duplicates_refused(
    client: FlaskClient,
) -> None:
    db = _db(client)
    _admin(client)
    unit = make_unit(db)
    url = f"/admin/units/{unit.id}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    add = f"{url}/programmes?lang=en"
    data = {"csrf_token": token, "programme-name": "Angstgruppe", "programme-code": "angst"}
    assert client.post(add, data=data).status_code == 302
    again = client.post(add, data={**data, "programme-code": "angst-2"})
    assert again.status_code == 422
    assert "This name is already in use." in again.get_data(as_text=True)
    # The unit's own settings form on the same page still shows the stored values.
    assert f'value="{unit.name}"' in again.get_data(as_text=True)
    assert _count(db, Programme) == 1
    with db.session() as session:
        programme = session.scalars(select(Programme)).one()
    rename = f"{url}/programmes/{programme.id}/rename"
    key = f"rename-{programme.id}-name"
    response = client.post(rename, data={"csrf_token": token, key: "Angst, gruppe"})
    assert response.status_code == 302
    archive = f"{url}/programmes/{programme.id}/archive"
    assert client.post(archive, data={"csrf_token": token}).status_code == 302
    with db.session() as session:
        programme = session.get_one(Programme, programme.id)
    assert programme.name == "Angst, gruppe" and programme.archived_at is not None
    actions = [row.action for row in _audits(db, "programme_created")]
    actions += [row.action for row in _audits(db, "programme_renamed")]
    actions += [row.action for row in _audits(db, "programme_archived")]
    assert actions == ["programme_created", "programme_renamed", "programme_archived"]
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Bring back Angst, gruppe" in page


def test_archiving_a_unit_cancels_what_is_waiting_and_the_scheduler_sends_nothing_new(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    invitation, _token = make_invitation(db, world, state=InvitationState.SCHEDULED)
    with db.transaction() as session:
        session.add(
            OutboxMessage(
                dedupe_key=f"{invitation.id}:invitation:1",
                patient_id=world.patient_id,
                invitation_id=invitation.id,
                kind=MessageKind.INVITATION,
                channel=Channel.SMS,
            )
        )
    due = gad7_before_an_evening_session(db, world.episode_id, NOW)
    _admin(client)
    url = f"/admin/units/{world.unit_id}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    response = client.post(url + "/archive?lang=en", data={"csrf_token": token})
    assert response.status_code == 302
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "1 unanswered questionnaires were cancelled" in page
    assert "1 episode is still open" in page
    with db.session() as session:
        stored = session.get_one(Invitation, invitation.id)
        message = session.scalars(select(OutboxMessage)).one()
    assert stored.state is InvitationState.CANCELLED
    assert stored.non_response_reason == "unit_archived"
    assert message.state is OutboxState.CANCELLED
    [audit] = _audits(db, "unit_archived")
    assert json.loads(audit.after or "{}")["invitations_cancelled"] == 1

    # The appointment at 20:00 would get a GAD-7 at 16:00; the archived unit sends nothing.
    result = enqueue_due(db, due, zone=OSLO)
    assert result.invitations == 0

    # The therapist can no longer register patients in it; the episode's page says why
    # the questionnaire was cancelled.
    client.post("/staff/logout", data={"csrf_token": token})
    log_in(client, world.therapist_username, PASSWORD)
    register = client.get("/clinician/register?lang=en").get_data(as_text=True)
    assert f'value="{world.unit_id}"' not in register
    appointments = client.get(f"/clinician/episodes/{world.episode_id}/appointments?lang=en")
    assert "Cancelled: the unit was archived" in appointments.get_data(as_text=True)


def test_a_unit_brought_back_takes_patients_and_sends_questionnaires_again(
    client: FlaskClient,
) -> None:
    """The unit page promises "The unit takes new patients again and its open episodes get
    questionnaires again from the next scheduler run": followed from the administrator's
    button to the scheduler and to the therapist's registration form."""
    db = _db(client)
    world = make_world(db)
    due = gad7_before_an_evening_session(db, world.episode_id, NOW)
    _admin(client)
    url = f"/admin/units/{world.unit_id}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    assert client.post(url + "/archive", data={"csrf_token": token}).status_code == 302
    assert enqueue_due(db, due, zone=OSLO).invitations == 0

    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "its open episodes get questionnaires again from the next scheduler run" in page
    restored = client.post(url + "/restore?lang=en", data={"csrf_token": csrf_token(page)})
    assert restored.status_code == 302
    assert "The unit is in use again." in client.get(url + "?lang=en").get_data(as_text=True)
    [audit] = _audits(db, "unit_restored")
    assert json.loads(audit.after or "{}")["archived"] is False
    assert enqueue_due(db, due, zone=OSLO).invitations == 1
    client.post("/staff/logout", data={"csrf_token": token})
    log_in(client, world.therapist_username, PASSWORD)
    register = client.get("/clinician/register?lang=en").get_data(as_text=True)
    assert f'value="{world.unit_id}"' in register


def _all_admin_endpoints(client: FlaskClient) -> list[tuple[str, str]]:
    """Every admin URL in the app (with made-up ids) and the method to try it with."""
    adapter = client.application.url_map.bind("localhost")
    found = []
    for rule in client.application.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        values = {name: 1 for name in rule.arguments}
        path = adapter.build(rule.endpoint, values, append_unknown=False)
        method = "GET" if "GET" in (rule.methods or set()) else "POST"
        found.append((method, path))
    return found


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.UNIT_LEAD, Role.SERVICE_DEVELOPER])
def test_no_other_role_may_use_any_admin_route(client: FlaskClient, role: Role) -> None:
    db = _db(client)
    unit = make_unit(db)
    staff = make_staff(db, (role, unit.id))
    log_in(client, staff.username, PASSWORD)
    token = csrf_token(client.get("/staff/account").get_data(as_text=True))
    endpoints = _all_admin_endpoints(client)
    assert ("POST", "/admin/units/1/archive") in endpoints  # the new routes are found
    assert len(endpoints) >= 15
    audits_before = _count(db, AdminAudit)
    for method, path in endpoints:
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data={"csrf_token": token, "new-name": "X"})
        assert response.status_code == 403, (method, path)
    assert _count(db, AdminAudit) == audits_before
    with db.session() as session:
        assert session.get_one(Unit, unit.id).archived_at is None


@pytest.mark.parametrize("again", ["ØSTFOLD DPS", "østfold  dps", " Østfold DPS ", "ØSTFOLD dps"])
def test_a_unit_name_differing_only_in_norwegian_letter_case_or_spacing_is_refused(
    client: FlaskClient, again: str
) -> None:
    """SQL lower() folds only A–Z on SQLite and a C-locale PostgreSQL: "ØSTFOLD DPS" passed
    as a second unit beside "Østfold DPS", and both then stood in every unit list."""
    db = _db(client)
    _admin(client)
    token = csrf_token(client.get("/admin/units?lang=en").get_data(as_text=True))
    first = _unit_form(name="Østfold DPS", code="ostfold")
    assert client.post("/admin/units", data={"csrf_token": token, **first}).status_code == 302
    second = _unit_form(name=again, code="ostfold-2")
    response = client.post("/admin/units?lang=en", data={"csrf_token": token, **second})
    assert response.status_code == 422
    assert "This name is already in use." in response.get_data(as_text=True)
    assert _count(db, Unit) == 1
    # Renaming another unit to it is refused the same way.
    other = make_unit(db)
    url = f"/admin/units/{other.id}?lang=en"
    renamed = _unit_form("unit", name=again, code=other.code)
    response = client.post(url, data={"csrf_token": token, **renamed})
    assert response.status_code == 422
    assert "This name is already in use." in response.get_data(as_text=True)
    with db.session() as session:
        assert session.get_one(Unit, other.id).name == other.name


def test_a_programme_name_differing_only_in_norwegian_letter_case_or_spacing_is_refused(
    client: FlaskClient,
) -> None:
    db = _db(client)
    _admin(client)
    unit = make_unit(db)
    url = f"/admin/units/{unit.id}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    add = f"{url}/programmes?lang=en"
    data = {"csrf_token": token, "programme-name": "Åpen gruppe Østfold", "programme-code": "apen"}
    assert client.post(add, data=data).status_code == 302
    for n, again in enumerate(["ÅPEN GRUPPE ØSTFOLD", "åpen  gruppe  østfold"]):
        response = client.post(
            add, data={**data, "programme-name": again, "programme-code": f"apen-{n}"}
        )
        assert response.status_code == 422, again
        assert "This name is already in use." in response.get_data(as_text=True)
    assert _count(db, Programme) == 1
    other = {"csrf_token": token, "programme-name": "Sosial angst", "programme-code": "sosial"}
    assert client.post(add, data=other).status_code == 302
    with db.session() as session:
        programme_id = session.scalar(select(Programme.id).where(Programme.code == "sosial"))
    key = f"rename-{programme_id}-name"
    rename = f"{url}/programmes/{programme_id}/rename?lang=en"
    response = client.post(rename, data={"csrf_token": token, key: "ÅPEN GRUPPE ØSTFOLD"})
    assert response.status_code == 422
    assert "This name is already in use." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "sentence", "list_cell"),
    [
        (
            "nb",
            "et risikosignal som ingen kvitterer ut i tide, kommer ikke fram til noen.",
            "Ingen: risikovarsler kommer ikke fram til noen",
        ),
        (
            "nn",
            "eit risikosignal som ingen kvitterer ut i tide, kjem ikkje fram til nokon.",
            "Ingen: risikovarsel kjem ikkje fram til nokon",
        ),
    ],
)
def test_a_unit_without_a_lead_says_the_risk_signal_reaches_nobody_without_reading_as_when(
    client: FlaskClient, lang: str, sentence: str, list_cell: str
) -> None:
    # "når ingen" reads as "when nobody" before it reads as "reaches nobody".
    db = _db(client)
    _admin(client)
    unit = make_unit(db)
    unit_page = client.get(f"/admin/units/{unit.id}?lang={lang}").get_data(as_text=True)
    list_page = client.get(f"/admin/units?lang={lang}").get_data(as_text=True)
    assert sentence in unit_page
    assert list_cell in list_page
    assert "når ingen" not in unit_page + list_page


CODE_NB = "Bruk bokstavene a–z, sifre og bindestrek"
PHONE_NB = "Skriv telefonnummeret med sifre, mellomrom og eventuelt + først."
TIME_NB = "Skriv klokkeslettet som TT:MM, for eksempel 21:00."
END_TIME_NB = "Skriv klokkeslettet som TT:MM, for eksempel 08:00."  # quiet hours end: a morning
CODE_TAKEN_NB = "Denne koden er allerede i bruk."
NAME_TAKEN_NB = "Dette navnet er allerede i bruk."


def test_a_new_unit_names_every_wrong_field_in_one_round_and_keeps_what_was_typed(
    client: FlaskClient,
) -> None:
    # The phone number was checked by the service only once the form's own errors were fixed.
    db = _db(client)
    _admin(client)
    page = client.get("/admin/units?lang=nb").get_data(as_text=True)
    typed = _unit_form(code="Test Øst!", phone="abc", quiet_from="25:99", quiet_until="25:99")
    response = client.post("/admin/units?lang=nb", data={"csrf_token": csrf_token(page), **typed})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in (CODE_NB, PHONE_NB, TIME_NB, END_TIME_NB):
        assert message in html, message
    for value in ('value="Test Øst!"', 'value="abc"', 'value="25:99"', 'value="DPS Nordre Aker"'):
        assert value in html, value
    assert _count(db, Unit) == 0


def test_a_unit_with_a_taken_name_and_a_taken_code_is_told_both(client: FlaskClient) -> None:
    db = _db(client)
    _admin(client)
    page = client.get("/admin/units?lang=nb").get_data(as_text=True)
    token = csrf_token(page)
    assert (
        client.post("/admin/units", data={"csrf_token": token, **_unit_form()}).status_code == 302
    )
    audits_before = _count(db, AdminAudit)
    again = client.post("/admin/units?lang=nb", data={"csrf_token": token, **_unit_form()})
    assert again.status_code == 422
    html = again.get_data(as_text=True)
    assert CODE_TAKEN_NB in html and NAME_TAKEN_NB in html
    # A duplicate beside a fault the form finds itself is named in the same round as well.
    mixed = client.post(
        "/admin/units?lang=nb",
        data={"csrf_token": token, **_unit_form(phone="abc", quiet_until="8")},
    )
    html = mixed.get_data(as_text=True)
    for message in (CODE_TAKEN_NB, NAME_TAKEN_NB, PHONE_NB, END_TIME_NB):
        assert message in html, message
    assert TIME_NB not in html  # only the end was wrong
    assert _count(db, Unit) == 1
    assert _count(db, AdminAudit) == audits_before


def test_editing_a_unit_names_every_wrong_field_in_one_round(client: FlaskClient) -> None:
    db = _db(client)
    _admin(client)
    first, second = make_unit(db), make_unit(db)
    url = f"/admin/units/{second.id}?lang=nb"
    page = client.get(url).get_data(as_text=True)
    data = _unit_form("unit", name=first.name, code=second.code, phone="abc", quiet_from="25:99")
    response = client.post(url, data={"csrf_token": csrf_token(page), **data})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in (NAME_TAKEN_NB, PHONE_NB, TIME_NB):
        assert message in html, message
    assert 'value="abc"' in html and 'value="25:99"' in html
    with db.session() as session:
        assert session.get_one(Unit, second.id).name == second.name


def test_a_new_programme_names_a_bad_code_and_a_taken_name_in_one_round(
    client: FlaskClient,
) -> None:
    db = _db(client)
    _admin(client)
    unit = make_unit(db)
    url = f"/admin/units/{unit.id}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    first = {"programme-name": "Poliklinikk", "programme-code": "poli"}
    assert client.post(f"{url}/programmes", data={"csrf_token": token, **first}).status_code == 302
    response = client.post(
        f"{url}/programmes?lang=nb",
        data={"csrf_token": token, "programme-name": "poliklinikk", "programme-code": "Poli 2!"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert CODE_NB in html and NAME_TAKEN_NB in html
    assert 'value="Poli 2!"' in html and 'value="poliklinikk"' in html
    assert _count(db, Programme) == 1


def test_a_unit_lead_invited_but_not_active_yet_is_named_beside_the_warning(
    client: FlaskClient,
) -> None:
    """An administrator who invited a unit lead still read "No unit lead: … reaches nobody"
    with nothing about the invitation, and could not tell whether escalation was covered. The
    warning stays (escalation reaches active leads only) and names the invited person until
    they set a password; then the unit has its lead."""
    import datetime as dt

    from fit_platform.db.models import StaffInvite
    from fit_platform.services.staff_invites import mint_invite_token

    db = _db(client)
    _admin(client)
    unit = make_unit(db)
    page = client.get("/admin/staff/invite?lang=en").get_data(as_text=True)
    invited = client.post(
        "/admin/staff/invite",
        data={
            "csrf_token": csrf_token(page),
            "email": "kari.vest@example.no",
            "display_name": "Kari Vest",
            "role": Role.UNIT_LEAD.value,
            "unit": str(unit.id),
        },
    )
    assert invited.status_code == 302, invited.get_data(as_text=True)[:2000]
    unit_page = client.get(f"/admin/units/{unit.id}?lang=en").get_data(as_text=True)
    assert "reaches nobody" in unit_page
    assert "Invited as unit lead: Kari Vest. A unit lead is reached once they have set" in unit_page
    units_page = " ".join(client.get("/admin/units?lang=nb").get_data(as_text=True).split())
    assert "invitert, ikke aktiv ennå: Kari Vest" in units_page

    # Kari sets her password with the link: the unit has its lead and no warning.
    with db.transaction() as session:
        invite_id = session.scalars(select(StaffInvite.id)).one()
        mail = mint_invite_token(session, invite_id, dt.datetime.now(dt.UTC))
        assert mail is not None
    kari = client.application.test_client()
    link = f"/staff/invite/{mail.token}?lang=en"
    form = kari.get(link).get_data(as_text=True)
    password = "kettle orchard violin thunder"
    chosen = kari.post(
        link, data={"csrf_token": csrf_token(form), "new": password, "confirm": password}
    )
    assert chosen.status_code == 302
    unit_page = client.get(f"/admin/units/{unit.id}?lang=en").get_data(as_text=True)
    assert "Unit lead: Kari Vest" in unit_page
    assert "reaches nobody" not in unit_page and "Invited as unit lead" not in unit_page
