"""The administrator's patient-data pages, through the web from the patient's answer to what the
therapist and the patient see after an erasure: find, download (right of access), erase."""

from __future__ import annotations

import json
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import AccessLog, AdminAudit, Invitation, Patient, Response
from fit_platform.domain.codes import ConsentEventKind, InvitationState, Language, Role
from fit_platform.domain.own_plan import ChoiceEventKind, ChoiceKind, CrisisPlanText, RecordedBy
from fit_platform.domain.send_window import SkipReason
from fit_platform.services import own_plan
from tests.support.clinical import add_consent_event, add_failed_message, add_goal
from tests.support.factories import (
    NOW,
    PASSWORD,
    World,
    make_invitation,
    make_staff,
    make_unit,
    make_world,
)
from tests.support.html import csrf_token, download_patient_file, log_in
from tests.support.patient import Patient as PatientBrowser
from tests.support.patient import open_invitation

WORDS = "Sov dårlig hele uka"


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _record_id(db: Database, world: World) -> str:
    with db.session() as session:
        return session.get_one(Patient, world.patient_id).external_id or ""


def _admin(app: Flask) -> FlaskClient:
    admin = make_staff(_db(app), (Role.ADMIN, None), name="Ada Admin")
    client = app.test_client()
    log_in(client, admin.username, PASSWORD)
    return client


def _answered(app: Flask, client: FlaskClient) -> tuple[World, str]:
    """A patient who answered PHQ-9 through their link and wrote a comment."""
    db = _db(app)
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = PatientBrowser(client, token)
    patient.start()
    patient.answer_all("phq9", "2")
    assert patient.finish(comment=WORDS).status_code == 302
    add_goal(db, world, "Sove bedre")
    return world, token


def _therapist_view(app: Flask, world: World) -> str:
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    response = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en")
    assert response.status_code == 200
    caseload = therapist.get("/clinician/?lang=en")
    assert caseload.status_code == 200
    return response.get_data(as_text=True)


