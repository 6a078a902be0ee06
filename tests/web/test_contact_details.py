"""Correcting a patient's contact details (right to rectification), through the seam: the
therapist corrects the number on the web, the scheduler and the dispatcher run, and the real
loopback SMS endpoint shows where the invitation went. Also: the rules of registration, the
access log, the audit row without addresses, the administrator's way in, and what the
patient sees of it on the choices page.

Scheduled times are fixed (early December 2026, Oslo); nothing here reads the wall clock
except the patient's open link, which is relative to now.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import AccessLog, AdminAudit, ConsentEvent, OutboxMessage, Patient
from fit_platform.domain.codes import Actor, Channel, ConsentEventKind, Language, Role
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.scheduler.clock import run_once
from tests.messaging.conftest import SmsEndpoint, sms_endpoint
from tests.support.factories import PASSWORD, World, make_staff, make_unit, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient as PatientBrowser
from tests.support.patient import open_invitation
from tests.support.scheduling import DAY_BEFORE, Clock, give_plan, oslo

__all__ = ["sms_endpoint"]

OLD_NUMBER = "+4791234567"
NEW_NUMBER = "+4798765432"


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


@pytest.fixture
def sms(sms_endpoint: SmsEndpoint) -> Iterator[HttpSmsChannel]:
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as channel:
        yield channel


def a_therapists_patient(client: FlaskClient) -> World:
    """A therapist logged in, with one patient registered with OLD_NUMBER and an e-mail."""
    db = _db(client)
    world = make_world(db)
    with db.transaction() as session:
        session.get_one(Patient, world.patient_id).phone_e164 = OLD_NUMBER
    log_in(client, world.therapist_username, PASSWORD)
    return world


def contact_url(world: World) -> str:
    return f"/clinician/episodes/{world.episode_id}/contact"


def post_contact(client: FlaskClient, url: str, lang: str = "en", **fields: str) -> object:
    url = f"{url}{'&' if '?' in url else '?'}lang={lang}"
    page = client.get(url).get_data(as_text=True)
    data = {"phone": "", "email": "", "language": "nb", "channel": "sms", **fields}
    return client.post(url, data={"csrf_token": csrf_token(page), **data})


def patient_row(db: Database, patient_id: int) -> Patient:
    with db.session() as session:
        return session.get_one(Patient, patient_id)


def test_the_next_invitation_goes_to_the_corrected_number_and_nothing_to_the_old_one(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    db = _db(client)
    world = a_therapists_patient(client)
    give_plan(db, world.episode_id, DAY_BEFORE)
    appointments = f"/clinician/episodes/{world.episode_id}/appointments"
    page = client.get(appointments).get_data(as_text=True)
    booked = client.post(
        appointments, data={"csrf_token": csrf_token(page), "day": "2026-12-03", "time": "09:30"}
    )
    assert booked.status_code == 302
    # The invitation is queued the evening before, still for the old number's owner...
    run_once(db, None, clock=Clock(oslo(2026, 12, 2, 18)))
    with db.session() as session:
        assert session.scalars(select(OutboxMessage)).one().channel is Channel.SMS
    # ...and the patient calls to say the number has changed: the therapist finds the page
    # from the pre-session view and corrects it.
    presession = client.get(f"/clinician/episodes/{world.episode_id}?lang=en")
    assert contact_url(world) in presession.get_data(as_text=True)
    response = post_contact(
        client, contact_url(world), phone="987 65 432", email="kari@example.org"
    )
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response.headers["Location"] == f"/clinician/episodes/{world.episode_id}"  # type: ignore[attr-defined]
    clock = Clock(oslo(2026, 12, 3, 8))
    dispatcher = Dispatcher(db, {Channel.SMS: sms}, lambda t: f"https://x/p/{t}", clock=clock)
    run_once(db, dispatcher, clock=clock)
    assert [message["to"] for message in sms_endpoint.accepted] == [NEW_NUMBER]
    assert all(request.get("to") != OLD_NUMBER for request in sms_endpoint.requests)
    # The pre-session view says so; the therapist's flash confirms the correction.
    page = client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    assert "The contact details are corrected." in page


def test_a_bad_number_is_refused_with_the_registration_message_and_nothing_is_lost(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = a_therapists_patient(client)
    before = patient_row(db, world.patient_id)
    response = post_contact(
        client, contact_url(world), phone="22 00 00 00", email="ny@example.org", language="en"
    )
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "Enter a Norwegian or international mobile number that can receive SMS." in html
    assert 'href="#phone"' in html
    # What was typed is still in the form, to be fixed rather than typed again.
    assert 'value="22 00 00 00"' in html and 'value="ny@example.org"' in html
    after = patient_row(db, world.patient_id)
    assert (after.phone_e164, after.email, after.preferred_language) == (
        before.phone_e164,
        before.email,
        before.preferred_language,
    )
    nb = post_contact(client, contact_url(world), lang="nb", phone="", channel="sms")
    assert "Det trengs et mobilnummer for å sende lenker på SMS." in nb.get_data(as_text=True)  # type: ignore[attr-defined]
    nn = post_contact(client, contact_url(world), lang="nn", email="ikke en adresse")
    assert nn.status_code == 422  # type: ignore[attr-defined]
    with db.session() as session:
        assert session.scalars(select(AdminAudit)).all() == []


def test_every_wrong_contact_field_is_named_in_one_round(client: FlaskClient) -> None:
    """An e-mail address the form refuses and no mobile number for SMS: the page named the
    address, and only on the next submit the missing number (registration named both)."""
    world = a_therapists_patient(client)
    response = post_contact(client, contact_url(world), phone="", email="x", channel="sms")
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "A mobile number is needed to send links by SMS." in html
    assert 'href="#phone"' in html and 'href="#email"' in html


def test_a_changed_channel_is_a_consent_event_and_the_audit_row_names_fields_not_addresses(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    db = _db(client)
    world = a_therapists_patient(client)
    caplog.set_level(logging.INFO)
    response = post_contact(
        client,
        contact_url(world),
        phone="",
        email="Kari.Ny@Example.ORG",
        language="nn",
        channel="email",
    )
    assert response.status_code == 302  # type: ignore[attr-defined]
    patient = patient_row(db, world.patient_id)
    assert patient.phone_e164 is None
    assert patient.email == "Kari.Ny@example.org"
    assert patient.preferred_language is Language.NYNORSK
    assert patient.preferred_channel is Channel.EMAIL
    with db.session() as session:
        event = session.scalars(select(ConsentEvent)).one()
        assert (event.kind, event.actor, event.staff_id, event.channel) == (
            ConsentEventKind.CHANNEL_CHANGED,
            Actor.STAFF,
            world.therapist_id,
            Channel.EMAIL,
        )
        audit = session.scalars(select(AdminAudit)).one()
        assert (audit.action, audit.target_kind, audit.target_id, audit.staff_id) == (
            "patient_contact_corrected",
            "patient",
            world.patient_id,
            world.therapist_id,
        )
        assert json.loads(audit.after or "{}") == {
            "phone": "removed",
            "email": "changed",
            "language": "nn",
            "channel": "email",
        }
        assert json.loads(audit.before or "{}") == {"language": "nb", "channel": "sms"}
        actions = session.scalars(
            select(AccessLog.action).where(AccessLog.patient_id == world.patient_id)
        ).all()
        assert "contact_details_view" in actions and "contact_details_correct" in actions
    logged = "\n".join(record.getMessage() + repr(record.__dict__) for record in caplog.records)
    assert "patient_contact_corrected" in logged
    for secret in (OLD_NUMBER, "91234567", "Kari.Ny", "example.org"):
        assert secret not in logged
    # Saving again what is on file changes nothing and audits nothing.
    again = post_contact(
        client,
        contact_url(world),
        email="Kari.Ny@example.org",
        language="nn",
        channel="email",
    )
    assert again.status_code == 302  # type: ignore[attr-defined]
    with db.session() as session:
        assert len(session.scalars(select(AdminAudit)).all()) == 1


def test_only_the_patients_own_therapist_reaches_the_page(client: FlaskClient) -> None:
    db = _db(client)
    world = make_world(db)
    colleague = make_staff(db, (Role.THERAPIST, world.unit_id))
    lead = make_staff(db, (Role.UNIT_LEAD, world.unit_id))
    log_in(client, colleague.username, PASSWORD)
    assert client.get(contact_url(world)).status_code == 404
    assert client.post(contact_url(world), data={"phone": "98765432"}).status_code in (400, 404)
    lead_client = client.application.test_client()
    log_in(lead_client, lead.username, PASSWORD)
    # A unit lead reads the episode but does not change the registration.
    assert lead_client.get(contact_url(world)).status_code == 403
    assert patient_row(db, world.patient_id).phone_e164 != "+4798765432"


def test_an_administrator_corrects_the_details_from_a_patients_data_page(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    other_unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    on_file = patient_row(db, world.patient_id)
    external_id = on_file.external_id
    log_in(client, admin.username, PASSWORD)
    found = client.get(f"/admin/patients?unit={world.unit_id}&record_id={external_id}&lang=en")
    url = f"/admin/patients/{world.patient_id}/contact?unit={world.unit_id}&record_id={external_id}"
    assert url.replace("&", "&amp;") in found.get_data(as_text=True)
    response = post_contact(
        client,
        url.split("?")[0] + f"?unit={world.unit_id}",
        phone="98765432",
        email=on_file.email or "",
    )
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert patient_row(db, world.patient_id).phone_e164 == NEW_NUMBER
    # A unit the patient has no episode in is a forged address.
    forged = f"/admin/patients/{world.patient_id}/contact?unit={other_unit.id}"
    assert client.get(forged).status_code == 404
    with db.session() as session:
        audit = session.scalars(select(AdminAudit)).one()
        assert (audit.staff_id, json.loads(audit.after or "{}")) == (admin.id, {"phone": "changed"})
        roles = session.scalars(
            select(AccessLog.role).where(AccessLog.action == "contact_details_correct")
        ).all()
        assert roles == [Role.ADMIN]
    audit_page = client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "contact details corrected" in audit_page
    assert NEW_NUMBER not in audit_page


def test_the_patient_sees_where_links_go_partly_hidden_on_the_choices_page(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    with db.transaction() as session:
        patient = session.get_one(Patient, world.patient_id)
        patient.phone_e164 = OLD_NUMBER
        patient.email = "kari.nordmann@example.org"
    _, token = open_invitation(db, world)
    browser = PatientBrowser(client, token)
    assert browser.post(f"/p/{token}", {"action": "choices"}).status_code == 302
    # The choice menu leads to "Change how we contact you", which shows what is on file.
    assert "/p/choices/channel" in client.get("/p/choices?lang=en").get_data(as_text=True)
    page = client.get("/p/choices/channel?lang=en").get_data(as_text=True)
    assert "Mobile number: ending in 67" in page
    # The dots are hidden from a screen reader, which hears "(letters hidden)" instead.
    assert (
        'E-mail: k<span aria-hidden="true">\u2022\u2022\u2022</span>'
        '<span class="visually-hidden">(letters hidden)</span>@example.org'
    ) in page
    for hidden in (OLD_NUMBER, "91234567", "912 34 567", "kari.nordmann"):
        assert hidden not in page
    assert "tell your therapist, who can correct it" in page
    nn = client.get("/p/choices/channel?lang=nn").get_data(as_text=True)
    assert "67" in nn and "kari.nordmann" not in nn


def test_the_choices_page_says_which_language_messages_come_in_and_who_changes_it(
    client: FlaskClient,
) -> None:
    """A patient looking for the language of the messages on the choices page found nothing:
    only staff set it (switching the page's language changes the pages alone)."""
    db = _db(client)
    world = a_therapists_patient(client)
    _, token = open_invitation(db, world)
    patient = PatientBrowser(client.application.test_client(), token)
    assert patient.post(f"/p/{token}", {"action": "choices"}).status_code == 302
    page = patient.client.get("/p/choices?lang=en").get_data(as_text=True)
    assert (
        "Our messages to you are in Bokmål: ask your therapist if you want them in another"
        " language. You choose the language of these pages at the top."
    ) in page
    # The language menu at the top still names each language in itself (the line's own
    # names once replaced the menu's: "bokmål nynorsk English").
    assert ">Bokmål<" in page and ">Nynorsk<" in page and ">English<" in page
    # The therapist changes it with the patient on the contact page; the page follows at once.
    response = post_contact(client, contact_url(world), phone=OLD_NUMBER, language="nn")
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert patient_row(db, world.patient_id).preferred_language is Language.NYNORSK
    page = patient.client.get("/p/choices?lang=nn").get_data(as_text=True)
    assert "Meldingane våre til deg er på nynorsk: spør behandlaren din" in page
