from __future__ import annotations

import datetime as dt
import re

from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import (
    AccessLog,
    Invitation,
    OutboxMessage,
    SchedulePlan,
    ScheduleRule,
)
from fit_platform.domain.codes import InvitationState, OutboxState, Role, ScheduleTrigger
from fit_platform.services.enqueue import enqueue_due
from tests.support.factories import PASSWORD, make_staff, make_world
from tests.support.html import csrf_token, log_in
from tests.support.scheduling import OSLO

SUMMARY_OPENS = '<div class="alert alert-error" role="alert" tabindex="-1" autofocus>'


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _rule(**changes: object) -> dict[str, object]:
    return {
        "instrument": "phq9",
        "trigger": "weekly",
        "offset_hours": "0",
        "weekdays": ["1", "4"],
        "send_time": "09:30",
        "window_hours": "48",
        "reminder_after_hours": "24",
        "min_interval_hours": "72",
        "active": "y",
        **changes,
    }


def test_a_therapist_adds_and_changes_a_rule_in_the_episodes_own_plan(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/schedule"
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "No rules yet" in page
    with db.session() as session:  # reading the page writes no plan; the first rule does
        assert session.scalars(select(SchedulePlan)).all() == []
    data = {f"new-{key}": value for key, value in _rule().items()}
    response = client.post(url, data={"new-csrf_token": csrf_token(page), **data})
    assert response.status_code == 302
    with db.session() as session:
        rule = session.scalars(select(ScheduleRule)).one()
        plan = session.get(SchedulePlan, rule.plan_id)
    assert plan is not None and plan.episode_id == world.episode_id
    assert (rule.trigger, rule.weekdays, rule.send_time) == (ScheduleTrigger.WEEKLY, "1,4", "09:30")
    page = client.get(url).get_data(as_text=True)
    prefix = f"rule-{rule.id}-"
    changed = {prefix + key: value for key, value in _rule(weekdays=["2"]).items()}
    changed.pop(prefix + "active")  # an unticked box: the rule is paused
    response = client.post(
        f"{url}/{rule.id}", data={prefix + "csrf_token": csrf_token(page), **changed}
    )
    assert response.status_code == 302
    with db.session() as session:
        rule = session.scalars(select(ScheduleRule)).one()
        actions = session.scalars(select(AccessLog.action)).all()
    assert (rule.weekdays, rule.active) == ("2", False)
    assert actions.count("schedule_rule_added") == 1 and actions.count("schedule_change") == 1


def test_a_rule_the_scheduler_would_refuse_gets_a_message_and_is_not_saved(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/schedule?lang=en"
    page = client.get(url).get_data(as_text=True)
    assert "<title>Questionnaire schedule – " in page  # no error before anything is sent
    cases: list[tuple[dict[str, object], str]] = [
        ({"reminder_after_hours": "60"}, "The reminder must come before the time to answer"),
        ({"weekdays": []}, "A weekly rule needs at least one day."),
        ({"window_hours": "-3"}, "Enter 1 to 672 hours."),
        ({"instrument": "ors_forged"}, "Choose one of the options."),
    ]
    for bad, message in cases:
        data = {f"new-{key}": value for key, value in _rule(**bad).items()}
        response = client.post(url, data={"new-csrf_token": csrf_token(page), **data})
        assert response.status_code == 422, bad
        assert message in response.get_data(as_text=True), bad
        assert "<title>Error: Questionnaire schedule – " in response.get_data(as_text=True)
    with db.session() as session:
        assert session.scalars(select(ScheduleRule)).all() == []


def test_a_refused_rule_names_the_field_it_is_about(client: FlaskClient) -> None:
    """Every refusal of the rule's service check sat on "When": "When: the reminder must come
    before the time to answer runs out." The reminder's goes on the reminder, the days' on the
    days."""
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/schedule?lang=en"
    page = client.get(url).get_data(as_text=True)
    for bad, field, message in (
        (
            {"reminder_after_hours": "60"},
            "Reminder",
            "The reminder must come before the time to answer runs out.",
        ),
        ({"weekdays": []}, "Days", "A weekly rule needs at least one day."),
    ):
        data = {f"new-{key}": value for key, value in _rule(**bad).items()}
        html = client.post(url, data={"new-csrf_token": csrf_token(page), **data}).get_data(
            as_text=True
        )
        assert message in html, bad
        assert f"When: {message}" not in html, bad
        assert re.search(rf"{field}[^<]*: {re.escape(message)}", html), (bad, html)


def test_every_reason_a_rule_is_refused_is_named_in_one_round(client: FlaskClient) -> None:
    """A weekly rule with no day and a reminder after its window: the days' problem came only
    after the reminder's was mended and the form sent again."""
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/schedule?lang=en"
    page = client.get(url).get_data(as_text=True)
    bad = _rule(weekdays=[], reminder_after_hours="60")
    data = {f"new-{key}": value for key, value in bad.items()}
    response = client.post(url, data={"new-csrf_token": csrf_token(page), **data})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r"Reminder[^<]*: The reminder must come before the time to answer", html)
    assert re.search(r"Days[^<]*: A weekly rule needs at least one day\.", html)


def test_a_rule_that_cannot_be_saved_opens_the_page_with_what_is_wrong(
    client: FlaskClient,
) -> None:
    """The second of two rules saved with two wrong hour fields: the summary used to sit above
    that rule's form, some screens down on a phone, so the page seemed to do nothing; and it
    said "Enter 1 to 672 hours." twice without saying which field. It now comes first, before
    the heading, names the rule, and a message given to two fields names each field."""
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/schedule"
    for _ in range(2):
        page = client.get(url).get_data(as_text=True)
        data = {f"new-{key}": value for key, value in _rule().items()}
        assert (
            client.post(url, data={"new-csrf_token": csrf_token(page), **data}).status_code == 302
        )
    with db.session() as session:
        second = session.scalars(select(ScheduleRule.id).order_by(ScheduleRule.id)).all()[1]
    page = client.get(url).get_data(as_text=True)
    prefix = f"rule-{second}-"
    bad = _rule(window_hours="0", reminder_after_hours="900")
    response = client.post(
        f"{url}/{second}?lang=en",
        data={prefix + "csrf_token": csrf_token(page), **{prefix + k: v for k, v in bad.items()}},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    summary = html.split(SUMMARY_OPENS, 1)[1].split("</div>")[0]
    assert html.index('class="alert alert-error"') < html.index("<h1>")
    assert "There is a problem with rule 2" in summary
    assert f'<a href="#{prefix}window_hours">Hours to answer: Enter 1 to 672 hours.</a>' in summary
    assert (
        f'<a href="#{prefix}reminder_after_hours">Reminder after (hours, optional): '
        "Enter 1 to 672 hours.</a>"
    ) in summary
    assert html.count('class="alert alert-error"') == 1
    with db.session() as session:
        assert [rule.window_hours for rule in session.scalars(select(ScheduleRule))] == [48, 48]


def test_one_wrong_hour_field_of_a_new_rule_is_named_in_the_summary(client: FlaskClient) -> None:
    """Two fields of a rule say "Enter 1 to 672 hours.": with only the reminder wrong, the
    summary used to say it bare, and the therapist guessed which box it meant."""
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/schedule"
    page = client.get(url).get_data(as_text=True)
    bad = {f"new-{key}": value for key, value in _rule(reminder_after_hours="900").items()}
    response = client.post(f"{url}?lang=en", data={"new-csrf_token": csrf_token(page), **bad})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    summary = html.split(SUMMARY_OPENS, 1)[1].split("</div>")[0]
    assert (
        '<a href="#new-reminder_after_hours">Reminder after (hours, optional): '
        "Enter 1 to 672 hours.</a>"
    ) in summary
    # Beside the box itself the label is right there: the message stands alone.
    assert (
        '<p class="field-error" id="new-reminder_after_hours-error">Enter 1 to 672 hours.</p>'
        in html
    )
    with db.session() as session:
        assert session.scalars(select(ScheduleRule)).all() == []


def test_another_therapist_cannot_read_or_change_the_schedule(client: FlaskClient) -> None:
    db = _db(client)
    world = make_world(db)
    stranger = make_staff(db, (Role.THERAPIST, world.unit_id))
    log_in(client, stranger.username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/schedule"
    assert client.get(url).status_code == 404
    page = client.get("/clinician/register").get_data(as_text=True)
    data = {f"new-{key}": value for key, value in _rule().items()}
    assert client.post(url, data={"new-csrf_token": csrf_token(page), **data}).status_code == 404
    with db.session() as session:
        assert session.scalars(select(ScheduleRule)).all() == []
        assert session.scalars(select(AccessLog)).all() == []


def test_the_schedule_page_names_the_units_own_quiet_hours(client: FlaskClient) -> None:
    from fit_platform.db.models import Unit

    db = _db(client)
    world = make_world(db)
    with db.transaction() as session:
        unit = session.get(Unit, world.unit_id)
        assert unit is not None
        unit.quiet_from, unit.quiet_until = "20:00", "09:00"
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/schedule"
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert (
        "No questionnaire or reminder is sent between 20:00 and 09:00 (the unit's quiet hours)."
        in page
    )
    page = client.get(url + "?lang=nn").get_data(as_text=True)
    assert "Ingen spørjeskjema eller påminningar blir sende mellom kl. 20:00 og 09:00" in page


def _plan_a_weekly_phq9_ahead(client: FlaskClient, db: Database, episode_id: int) -> Invitation:
    """A weekly PHQ-9 at 10:00 tomorrow, planned at 09:00 and waiting to be sent."""
    url = f"/clinician/episodes/{episode_id}/schedule"
    # Tomorrow: a rule counts from when it was saved (the app's clock, here).
    tomorrow = dt.datetime.now(OSLO) + dt.timedelta(days=1)
    morning = tomorrow.replace(hour=9, minute=0, second=0, microsecond=0)
    rule = _rule(weekdays=[str(morning.isoweekday())], send_time="10:00", min_interval_hours="0")
    page = client.get(url + "?lang=en").get_data(as_text=True)
    new = {f"new-{key}": value for key, value in rule.items()}
    assert client.post(url, data={"new-csrf_token": csrf_token(page), **new}).status_code == 302
    enqueue_due(db, morning.astimezone(dt.UTC), zone=OSLO, horizon=dt.timedelta(hours=2))
    with db.session() as session:
        planned = session.scalars(select(Invitation)).one()
        waiting = session.scalars(select(OutboxMessage)).one()
    assert planned.state is InvitationState.SCHEDULED and waiting.state is OutboxState.QUEUED
    return planned


def _change_rule(
    client: FlaskClient,
    episode_id: int,
    rule_id: int,
    planned: Invitation,
    *,
    active: bool = True,
    **changes: object,
) -> None:
    url = f"/clinician/episodes/{episode_id}/schedule"
    page = client.get(url + "?lang=en").get_data(as_text=True)
    day = planned.due_at.astimezone(OSLO).isoweekday()
    rule = _rule(
        **{"weekdays": [str(day)], "send_time": "10:00", "min_interval_hours": "0", **changes}
    )
    prefix = f"rule-{rule_id}-"
    # An unticked box is left out of the form: the rule is switched off.
    data = {prefix + key: value for key, value in rule.items() if active or key != "active"}
    saved = client.post(f"{url}/{rule_id}", data={prefix + "csrf_token": csrf_token(page), **data})
    assert saved.status_code == 302


def test_switching_a_rule_off_cancels_its_questionnaire_planned_and_not_sent(
    client: FlaskClient,
) -> None:
    """The page says a change applies from the next questionnaire. A weekly PHQ-9 at 10:00 is
    planned and waiting to be sent (planned ahead, or held while the gateway is down); the
    therapist switches the rule off, and it is not sent."""
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    planned = _plan_a_weekly_phq9_ahead(client, db, world.episode_id)
    assert planned.rule_id is not None
    _change_rule(client, world.episode_id, planned.rule_id, planned, active=False)
    with db.session() as session:
        planned = session.get_one(Invitation, planned.id)
        waiting = session.scalars(
            select(OutboxMessage).where(OutboxMessage.invitation_id == planned.id)
        ).one()
    assert (planned.state, planned.non_response_reason) == (
        InvitationState.CANCELLED,
        "rule_switched_off",
    )
    assert waiting.state is OutboxState.CANCELLED
    appointments = client.get(f"/clinician/episodes/{world.episode_id}/appointments?lang=en")
    assert "Not sent: its schedule rule was switched off" in appointments.get_data(as_text=True)


def test_a_rule_changed_to_another_questionnaire_sends_that_one_not_the_planned_one(
    client: FlaskClient,
) -> None:
    """ "Changes apply from the next questionnaire": the planned PHQ-9 is not sent once the
    therapist has made the rule a GAD-7, and the next tick plans the GAD-7 for the same day."""
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    planned = _plan_a_weekly_phq9_ahead(client, db, world.episode_id)
    assert planned.rule_id is not None
    _change_rule(client, world.episode_id, planned.rule_id, planned, instrument="gad7")
    with db.session() as session:
        old = session.get_one(Invitation, planned.id)
        message = session.scalars(
            select(OutboxMessage).where(OutboxMessage.invitation_id == planned.id)
        ).one()
    assert (old.state, old.non_response_reason) == (InvitationState.CANCELLED, "plan_changed")
    assert message.state is OutboxState.CANCELLED

    at_ten = planned.due_at
    assert enqueue_due(db, at_ten, zone=OSLO).invitations == 1
    with db.session() as session:
        new = session.scalars(select(Invitation).where(Invitation.id != planned.id)).one()
        queued = session.scalars(
            select(OutboxMessage).where(OutboxMessage.invitation_id == new.id)
        ).one()
    assert (new.instrument_id, new.slot_key, new.state) == (
        "gad7",
        old.slot_key,
        InvitationState.SCHEDULED,
    )
    assert queued.state is OutboxState.QUEUED
    appointments = client.get(f"/clinician/episodes/{world.episode_id}/appointments?lang=en")
    assert "Not sent: the plan was changed before it was sent" in appointments.get_data(
        as_text=True
    )


def test_a_rule_moved_off_the_planned_day_cancels_it_and_a_new_time_does_not(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    planned = _plan_a_weekly_phq9_ahead(client, db, world.episode_id)
    assert planned.rule_id is not None
    # The same day at another time: the day's questionnaire is the one planned.
    _change_rule(client, world.episode_id, planned.rule_id, planned, send_time="11:00")
    with db.session() as session:
        assert session.get_one(Invitation, planned.id).state is InvitationState.SCHEDULED
    other_day = planned.due_at.astimezone(OSLO).isoweekday() % 7 + 1
    _change_rule(client, world.episode_id, planned.rule_id, planned, weekdays=[str(other_day)])
    with db.session() as session:
        moved = session.get_one(Invitation, planned.id)
    assert (moved.state, moved.non_response_reason) == (InvitationState.CANCELLED, "plan_changed")


def test_a_time_that_is_not_a_time_is_said_in_the_forms_own_words_in_english(
    client: FlaskClient,
) -> None:
    """WTForms' own "Not a valid time value." showed in English, where nb and nn said "Skriv
    et gyldig klokkeslett." and the appointment form "Enter a valid time."."""
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/schedule?lang=en"
    page = client.get(url).get_data(as_text=True)
    new = {f"new-{key}": value for key, value in _rule(send_time="25:99").items()}
    response = client.post(url, data={"new-csrf_token": csrf_token(page), **new})
    html = response.get_data(as_text=True)
    assert response.status_code in (400, 422)
    assert "Enter a valid time." in html and "Not a valid time value." not in html
    with db.session() as session:
        assert session.scalars(select(ScheduleRule)).all() == []
