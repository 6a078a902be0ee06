"""Groups through the seam: a group therapist creates a group, adds members and records a
session with who attended; each attending member whose consent allows it gets the group form
by the usual outbox and dispatcher (a paused member gets nothing); the member answers on the
web; their own therapist sees the answer on the pre-session view, while the other group
therapist sees only the group's aggregate, hidden below five answers and shown from five.

The group form is the test-only GSRS-shaped fixture, loaded through FIT_INSTRUMENTS_DIR the
way a licence holder loads the real scale (docs/groups.md)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import (
    AccessLog,
    GroupAttendance,
    Invitation,
    OutboxMessage,
    SchedulePlan,
    ScheduleRule,
    Staff,
    TherapyGroup,
    Unit,
)
from fit_platform.db.models import (
    Patient as PatientRow,
)
from fit_platform.domain.codes import ConsentEventKind, Role, ScheduleTrigger, UnitKind
from fit_platform.domain.instruments import configure_extra_dirs, default_instruments
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.services.consent import ConsentChange, record_consent
from fit_platform.services.invitations import enqueue_due
from fit_platform.services.scored_responses import add_scored_response
from tests.conftest import make_test_app
from tests.messaging.conftest import SmsEndpoint, sms_endpoint
from tests.support.factories import (
    PASSWORD,
    World,
    add_appointment,
    make_invitation,
    make_staff,
    make_unit,
    make_world,
)
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient
from tests.support.scheduling import OSLO, RuleSpec, oslo
from tests.web.test_send_times import clock_tick

__all__ = ["sms_endpoint"]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "instruments_test_only"
# A Wednesday at noon: the session ran from 10:00, outside the unit's quiet hours.
NOW = oslo(2027, 1, 6, 12, 0)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = make_test_app(database_url, tmp_path / "instance", instruments_dir=FIXTURES)
    application.extensions["fit_clock"] = lambda: NOW
    yield application
    application.extensions["fit_db"].dispose()
    configure_extra_dirs([])


@pytest.fixture
def sms(sms_endpoint: SmsEndpoint) -> Iterator[HttpSmsChannel]:
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as channel:
        yield channel


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _post(client: FlaskClient, url: str, data: dict[str, object]) -> object:
    page = client.get(url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_token(page), **data})


def _create_group(client: FlaskClient, unit_id: int, therapists: list[Staff]) -> int:
    response = _post(
        client,
        f"/groups/new?unit={unit_id}&lang=en",
        {
            "name": "Tuesday group",
            "instrument": "gsrs",
            "therapists": [str(t.id) for t in therapists],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]  # type: ignore[attr-defined]
    return int(response.headers["Location"].rsplit("/", 1)[-1])  # type: ignore[attr-defined]


def _add_members(client: FlaskClient, group_id: int, worlds: list[World]) -> None:
    for world in worlds:
        page = client.get(f"/groups/{group_id}?lang=en").get_data(as_text=True)
        response = client.post(
            f"/groups/{group_id}/members",
            data={"csrf_token": csrf_token(page), "episode": str(world.episode_id)},
        )
        assert response.status_code == 302


def _record_session(client: FlaskClient, group_id: int, worlds: list[World]) -> str:
    response = _post(
        client,
        f"/groups/{group_id}/sessions/new?lang=en",
        {
            "day": "2027-01-06",
            "time": "10:00",
            "attended": [str(w.episode_id) for w in worlds],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]  # type: ignore[attr-defined]
    return client.get(f"/groups/{group_id}?lang=en").get_data(as_text=True)


def _group_world(db: Database, members: int) -> tuple[int, Staff, Staff, list[World]]:
    unit = make_unit(db, UnitKind.DAY_PROGRAMME)
    leader = make_staff(db, (Role.THERAPIST, unit.id), name="Group Leader")
    co_leader = make_staff(db, (Role.THERAPIST, unit.id), name="Co Leader")
    own = make_staff(db, (Role.THERAPIST, unit.id), name="Own Therapist")
    worlds = [make_world(db, unit=unit, therapist=leader)]
    worlds += [make_world(db, unit=unit, therapist=own) for _ in range(members - 1)]
    return unit.id, leader, co_leader, worlds


def test_an_attending_member_answers_the_group_form_and_only_their_own_therapist_sees_it(
    app: Flask, client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    db = _db(app)
    unit_id, leader, co_leader, worlds = _group_world(db, 3)
    mine, other, paused = worlds
    record_consent(
        db,
        paused.patient_id,
        ConsentChange(ConsentEventKind.PAUSED, paused_until=NOW.date() + dt.timedelta(days=14)),
        now=NOW - dt.timedelta(days=1),
        zone=OSLO,
    )
    log_in(client, leader.username, PASSWORD)
    group_id = _create_group(client, unit_id, [leader, co_leader])
    _add_members(client, group_id, worlds)
    page = _record_session(client, group_id, worlds)
    assert "The session is recorded: 3 attended." in page
    assert "invited" not in page

    with db.session() as session:
        invited = {
            row.episode_id: row.invitation_id for row in session.scalars(select(GroupAttendance))
        }
        assert invited[paused.episode_id] is None
        assert None not in (invited[mine.episode_id], invited[other.episode_id])
        queued = session.scalars(select(OutboxMessage.patient_id)).all()
        assert None not in queued
        assert sorted(p for p in queued if p is not None) == sorted(
            [mine.patient_id, other.patient_id]
        )
        phone = session.get_one(PatientRow, mine.patient_id).phone_e164

    # The dispatcher sends the usual neutral text with the link; the member opens it.
    clock_tick(db, sms, NOW + dt.timedelta(minutes=1))
    assert len(sms_endpoint.accepted) == 2
    [message] = [m for m in sms_endpoint.accepted if m["to"] == phone]
    # The link's random token is left out: it may hold those letters by chance.
    words = message["text"].rsplit("/p/", 1)[0].lower()
    assert "gsrs" not in words and "group" not in words
    token = re.search(r"/p/([A-Za-z0-9_-]+)", message["text"]).group(1)  # type: ignore[union-attr]
    patient = Patient(app.test_client(), token)
    assert patient.start().status_code == 302
    patient.answer_all("gsrs", code="9.3")  # total 37.2
    assert patient.finish().status_code == 302

    # The leader is this member's own therapist: the answer is on the pre-session view.
    presession = client.get(f"/clinician/episodes/{mine.episode_id}?lang=en")
    assert presession.status_code == 200
    own_view = presession.get_data(as_text=True)
    assert default_instruments()["gsrs"].title["en"] in own_view
    assert "37.2" in own_view

    # The co-leader is nobody's own therapist: no individual answer, only the hidden cell.
    co = app.test_client()
    log_in(co, co_leader.username, PASSWORD)
    assert co.get(f"/clinician/episodes/{mine.episode_id}").status_code == 404
    group_page = co.get(f"/groups/{group_id}?lang=en").get_data(as_text=True)
    assert "Figures are shown when the forms close on" in group_page
    assert "37.2" not in group_page and "37,2" not in group_page
    with db.session() as session:
        reads = session.scalars(
            select(AccessLog.patient_id).where(
                AccessLog.staff_id == co_leader.id, AccessLog.action == "group_view"
            )
        ).all()
    assert {mine.patient_id, other.patient_id, paused.patient_id} <= set(reads)


def _answer(db: Database, invitation_id: int, episode_id: int, value: float) -> None:
    instrument = default_instruments()["gsrs"]
    with db.transaction() as session:
        response = add_scored_response(
            session,
            episode_id=episode_id,
            instrument=instrument,
            answers={item.link_id: value for item in instrument.items},
            when=NOW,
        )
        response.invitation_id = invitation_id


def _six_answering(app: Flask, client: FlaskClient) -> tuple[int, Staff, list[tuple[int, int]]]:
    db = _db(app)
    unit_id, leader, co_leader, worlds = _group_world(db, 6)
    log_in(client, leader.username, PASSWORD)
    group_id = _create_group(client, unit_id, [leader, co_leader])
    _add_members(client, group_id, worlds)
    _record_session(client, group_id, worlds)
    with db.session() as session:
        invitations = session.execute(
            select(Invitation.id, Invitation.episode_id)
            .where(Invitation.slot_key.like("group:%"))
            .order_by(Invitation.id)
        ).all()
    assert len(invitations) == 6
    return group_id, co_leader, [(row.id, row.episode_id) for row in invitations]


# The session started at 10:00 on 6 January; its forms close 48 hours later.
FORMS_CLOSED = oslo(2027, 1, 8, 10, 1)


def _at(app: Flask, when: dt.datetime, reader: Staff) -> FlaskClient:
    """A client of `reader` logged in at `when` (a login from days before has expired)."""
    app.extensions["fit_clock"] = lambda: when
    client = app.test_client()
    log_in(client, reader.username, PASSWORD)
    return client


def _figures(client: FlaskClient, group_id: int) -> str:
    page = client.get(f"/groups/{group_id}?lang=en").get_data(as_text=True)
    return page.split('id="sessions"', 1)[1].split('id="members"', 1)[0]


def test_four_answers_are_hidden_and_the_fifth_shows_the_figures(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    group_id, co_leader, invitations = _six_answering(app, client)
    values = [9.0, 9.5, 8.0, 10.0, 7.0]  # totals 36, 38, 32, 40, 28
    for (invitation_id, episode_id), value in zip(invitations[:4], values, strict=False):
        _answer(db, invitation_id, episode_id, value)

    client = _at(app, FORMS_CLOSED, co_leader)
    assert _figures(client, group_id).count("hidden (fewer than 5)") == 3

    invitation_id, episode_id = invitations[4]
    _answer(db, invitation_id, episode_id, values[4])
    figures = _figures(client, group_id)
    assert "hidden (fewer than 5)" not in figures
    assert ">5</td>" in figures  # answers
    assert ">34.8</td>" in figures  # mean of 36, 38, 32, 40, 28
    assert ">40 %</td>" in figures  # 32 and 28 are below 36


def test_no_figures_while_the_forms_are_open_so_a_sixth_answer_cannot_be_worked_out(
    app: Flask, client: FlaskClient
) -> None:
    """Five answers then a sixth while the forms are open: had both views shown the count and
    the mean, 6 x mean6 - 5 x mean5 would be the sixth member's exact total."""
    db = _db(app)
    group_id, co_leader, invitations = _six_answering(app, client)
    values = [9.0, 9.5, 8.0, 10.0, 7.0, 8.5]  # totals 36, 38, 32, 40, 28, 34
    for (invitation_id, episode_id), value in zip(invitations[:5], values, strict=False):
        _answer(db, invitation_id, episode_id, value)
    five = _figures(client, group_id)
    assert "Figures are shown when the forms close on" in five
    assert ">34.8</td>" not in five and ">40 %</td>" not in five

    invitation_id, episode_id = invitations[5]
    _answer(db, invitation_id, episode_id, values[5])
    client = _at(app, oslo(2027, 1, 8, 9, 59), co_leader)  # a minute before they close
    six = _figures(client, group_id)
    assert "Figures are shown when the forms close on" in six
    assert ">34.7</td>" not in six and ">50 %</td>" not in six

    client = _at(app, FORMS_CLOSED, co_leader)
    closed = _figures(client, group_id)
    assert "Figures are shown when the forms close" not in closed
    assert closed.count(">6</td>") == 2  # attended and answered
    assert ">34.7</td>" in closed  # mean of 36, 38, 32, 40, 28, 34
    assert ">50 %</td>" in closed  # 32, 28 and 34 are below 36