def test_after_an_erasure_the_therapist_and_the_patient_link_show_nothing_of_the_answers(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world, token = _answered(app, client)
    assert WORDS in _therapist_view(app, world)
    admin = _admin(app)
    record_id = _record_id(db, world)

    found = admin.get(f"/admin/patients?unit={world.unit_id}&record_id={record_id}&lang=en")
    assert found.status_code == 200
    page = found.get_data(as_text=True)
    assert "Questionnaire answers: <strong>1</strong>" in page
    assert WORDS not in page  # the page shows how much is held, never what

    download = admin.post(
        f"/admin/patients/{world.patient_id}/export",
        data={"csrf_token": csrf_token(page), "unit": world.unit_id},
    )
    assert download.status_code == 200
    assert download.headers["Cache-Control"] == "no-store"
    disposition = download.headers["Content-Disposition"]
    assert f"patient-{world.patient_id}-data-" in disposition and record_id not in disposition
    exported = json.loads(download.get_data(as_text=True))
    assert exported["episodes"][0]["responses"][0]["comments"][0]["text"] == WORDS

    erase_url = f"/admin/patients/{world.patient_id}/erase?unit={world.unit_id}&lang=en"
    form = admin.get(erase_url).get_data(as_text=True)
    assert "What is kept, and why" in form
    wrong = admin.post(
        erase_url,
        data={"csrf_token": csrf_token(form), "confirmation": "EPR-nope", "reason": "Asked"},
    )
    assert wrong.status_code == 400
    assert "This is not the patient&#39;s record id. Nothing was erased." in wrong.get_data(
        as_text=True
    )
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 1

    done = admin.post(
        erase_url,
        data={
            "csrf_token": csrf_token(form),
            "confirmation": record_id,
            "reason": "The patient asked in writing",
        },
        follow_redirects=True,
    )
    assert done.status_code == 200
    after = done.get_data(as_text=True)
    assert "The patient&#39;s feedback data is erased." in after
    assert "Feedback data erased" in after
    assert "The platform holds no feedback data for this patient." in after

    view = _therapist_view(app, world)
    assert WORDS not in view and "Sove bedre" not in view
    assert "Stopped feedback" in view
    link = client.get(f"/p/{token}?lang=en")
    assert link.status_code == 404
    assert "We cannot find this link" in link.get_data(as_text=True)
    for path in ("/p/done", "/p/progress", "/p/goals", "/p/finish"):
        assert client.get(f"{path}?lang=en").status_code < 500, path

    audit = unescape(admin.get("/admin/audit?lang=en").get_data(as_text=True))
    assert "Patient's feedback data erased" in audit
    assert "Patient's data downloaded (right of access)" in audit
    assert WORDS not in audit
    with db.session() as session:
        actions = set(session.scalars(select(AccessLog.action).where(AccessLog.role == Role.ADMIN)))
        audits = list(session.scalars(select(AdminAudit.action).order_by(AdminAudit.id)))
    assert {"admin_patient_lookup", "admin_patient_export", "admin_patient_erase_review"} <= actions
    assert audits == ["patient_data_exported", "patient_feedback_erased"]


def test_the_download_names_each_score_band_in_the_patients_own_language(app: Flask) -> None:
    # PHQ-9 with every answer 2 is 18: "moderately severe". The administrator works in
    # bokmål; each patient reads her file in her own language, never the internal code.
    db = _db(app)
    admin = _admin(app)
    for language, band in (
        (Language.NYNORSK, "moderat alvorleg"),
        (Language.ENGLISH, "moderately severe"),
    ):
        world = make_world(db, language=language)
        _invitation_id, token = open_invitation(db, world)
        patient = PatientBrowser(app.test_client(), token)
        patient.start()
        patient.answer_all("phq9", "2")
        assert patient.finish().status_code == 302
        exported = download_patient_file(admin, world.unit_id, world.patient_id, "nb")
        assert (exported["format"], exported["version"]) == ("fit-platform patient data", 4)
        (response,) = exported["episodes"][0]["responses"]
        assert (response["total"], response["band"]) == (18, band), language
        assert response["score_details"]["band"] == "moderately_severe"  # the stored record
        assert "moderately_severe" not in json.dumps(
            {key: value for key, value in response.items() if key != "score_details"}
        )


def _paused_patients_file(app: Flask, admin: FlaskClient, language: Language) -> dict[str, Any]:
    """The downloaded file (the administrator working in bokmål) of a patient who answered
    PHQ-9 with a risk answer and a comment, made a crisis plan with her therapist and a
    standing choice on her own, paused feedback, had a questionnaire not sent after the pause
    and a reminder that failed."""
    db = _db(app)
    world = make_world(db, language=language)
    _invitation_id, token = open_invitation(db, world)
    patient = PatientBrowser(app.test_client(), token, lang=language.value)
    patient.start()
    patient.answer_all("phq9", "2")  # item 9 at 2: a risk answer
    assert patient.finish(comment=WORDS).status_code == 302
    own_plan.save_crisis_plan(
        db,
        world.patient_id,
        CrisisPlanText(what_helps="Turar"),
        NOW,
        recorded_by=RecordedBy.THERAPIST_WITH_PATIENT,
        staff_id=world.therapist_id,
    )
    own_plan.change_choice(
        db, world.patient_id, NOW, event=ChoiceEventKind.RECORDED, kind=ChoiceKind.MEDICATION_FREE
    )
    add_consent_event(db, world, ConsentEventKind.PAUSED)
    invitation, _token = make_invitation(db, world, "gad7", state=InvitationState.SCHEDULED)
    with db.transaction() as session:
        skipped = session.get_one(Invitation, invitation.id)
        skipped.state = InvitationState.EXPIRED
        skipped.non_response_reason = SkipReason.AFTER_PAUSE.value
    add_failed_message(db, world, invitation_id=invitation.id)
    exported: dict[str, Any] = download_patient_file(admin, world.unit_id, world.patient_id, "nb")
    return exported


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            Language.NYNORSK,
            {
                "state": "ikkje svara i tide",
                "not_answered_because": "Ikkje sendt: spørjeskjemaa var sette på pause til det "
                "var for lite tid att til å svare",
                "signal": "Risikosvar",
                "consent": "Sette tilbakemelding på pause",
                "by": "pasienten",
                "message": ("invitasjon", "SMS", "levering mislukka"),
                "access": ("administrator", "laga ein kopi av dataa dine til deg"),
                "patient": ("nynorsk", "SMS", "Gir tilbakemelding"),
                "episode": "Ope",
                "instrument": "Pasienten sitt helsespørjeskjema (PHQ-9)",
                "response": "sendt inn",
                "comment": "skrive på siste sida i spørjeskjemaet",
                "severity": "høg",
                "choice": ("registrert", "pasienten"),
                "plan_by": "ein behandlar saman med pasienten",
            },
        ),
        (
            Language.ENGLISH,
            {
                "state": "not answered in time",
                "not_answered_because": "Not sent: questionnaires were paused until too little "
                "time was left to answer",
                "signal": "Risk answer",
                "consent": "Paused feedback",
                "by": "the patient",
                "message": ("invitation", "SMS", "delivery failed"),
                "access": ("administrator", "made a copy of your data for you"),
                "patient": ("English", "SMS", "Gives feedback"),
                "episode": "Open",
                "instrument": "Patient Health Questionnaire (PHQ-9)",
                "response": "sent in",
                "comment": "written on the questionnaire's last page",
                "severity": "high",
                "choice": ("recorded", "the patient"),
                "plan_by": "a therapist with the patient",
            },
        ),
    ],
)
def test_the_download_names_every_code_in_the_patients_own_language_beside_the_code(
    app: Flask, language: Language, words: dict[str, Any]
) -> None:
    # A patient reading her own file cannot read "not_sent_after_pause": each code keeps its
    # field (a program reading version 2 still finds it) and gets its words beside it.
    exported = _paused_patients_file(app, _admin(app), language)
    assert exported["version"] == 4
    person = exported["patient"]
    assert (person["language"], person["channel"], person["consent_state"]) == (
        language.value,
        "sms",
        "active",
    )
    assert (
        person["language_text"],
        person["channel_text"],
        person["consent_state_text"],
    ) == words["patient"]
    (episode,) = exported["episodes"]
    assert (episode["status"], episode["status_text"]) == ("active", words["episode"])
    skipped = next(row for row in episode["invitations"] if row["instrument"] == "gad7")
    assert (skipped["state"], skipped["state_text"]) == ("expired", words["state"])
    assert skipped["not_answered_because"] == "not_sent_after_pause"
    assert skipped["not_answered_because_text"] == words["not_answered_because"]
    answered = next(row for row in episode["invitations"] if row["instrument"] == "phq9")
    assert answered["not_answered_because"] is None
    assert answered["not_answered_because_text"] is None
    assert (answered["instrument"], answered["instrument_text"]) == ("phq9", words["instrument"])
    (response,) = episode["responses"]
    language_named = (language.value, words["patient"][0])
    assert (response["language"], response["language_text"]) == language_named
    assert {(a["language"], a["language_text"]) for a in response["answers"]} == {language_named}
    assert (response["status"], response["status_text"]) == ("submitted", words["response"])
    assert (response["instrument"], response["instrument_text"]) == ("phq9", words["instrument"])
    (comment,) = response["comments"]
    assert (comment["source"], comment["source_text"]) == ("finish", words["comment"])
    assert comment["text"] == WORDS  # free text as written
    (signal,) = episode["signals"]
    assert (signal["code"], signal["code_text"]) == ("risk_answer", words["signal"])
    assert (signal["severity"], signal["severity_text"]) == ("high", words["severity"])
    (version,) = exported["crisis_plan_versions"]
    assert (version["by"], version["by_text"]) == ("therapist_with_patient", words["plan_by"])
    (choice,) = exported["standing_choice_events"]
    assert (choice["event"], choice["by"]) == ("recorded", "patient")
    assert (choice["event_text"], choice["by_text"]) == words["choice"]
    assert choice["kind"] == "medication_free" and choice["kind_text"]
    (event,) = exported["consent_history"]
    assert (event["kind"], event["kind_text"]) == ("paused", words["consent"])
    assert (event["by"], event["by_text"]) == ("patient", words["by"])
    assert (event["channel"], event["channel_text"]) == (None, None)
    (message,) = exported["messages"]
    assert (message["kind_text"], message["channel_text"], message["state_text"]) == words[
        "message"
    ]
    export_row = exported["access_log"][-1]
    assert (export_row["role"], export_row["action"]) == ("admin", "admin_patient_export")
    assert (export_row["role_text"], export_row["action_text"]) == words["access"]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("unit=abc&record_id=EPR-1", 400, "Choose a unit from the list."),
        ("unit={unit}&record_id=", 400, "Enter the patient's record id."),
        ("unit={unit}&record_id=" + "x" * 65, 400, "A record id is at most 64 characters."),
        ("unit={unit}&record_id=EPR-nobody", 404, "No patient with this record id in this unit."),
        ("unit={unit}&record_id=EPR%00-1", 404, "No patient with this record id in this unit."),
        ("unit=99999999999999999999&record_id=EPR-1", 400, "Choose a unit from the list."),
    ],
)
def test_a_bad_search_gets_a_clear_message_not_an_error_page(
    app: Flask, query: str, status: int, message: str
) -> None:
    unit = make_unit(_db(app))
    admin = _admin(app)
    response = admin.get("/admin/patients?lang=en&" + query.format(unit=unit.id))
    assert response.status_code == status
    assert message in unescape(response.get_data(as_text=True))


