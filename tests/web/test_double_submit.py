"""Double submits: six concurrent POSTs of one creating form create one row.

Each test renders the form once, then six browsers holding the same session POST it at the
same moment (a barrier releases them together) through the real app, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import (
    Appointment,
    FormSubmission,
    PatientGoal,
    Response,
    ResponseComment,
    ServiceFeedback,
    SessionTopic,
    SharedDecision,
)
from fit_platform.db.models import (
    Patient as PatientRow,
)
from fit_platform.services.form_once import FormKey, claim, forget_old_submissions
from tests.support.factories import PASSWORD, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient, open_invitation

SIX = 6


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _count(db: Database, model: type) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _nonce(html: str, name: str = "form_nonce") -> str:
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]+)"', html) or re.search(
        rf'value="([^"]+)"[^>]*name="{re.escape(name)}"', html
    )
    assert match, f"the form has no {name}"
    return match.group(1)


def _post_at_once(client: FlaskClient, path: str, data: dict[str, Any]) -> list[tuple[int, str]]:
    """POST `data` to `path` from six browsers with `client`'s cookies, all at the same moment."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    barrier = threading.Barrier(SIX)
    results: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def post() -> None:
        browser = client.application.test_client()
        browser.set_cookie("session", cookie.value)
        try:
            barrier.wait(timeout=30)
            response = browser.post(path, data=data)
            results.append((response.status_code, response.headers.get("Location", "")))
        except BaseException as error:  # reported below, with the thread's failure
            errors.append(error)

    threads = [threading.Thread(target=post) for _ in range(SIX)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def _day(days: int) -> str:
    return (dt.datetime.now(ZoneInfo("Europe/Oslo")).date() + dt.timedelta(days=days)).isoformat()


def test_six_concurrent_posts_of_the_add_appointment_form_add_one_appointment(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/appointments"
    page = client.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "form_nonce": _nonce(page), "day": _day(3)}
    results = _post_at_once(client, url, {**data, "time": "10:00"})
    assert [status for status, _where in results] == [302] * SIX
    assert {where for _status, where in results} == {url}  # every repeat lands where the first did
    assert _count(db, Appointment) == 1
    # The page shown after the redirect carries a new one-time value: the next add is a new one.
    page = client.get(url).get_data(as_text=True)
    assert _nonce(page) != data["form_nonce"]
    client.post(url, data={**data, "form_nonce": _nonce(page), "time": "14:00"})
    assert _count(db, Appointment) == 2


def test_six_concurrent_posts_of_a_samvalg_form_record_one_decision(client: FlaskClient) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/decisions/new"
    page = client.get(url).get_data(as_text=True)
    results = _post_at_once(
        client,
        url,
        {
            "csrf_token": csrf_token(page),
            "form_nonce": _nonce(page),
            "options_discussed": "Keep going; more sessions",
            "decision": "More sessions for a month",
            "visible_to_patient": "y",
        },
    )
    assert [status for status, _where in results] == [302] * SIX
    assert _count(db, SharedDecision) == 1


def test_six_concurrent_finish_posts_store_one_topic(client: FlaskClient) -> None:
    db = _db(client)
    world = make_world(db)
    _invitation, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9", "1")
    results = _post_at_once(
        client,
        "/p/finish",
        {"csrf_token": patient.csrf, "topic": "Sleep", "comment": "Thank you"},
    )
    assert sorted(status for status, _where in results) == [302] * SIX
    assert (_count(db, Response), _count(db, SessionTopic)) == (1, 1)
    with db.session() as session:
        assert session.scalars(select(ResponseComment.text)).all() == ["Thank you"]


def test_a_second_send_that_left_before_the_first_was_answered_goes_to_the_thank_you_page(
    client: FlaskClient,
) -> None:
    """A double click on "Send": the second request carries the cookie from before the first
    one's answer, so it holds no grant to see the result; it reaches the server after the
    first has submitted. It used to get the closed-link page (410), at random in the six-at-
    once test above on a loaded machine."""
    db = _db(client)
    _invitation, token = open_invitation(db, make_world(db))
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9", "1")
    before = client.get_cookie("session")
    assert before is not None
    data = {"csrf_token": patient.csrf, "topic": "Sleep", "comment": ""}
    first = client.post("/p/finish", data=data)
    assert first.status_code == 302 and first.headers["Location"].endswith("/p/done")
    second_click = client.application.test_client()
    second_click.set_cookie("session", before.value)
    second = second_click.post("/p/finish", data=data)
    assert second.status_code == 302 and second.headers["Location"].endswith("/p/done")
    assert (_count(db, Response), _count(db, SessionTopic)) == (1, 1)
    # The thank-you page itself still shows the result only to the browser that sent it.
    assert client.get("/p/done").status_code == 200
    assert second_click.get("/p/done").status_code == 410


def test_six_concurrent_finish_posts_store_one_comment_for_the_service(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    _invitation, token = open_invitation(db, world, "wai_sr")
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("wai_sr", "4")
    _post_at_once(
        client,
        "/p/finish",
        {
            "csrf_token": patient.csrf,
            "comment": "The waiting room is cold",
            "comment_to": "service",
            "topic": "Homework",
        },
    )
    assert (_count(db, ServiceFeedback), _count(db, SessionTopic)) == (1, 1)


def _add_goal_form(client: FlaskClient, db: Database) -> dict[str, str]:
    """A patient on her goals page; the add-goal form as her browser sends it."""
    world = make_world(db)
    _invitation, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.post(f"/p/{token}", {"action": "goals"})
    page = client.get("/p/goals?lang=en").get_data(as_text=True)
    return {
        "new-csrf_token": patient.csrf,
        "csrf_token": patient.csrf,
        "new-form_nonce": _nonce(page, "new-form_nonce"),
        "action": "add",
        "new-text": "Sleep better",
    }


def test_six_concurrent_posts_of_the_add_goal_form_save_one_goal(client: FlaskClient) -> None:
    db = _db(client)
    results = _post_at_once(client, "/p/goals", _add_goal_form(client, db))
    assert [status for status, _where in results] == [302] * SIX
    assert _count(db, PatientGoal) == 1


def test_the_add_goal_form_sent_twice_says_saved_once(client: FlaskClient) -> None:
    """The second click's answer is what the browser shows: it said "saved" twice."""
    db = _db(client)
    data = _add_goal_form(client, db)
    assert client.post("/p/goals", data=data).status_code == 302
    assert client.post("/p/goals", data=data).status_code == 302
    shown = client.get("/p/goals?lang=en").get_data(as_text=True)
    assert shown.count("Your goal is saved.") == 1 and _count(db, PatientGoal) == 1


def test_a_form_value_copied_from_another_therapists_page_claims_nothing_of_theirs(
    client: FlaskClient,
) -> None:
    db = _db(client)
    first = make_world(db)
    second = make_world(db)
    log_in(client, first.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{first.episode_id}/appointments"
    page = client.get(url).get_data(as_text=True)
    nonce = _nonce(page)
    data = {"csrf_token": csrf_token(page), "form_nonce": nonce, "day": _day(3), "time": "10:00"}
    assert client.post(url, data=data).status_code == 302
    other = client.application.test_client()
    log_in(other, second.therapist_username, PASSWORD)
    other_url = f"/clinician/episodes/{second.episode_id}/appointments"
    other_page = other.get(other_url).get_data(as_text=True)
    data["csrf_token"] = csrf_token(other_page)
    assert other.post(other_url, data=data).status_code == 302
    assert _count(db, Appointment) == 2
    assert _count(db, FormSubmission) == 2


def test_a_refused_form_corrected_and_sent_again_is_saved_once(client: FlaskClient) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/decisions/new"
    page = client.get(url).get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "form_nonce": _nonce(page),
        "options_discussed": "Keep going",
        "decision": "More sessions",
        "review_on": (dt.date.today() - dt.timedelta(days=30)).isoformat(),
    }
    refused = client.post(url + "?lang=en", data=data)
    assert refused.status_code == 400
    assert _nonce(refused.get_data(as_text=True)) == data["form_nonce"]  # the same form again
    data["review_on"] = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=data).status_code == 302
    assert _count(db, SharedDecision) == 1


def test_claims_older_than_a_day_are_forgotten_by_the_clean_up(client: FlaskClient) -> None:
    db = _db(client)
    now = dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)
    with db.transaction() as session:
        claim(session, FormKey("appointment", "staff:1", "a" * 22), now - dt.timedelta(days=2))
        claim(session, FormKey("appointment", "staff:1", "b" * 22), now - dt.timedelta(hours=2))
    assert forget_old_submissions(db, now) == 1
    assert _count(db, FormSubmission) == 1


def test_six_concurrent_posts_of_the_registration_form_register_one_patient(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    page = client.get("/clinician/register").get_data(as_text=True)
    results = _post_at_once(
        client,
        "/clinician/register",
        {
            "csrf_token": csrf_token(page),
            "form_nonce": _nonce(page),
            "display_name": "Kari Nordmann",
            "phone": "+47 912 34 567",
            "language": "nb",
            "channel": "sms",
            "unit": str(world.unit_id),
            "started_on": _day(0),
        },
    )
    assert [status for status, _where in results] == [302] * SIX
    assert len({where for _status, where in results}) == 1  # all to the one new episode
    with db.session() as session:
        names = session.scalars(select(PatientRow.display_name)).all()
    assert sorted(names).count("Kari Nordmann") == 1