def test_a_therapist_who_does_not_lead_the_group_gets_404_and_bad_input_is_refused(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    unit_id, leader, co_leader, worlds = _group_world(db, 2)
    log_in(client, leader.username, PASSWORD)
    group_id = _create_group(client, unit_id, [leader])
    _add_members(client, group_id, worlds)

    future = _post(
        client,
        f"/groups/{group_id}/sessions/new?lang=en",
        {"day": "2027-01-07", "time": "10:00", "attended": [str(worlds[0].episode_id)]},
    )
    assert future.status_code == 422  # type: ignore[attr-defined]
    assert "A session can be recorded once it has started." in future.get_data(as_text=True)  # type: ignore[attr-defined]
    nobody = _post(
        client, f"/groups/{group_id}/sessions/new?lang=en", {"day": "2027-01-06", "time": "10:00"}
    )
    assert nobody.status_code == 422  # type: ignore[attr-defined]
    stranger = make_world(db)  # an episode in another unit
    forged = _post(
        client,
        f"/groups/{group_id}/sessions/new?lang=en",
        {"day": "2027-01-06", "time": "10:00", "attended": [str(stranger.episode_id)]},
    )
    assert forged.status_code == 422  # type: ignore[attr-defined]
    joined = _post(client, f"/groups/{group_id}?lang=en", {})
    assert joined.status_code == 405  # type: ignore[attr-defined]
    page = client.get(f"/groups/{group_id}?lang=en").get_data(as_text=True)
    outsider = client.post(
        f"/groups/{group_id}/members",
        data={"csrf_token": csrf_token(page), "episode": str(stranger.episode_id)},
    )
    assert outsider.status_code == 422
    assert "Only a patient with an open episode in the unit can join." in outsider.get_data(
        as_text=True
    )
    duplicate = _post(
        client,
        f"/groups/new?unit={unit_id}&lang=en",
        {"name": "Tuesday group", "instrument": "gsrs", "therapists": [str(leader.id)]},
    )
    assert duplicate.status_code == 422  # type: ignore[attr-defined]
    assert "The unit already has a group with this name." in duplicate.get_data(as_text=True)  # type: ignore[attr-defined]

    # Taking a member out: they leave the list and can no longer be recorded as attending.
    removed = worlds[1]
    remove = client.post(
        f"/groups/{group_id}/members/{removed.episode_id}/remove",
        data={"csrf_token": csrf_token(client.get(f"/groups/{group_id}").get_data(as_text=True))},
    )
    assert remove.status_code == 302
    with db.session() as session:
        name = session.get_one(PatientRow, removed.patient_id).display_name
    assert f"Remove {name} from the group" not in client.get(
        f"/groups/{group_id}?lang=en"
    ).get_data(as_text=True)
    gone = _post(
        client,
        f"/groups/{group_id}/sessions/new?lang=en",
        {"day": "2027-01-06", "time": "10:00", "attended": [str(removed.episode_id)]},
    )
    assert gone.status_code == 422  # type: ignore[attr-defined]

    co = app.test_client()
    log_in(co, co_leader.username, PASSWORD)
    assert co.get(f"/groups/{group_id}").status_code == 404
    assert co.post(f"/groups/{group_id}/members/{worlds[0].episode_id}/remove").status_code in (
        400,
        404,
    )
    with db.session() as session:
        assert session.scalar(select(TherapyGroup.id).where(TherapyGroup.id == group_id))
        assert session.scalars(select(Invitation)).all() == []


def test_an_administrator_creates_a_group_for_a_unit_and_its_reads_are_logged_as_admin(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    unit_id, leader, _co_leader, worlds = _group_world(db, 1)
    other_unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    choose = client.get("/groups/new?lang=en").get_data(as_text=True)
    assert f"/groups/new?unit={unit_id}" in choose and f"?unit={other_unit.id}" in choose
    group_id = _create_group(client, unit_id, [leader])
    _add_members(client, group_id, worlds)
    with db.session() as session:
        roles = session.scalars(
            select(AccessLog.role).where(
                AccessLog.staff_id == admin.id,
                AccessLog.action.in_(("group_view", "group_member_picker")),
            )
        ).all()
    assert roles and set(roles) == {Role.ADMIN}

    # The leader finds the group among theirs; a therapist of another unit cannot create one
    # in this unit.
    leads = app.test_client()
    log_in(leads, leader.username, PASSWORD)
    assert "Tuesday group" in leads.get("/groups/?lang=en").get_data(as_text=True)
    outsider = make_staff(db, (Role.THERAPIST, other_unit.id))
    elsewhere = app.test_client()
    log_in(elsewhere, outsider.username, PASSWORD)
    assert elsewhere.get(f"/groups/new?unit={unit_id}").status_code == 404
    assert "Tuesday group" not in elsewhere.get("/groups/?lang=en").get_data(as_text=True)


def test_a_group_form_is_never_on_one_patients_schedule(app: Flask, client: FlaskClient) -> None:
    db = _db(app)
    _unit_id, _leader, _co_leader, worlds = _group_world(db, 2)
    own = worlds[1]
    log_in(client, own.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{own.episode_id}/schedule?lang=en"
    form = client.get(url).get_data(as_text=True)
    assert '<option value="phq9"' in form and '<option value="gsrs"' not in form
    rule = {
        "new-csrf_token": csrf_token(form),
        "new-instrument": "gsrs",
        "new-trigger": "after_appointment",
        "new-offset_hours": "1",
        "new-window_hours": "48",
        "new-min_interval_hours": "0",
        "new-active": "y",
    }
    refused = client.post(url, data=rule)
    assert refused.status_code == 422
    assert "This is a group form" in refused.get_data(as_text=True)
    nn = client.post(url.replace("lang=en", "lang=nn"), data=rule)
    assert "Dette er eit gruppeskjema" in nn.get_data(as_text=True)
    with db.session() as session:
        assert session.scalars(select(ScheduleRule)).all() == []
    # A rule written before this check (or by hand) never makes the scheduler send it; the
    # plan's other rule shows that the scheduler did run for this appointment.
    with db.transaction() as session:
        # Opening the schedule page makes no plan (a GET writes nothing): the episode's own plan
        # is made here, as saving its first rule would.
        assert (
            session.scalars(
                select(SchedulePlan).where(SchedulePlan.episode_id == own.episode_id)
            ).all()
            == []
        )
        plan = SchedulePlan(name="", episode_id=own.episode_id)
        session.add(plan)
        plan.rules.extend(
            ScheduleRule(**vars(RuleSpec(instrument, ScheduleTrigger.AFTER_APPOINTMENT, 1)))
            for instrument in ("gsrs", "phq9")
        )
    add_appointment(db, own, NOW - dt.timedelta(hours=2))
    assert enqueue_due(db, NOW, zone=OSLO).invitations == 1
    with db.session() as session:
        assert session.scalars(select(Invitation.instrument_id)).all() == ["phq9"]


def _who_has_looked(app: Flask, world: World) -> str:
    _invitation, token = make_invitation(_db(app), world, due_at=NOW - dt.timedelta(hours=1))
    patient = Patient(app.test_client(), token)
    patient.start()
    patient.answer_all("phq9", "0")
    patient.finish()
    html = patient.client.get("/p/progress?lang=en").get_data(as_text=True)
    return html[html.index('<div class="table-wrap"') :].lower()


def test_a_patient_offered_in_the_add_a_member_list_is_not_told_she_was_on_a_group_page(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    unit_id, leader, co_leader, worlds = _group_world(db, 3)
    member, outsider = worlds[0], worlds[2]
    log_in(client, leader.username, PASSWORD)
    group_id = _create_group(client, unit_id, [leader, co_leader])
    _add_members(client, group_id, [member])
    page = client.get(f"/groups/{group_id}?lang=en").get_data(as_text=True)
    assert f'value="{outsider.episode_id}"' in page  # offered in the picker

    outsider_sees = _who_has_looked(app, outsider)
    assert "saw your name in a list of the unit's patients who could be added to a group" in (
        outsider_sees.replace("&#39;", "'")
    )
    assert "page of your group" not in outsider_sees
    member_sees = _who_has_looked(app, member)
    assert "saw you on the page of your group" in member_sees  # after being added


def test_group_names_are_unique_in_the_unit_whatever_the_case_of_ae_oe_aa(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    unit_id, leader, _co_leader, _worlds = _group_world(db, 1)
    log_in(client, leader.username, PASSWORD)
    url = f"/groups/new?unit={unit_id}&lang=en"
    first = _post(client, url, {"name": "Ærlig tale på Østre", "instrument": "gsrs",
                                "therapists": [str(leader.id)]})  # fmt: skip
    assert first.status_code == 302  # type: ignore[attr-defined]
    second = _post(client, url, {"name": "ærlig TALE på øSTRE", "instrument": "gsrs",
                                 "therapists": [str(leader.id)]})  # fmt: skip
    assert second.status_code == 422  # type: ignore[attr-defined]
    assert "The unit already has a group with this name." in second.get_data(as_text=True)  # type: ignore[attr-defined]
    with db.session() as session:
        assert len(session.scalars(select(TherapyGroup.id)).all()) == 1


def test_the_add_a_member_list_tells_two_patients_of_the_same_name_apart(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    unit_id, leader, co_leader, _worlds = _group_world(db, 1)
    with db.session() as session:
        unit = session.get_one(Unit, unit_id)
    twins = [
        make_world(db, unit=unit, therapist=leader, started_on=dt.date(2026, 9, 1)),
        make_world(db, unit=unit, therapist=leader, started_on=dt.date(2026, 11, 16)),
    ]
    with db.transaction() as session:
        for twin in twins:
            session.get_one(PatientRow, twin.patient_id).display_name = "Kari Nordmann"
    log_in(client, leader.username, PASSWORD)
    group_id = _create_group(client, unit_id, [leader, co_leader])
    page = client.get(f"/groups/{group_id}?lang=en").get_data(as_text=True)
    # Day first, as every date on the staff pages (it read "Sep 1, 2026", month first).
    assert "Kari Nordmann (in the unit since 1 Sept 2026)" in page
    assert "Kari Nordmann (in the unit since 16 Nov 2026)" in page