def test_a_patient_is_not_found_through_another_unit_in_any_address(app: Flask) -> None:
    db = _db(app)
    world = make_world(db)
    other = make_unit(db)
    admin = _admin(app)
    page = admin.get(f"/admin/patients?unit={world.unit_id}&record_id=x&lang=en")
    token = csrf_token(page.get_data(as_text=True))
    assert admin.get(f"/admin/patients/{world.patient_id}/erase?unit={other.id}").status_code == 404
    assert admin.get(f"/admin/patients/{world.patient_id}/erase").status_code == 404
    for unit in ("99999999999", "-1", "1e3", "٣"):
        assert admin.get(f"/admin/patients/{world.patient_id}/erase?unit={unit}").status_code == 404
    assert admin.get(f"/admin/patients/{2**40}/erase?unit={world.unit_id}").status_code == 404
    export = admin.post(
        f"/admin/patients/{world.patient_id}/export", data={"csrf_token": token, "unit": other.id}
    )
    assert export.status_code == 404
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AdminAudit)) == 0


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.SERVICE_DEVELOPER, Role.UNIT_LEAD])
def test_other_roles_cannot_reach_a_patients_data_pages(app: Flask, role: Role) -> None:
    db = _db(app)
    world = make_world(db)
    staff = make_staff(db, (role, world.unit_id))
    client = app.test_client()
    log_in(client, staff.username, PASSWORD)
    for path in (
        f"/admin/patients?unit={world.unit_id}&record_id={_record_id(db, world)}",
        f"/admin/patients/{world.patient_id}/erase?unit={world.unit_id}",
    ):
        assert client.get(path).status_code == 403
    assert client.post(f"/admin/patients/{world.patient_id}/export").status_code in (400, 403)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AccessLog)) == 0


