"""An archived unit sends nothing: its open episodes' behandler is told so on the caseload, the
episode and its schedule (which is read, not changed), and the admin is told before archiving
how many episodes are open. A closed episode's signals left open are labelled as such."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Episode, ScheduleRule
from fit_platform.domain.codes import Role, ScheduleTrigger, UnitKind
from fit_platform.domain.signals import SignalCode
from tests.support.clinical import add_signal
from tests.support.factories import PASSWORD, World, make_staff, make_unit, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import open_invitation
from tests.support.scheduling import RuleSpec, give_plan

NOW = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)
NOTICE = "The unit is archived: no questionnaire is sent."


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _log_out(client: FlaskClient) -> None:
    token = csrf_token(client.get("/staff/account").get_data(as_text=True))
    client.post("/staff/logout", data={"csrf_token": token})


def _admin_archives(client: FlaskClient, world: World) -> str:
    """The admin reads the unit page, archives the unit; returns the page read before."""
    admin = make_staff(_db(client), (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    url = f"/admin/units/{world.unit_id}"
    before = client.get(url + "?lang=en").get_data(as_text=True)
    # With open episodes the button leads to a step that says what archiving leaves behind.
    assert f'href="{url}/archive"' in before
    before = client.get(url + "/archive?lang=en").get_data(as_text=True)
    response = client.post(url + "/archive", data={"csrf_token": csrf_token(before)})
    assert response.status_code == 302
    _log_out(client)
    return before


def _rule(db: Database) -> ScheduleRule:
    with db.session() as session:
        return session.scalars(select(ScheduleRule)).one()


def test_the_behandler_is_told_an_archived_unit_sends_nothing_and_the_plan_is_read_only(
    client: FlaskClient,
) -> None:
    client.application.extensions["fit_clock"] = lambda: NOW
    db = _db(client)
    world = make_world(db)
    open_invitation(db, world)
    give_plan(
        db,
        world.episode_id,
        RuleSpec("phq9", ScheduleTrigger.WEEKLY, weekdays="1", send_time="09:30"),
    )
    admin_page = _admin_archives(client, world)
    # The admin was told before archiving how many episodes are open and what follows.
    assert "1 episode is open in this unit" in admin_page
    assert "1 therapist responsible for them" in admin_page
    assert "1 unanswered questionnaire is cancelled" in admin_page
    assert f"/admin/units/{world.unit_id}/episodes" in admin_page

    log_in(client, world.therapist_username, PASSWORD)
    caseload = client.get("/clinician/?lang=en").get_data(as_text=True)
    assert NOTICE in caseload
    base = f"/clinician/episodes/{world.episode_id}"
    presession = client.get(f"{base}?lang=en").get_data(as_text=True)
    assert NOTICE in presession
    assert "Enheten er arkivert: ingen spørreskjema blir sendt" in client.get(
        f"{base}?lang=nb"
    ).get_data(as_text=True)
    schedule = client.get(f"{base}/schedule?lang=en").get_data(as_text=True)
    assert NOTICE in schedule
    assert "Changes apply from the next questionnaire" not in schedule
    assert "Save rule" not in schedule and "Add a rule" not in schedule
    assert 'name="new-instrument"' not in schedule
    assert "Eininga er arkivert: ingen spørjeskjema blir sende" in client.get(
        f"{base}/schedule?lang=nn"
    ).get_data(as_text=True)

    # A crafted change is refused with a message, and nothing is changed.
    before = _rule(db)
    token = csrf_token(client.get("/staff/account").get_data(as_text=True))
    refused = client.post(
        f"{base}/schedule/{before.id}?lang=en",
        data={
            f"rule-{before.id}-csrf_token": token,
            f"rule-{before.id}-instrument": "phq9",
            f"rule-{before.id}-trigger": "weekly",
            f"rule-{before.id}-offset_hours": "0",
            f"rule-{before.id}-weekdays": ["3"],
            f"rule-{before.id}-send_time": "10:00",
            f"rule-{before.id}-window_hours": "48",
            f"rule-{before.id}-min_interval_hours": "72",
            f"rule-{before.id}-active": "y",
        },
    )
    assert refused.status_code == 303
    page = client.get(refused.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "The schedule was not changed: the unit is archived and sends nothing." in page
    after = _rule(db)
    assert (after.weekdays, after.send_time) == (before.weekdays, before.send_time)
    invalid = client.post(
        f"{base}/schedule", data={"new-csrf_token": token, "new-instrument": "phq9"}
    )
    assert invalid.status_code == 303
    with db.session() as session:
        assert len(session.scalars(select(ScheduleRule)).all()) == 1


def test_the_patients_open_link_says_why_it_was_cancelled(client: FlaskClient) -> None:
    client.application.extensions["fit_clock"] = lambda: NOW
    db = _db(client)
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    _admin_archives(client, world)
    response = client.application.test_client().get(f"/p/{token}?lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 410, page
    assert "the clinic has stopped sending questionnaires from this service" in page
    assert "because an appointment was moved" not in page


def test_an_episode_of_a_unit_in_use_shows_no_archive_notice(client: FlaskClient) -> None:
    client.application.extensions["fit_clock"] = lambda: NOW
    world = make_world(_db(client))
    log_in(client, world.therapist_username, PASSWORD)
    base = f"/clinician/episodes/{world.episode_id}"
    for url in ("/clinician/", base, f"{base}/schedule"):
        assert "archived" not in client.get(url + "?lang=en").get_data(as_text=True)


def test_the_admin_episodes_page_says_the_admin_closes_when_told(client: FlaskClient) -> None:
    world = make_world(_db(client))
    admin = make_staff(_db(client), (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    page = client.get(f"/admin/units/{world.unit_id}/episodes?lang=nn").get_data(as_text=True)
    assert "ingen har avslutta det" not in page
    assert "når behandlaren melder at behandlinga er over" in page


def test_signals_left_open_when_an_episode_is_closed_are_labelled_so(
    client: FlaskClient,
) -> None:
    client.application.extensions["fit_clock"] = lambda: NOW
    db = _db(client)
    world = make_world(db)
    add_signal(db, world, SignalCode.NOT_ON_TRACK, raised_at=NOW - dt.timedelta(days=2))
    add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=NOW - dt.timedelta(days=2))
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    url = f"/admin/units/{world.unit_id}/episodes"
    token = csrf_token(client.get(url).get_data(as_text=True))
    # The risk signal is not acknowledged: the administrator confirms it was followed up.
    confirmed = {"csrf_token": token, f"close-{world.episode_id}-risk_followed_up": "y"}
    assert client.post(f"{url}/{world.episode_id}/close", data=confirmed).status_code == 302
    _log_out(client)
    log_in(client, world.therapist_username, PASSWORD)
    base = f"/clinician/episodes/{world.episode_id}"
    summary = client.get(f"{base}/summary?lang=en").get_data(as_text=True)
    assert "open, raised" not in summary
    # Both stay in the record, the risk signal too: labelled, never dropped (on the page and
    # in the plain text to paste into the EPR).
    assert summary.count("open when the episode was closed on ") == 4
    assert "Risk answer" in summary
    nn = client.get(f"{base}/summary?lang=nn").get_data(as_text=True)
    assert "ope da forløpet vart avslutta" in nn
    presession = client.get(f"{base}?lang=en").get_data(as_text=True)
    assert "These signals were open when the episode was closed on " in presession
    # The unacknowledged risk signal is still in front of the unit lead.
    _log_out(client)
    lead = make_staff(db, (Role.UNIT_LEAD, world.unit_id))
    log_in(client, lead.username, PASSWORD)
    caseload = client.get("/clinician/?lang=en").get_data(as_text=True)
    assert "Risk signals not acknowledged in time" in caseload
    assert f"/clinician/episodes/{world.episode_id}#signal-" in caseload


def test_an_archived_day_programmes_own_days_are_read_only_and_a_change_is_refused(
    client: FlaskClient,
) -> None:
    client.application.extensions["fit_clock"] = lambda: NOW
    db = _db(client)
    world = make_world(db, unit=make_unit(db, UnitKind.DAY_PROGRAMME))
    give_plan(
        db,
        world.episode_id,
        RuleSpec("phq9", ScheduleTrigger.DAILY, weekdays="1,2,3,4,5", send_time="10:00"),
    )
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/own-days"
    # The therapist had the page open before the unit was archived.
    token = csrf_token(client.get(url).get_data(as_text=True))
    _log_out(client)
    _admin_archives(client, world)

    log_in(client, world.therapist_username, PASSWORD)
    page = client.get(f"{url}?lang=en").get_data(as_text=True)
    assert NOTICE in page
    assert "The patient's days now: Monday, Tuesday, Wednesday, Thursday, Friday." in page
    assert "Save the patient's days" not in page and 'name="days"' not in page
    assert "Eininga er arkivert: ingen spørjeskjema blir sende" in client.get(
        f"{url}?lang=nn"
    ).get_data(as_text=True)
    token = csrf_token(client.get("/staff/account").get_data(as_text=True))
    for days in (["0", "2"], []):  # a valid choice and an invalid one are refused alike
        refused = client.post(f"{url}?lang=en", data={"csrf_token": token, "days": days})
        assert refused.status_code == 303
        shown = client.get(refused.headers["Location"] + "?lang=en").get_data(as_text=True)
        assert "days were not changed: the unit is archived and sends nothing." in shown
    with db.session() as session:
        assert session.get_one(Episode, world.episode_id).own_weekdays is None
