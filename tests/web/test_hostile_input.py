"""Answers that used to crash: each gets a translated message, nothing saved is lost, no 500."""

from __future__ import annotations

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import PatientGoal, ScheduleRule
from tests.support.factories import PASSWORD, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient, open_invitation

HUGE = "9" * 400


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _rule(**changes: object) -> dict[str, object]:
    rule: dict[str, object] = {
        "instrument": "phq9",
        "trigger": "weekly",
        "offset_hours": "0",
        "weekdays": ["1", "4"],
        "send_time": "09:30",
        "window_hours": "48",
        "reminder_after_hours": "24",
        "min_interval_hours": "72",
        "active": "y",
    }
    rule.update(changes)
    return {f"new-{key}": value for key, value in rule.items()}


def _schedule_post(client: FlaskClient, episode_id: int, lang: str, **changes: object):  # type: ignore[no-untyped-def]
    url = f"/clinician/episodes/{episode_id}/schedule?lang={lang}"
    page = client.get(url).get_data(as_text=True)
    return client.post(url, data={"new-csrf_token": csrf_token(page), **_rule(**changes)})


def test_a_number_field_with_400_digits_gets_a_message_in_every_language(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    messages = {
        "en": "Enter 1 to 672 hours.",
        "nb": "Skriv inn 1 til 672 timer.",
        "nn": "Skriv inn 1 til 672 timar.",
    }
    for field in ("offset_hours", "window_hours", "reminder_after_hours", "min_interval_hours"):
        for lang in ("en", "nb", "nn"):
            response = _schedule_post(client, world.episode_id, lang, **{field: HUGE})
            html = response.get_data(as_text=True)
            assert response.status_code == 422, (field, lang)
            assert 'aria-invalid="true"' in html
    # One message per field: a number too long says the range it must be in; something that
    # is not a number says so, and nothing about a range.
    whole = {
        "en": "Enter a whole number, like 24.",
        "nb": "Skriv et heltall",
        "nn": "Skriv eit heiltal",
    }
    for lang in ("en", "nb", "nn"):
        html = _schedule_post(client, world.episode_id, lang, window_hours=HUGE).get_data(
            as_text=True
        )
        assert messages[lang] in html and whole[lang] not in html
        html = _schedule_post(client, world.episode_id, lang, window_hours="abc").get_data(
            as_text=True
        )
        assert whole[lang] in html and messages[lang] not in html
        # Left empty, the range alone speaks: it once came with "Enter a whole number" too.
        html = _schedule_post(client, world.episode_id, lang, window_hours="").get_data(
            as_text=True
        )
        assert html.count(messages[lang]) >= 1 and whole[lang] not in html
    with db.session() as session:
        assert session.scalars(select(ScheduleRule)).all() == []


def test_a_rule_with_the_optional_reminder_left_empty_is_saved(client: FlaskClient) -> None:
    """An empty optional number field is no input to read: it is saved as no reminder, with
    no message (the one-message rule for unreadable input must not touch it)."""
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    saved = _schedule_post(client, world.episode_id, "en", reminder_after_hours="")
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    with db.session() as session:
        [rule] = session.scalars(select(ScheduleRule)).all()
        assert rule.reminder_after_hours is None


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.one_of(
        st.text(max_size=30),
        st.integers().map(str),
        st.text(alphabet="0123456789٣_+- ", min_size=1, max_size=500),
    )
)
def test_any_text_in_a_number_field_is_a_message_or_a_saved_rule_never_a_500(
    client: FlaskClient, value: str
) -> None:
    db = _db(client)
    if not hasattr(client, "_world"):
        client._world = make_world(db)  # type: ignore[attr-defined]
        log_in(client, client._world.therapist_username, PASSWORD)  # type: ignore[attr-defined]
    world = client._world  # type: ignore[attr-defined]
    response = _schedule_post(client, world.episode_id, "en", reminder_after_hours=value)
    assert response.status_code in (302, 422)


def test_ids_too_large_for_the_database_are_not_found_not_a_crash(client: FlaskClient) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    for url in (
        f"/clinician/episodes/{HUGE}/appointments",
        "/clinician/episodes/2147483648/schedule",
        f"/clinician/episodes/{HUGE}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/clinician/?signal={HUGE}").status_code in (200, 404)


def _goal_client(client: FlaskClient) -> tuple[Patient, Database]:
    db = _db(client)
    world = make_world(db)
    _current, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.post(f"/p/{token}", {"action": "goals"})
    return patient, db


def test_a_new_goal_of_only_spaces_is_asked_for_again(client: FlaskClient) -> None:
    patient, db = _goal_client(client)
    response = patient.post("/p/goals?lang=en", {"action": "add", "new-text": "   \n\t \u3000"})
    assert response.status_code == 422
    assert "Write your goal first." in response.get_data(as_text=True)
    with db.session() as session:
        assert session.scalars(select(PatientGoal)).all() == []


def test_a_goal_edited_to_only_spaces_keeps_its_text_and_says_why(client: FlaskClient) -> None:
    patient, db = _goal_client(client)
    assert patient.post("/p/goals", {"action": "add", "new-text": "Sove bedre"}).status_code == 302
    with db.session() as session:
        goal = session.scalars(select(PatientGoal)).one()
    for lang, message in (
        ("en", "Write your goal first."),
        ("nb", "Skriv målet ditt først."),
        ("nn", "Skriv målet ditt først."),
    ):
        edit = {"action": "edit", "goal": str(goal.id), f"goal{goal.id}-text": "     "}
        response = patient.post(f"/p/goals?lang={lang}", edit)
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert message in html
        assert "Sove bedre" in html  # the saved goal is still shown, nothing lost
    with db.session() as session:
        assert session.get_one(PatientGoal, goal.id).text == "Sove bedre"


def test_a_goal_id_of_400_digits_is_refused_without_a_crash(client: FlaskClient) -> None:
    patient, _database = _goal_client(client)
    edit = {"action": "edit", "goal": HUGE, f"goal{HUGE}-text": "x"}
    assert patient.post("/p/goals?lang=en", edit).status_code in (404, 422)