def test_the_admin_start_page_lists_the_patient_data_section(app: Flask) -> None:
    html = _admin(app).get("/admin/?lang=en").get_data(as_text=True)
    assert 'href="/admin/patients"' in html


def test_hostile_text_in_the_erasure_form_is_refused_or_cleaned_never_a_500(app: Flask) -> None:
    db = _db(app)
    world = make_world(db)
    admin = _admin(app)
    url = f"/admin/patients/{world.patient_id}/erase?unit={world.unit_id}&lang=en"
    token = csrf_token(admin.get(url).get_data(as_text=True))
    for confirmation, reason in (
        ("EPR\x00", "Asked\x00 in writing"),
        ("x" * 65, "Asked"),
        (_record_id(db, world), "x" * 501),
        (_record_id(db, world), "\x00\x01 "),
    ):
        response = admin.post(
            url, data={"csrf_token": token, "confirmation": confirmation, "reason": reason}
        )
        assert response.status_code == 400, (confirmation, reason)
        assert 'role="alert"' in response.get_data(as_text=True)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AdminAudit)) == 0
        assert session.get_one(Patient, world.patient_id).feedback_erased_at is None
    # A reason with a stray control character is cleaned and the erasure goes through.
    done = admin.post(
        url,
        data={
            "csrf_token": token,
            "confirmation": _record_id(db, world),
            "reason": "Asked\x00 in writing",
        },
    )
    assert done.status_code == 302
    with db.session() as session:
        assert session.scalar(select(AdminAudit.reason)) == "Asked in writing"
