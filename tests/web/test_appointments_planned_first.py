"""The appointments page lists the planned sessions first, soonest first, and the sessions held
after them, newest first, folded under one line when there are more than five.

Before, one table listed every appointment oldest first: a patient sixteen weeks into treatment
had sixteen past sessions, each with its status and move forms, above the next one, and the
questionnaires sent were a long scroll further down (the demo's patients showed it; at 320 px the
page was over 20,000 pixels tall)."""

from __future__ import annotations

import datetime as dt
import re

from flask.testing import FlaskClient

from fit_platform.domain.codes import InvitationState
from fit_platform.web.episodes.appointments_page import NEWEST_SHOWN_OPEN
from tests.support.factories import PASSWORD, World, make_invitation, make_world
from tests.support.html import csrf_token, log_in

NOW = dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC)
PAST_DAYS = ("2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30", "2026-12-03")


def _page_with(client: FlaskClient, past_days: tuple[str, ...]) -> str:
    return _booked(client, past_days)[1]


def _booked(client: FlaskClient, past_days: tuple[str, ...]) -> tuple[World, str]:
    """Sessions on 7 and 14 December and on `past_days`, added at NOW; the world and the
    appointments page, its whitespace folded."""
    client.application.extensions["fit_clock"] = lambda: NOW
    world = make_world(client.application.extensions["fit_db"])
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/appointments?lang=en"
    # Added out of order: the page orders them, not the order they were typed in.
    for day in ("2026-12-14", "2026-12-07", *past_days):
        page = client.get(url).get_data(as_text=True)
        added = client.post(url, data={"csrf_token": csrf_token(page), "day": day, "time": "10:00"})
        assert added.status_code == 302, day
    return world, " ".join(client.get(url).get_data(as_text=True).split())


def _dates(html: str) -> list[str]:
    return [cell.split("<", 1)[0] for cell in html.split("<td>")[1:] if cell[:2].isdigit()]


def test_planned_sessions_come_first_and_many_past_ones_are_folded_newest_first(
    client: FlaskClient,
) -> None:
    page = _page_with(client, PAST_DAYS)
    planned, rest = page.split('id="planned-appointments"', 1)[1].split('id="past-appointments"', 1)
    past, _sent = rest.split('id="questionnaires"', 1)
    assert _dates(planned) == ["07/12/2026, 10:00", "14/12/2026, 10:00"]
    assert "<details" in past and "Show 6 past appointments, newest first" in past
    assert _dates(past) == [
        "03/12/2026, 10:00",
        "30/11/2026, 10:00",
        "23/11/2026, 10:00",
        "16/11/2026, 10:00",
        "09/11/2026, 10:00",
        "02/11/2026, 10:00",
    ]
    assert past.count(">Done</td>") == 6


def test_a_few_past_sessions_are_listed_as_they_are(client: FlaskClient) -> None:
    page = _page_with(client, PAST_DAYS[-2:])
    past = page.split('id="past-appointments"', 1)[1].split('id="questionnaires"', 1)[0]
    assert "<details" not in past
    assert _dates(past) == ["03/12/2026, 10:00", "30/11/2026, 10:00"]


def test_a_session_held_can_be_marked_done_cancelled_or_not_attended_but_not_moved(
    client: FlaskClient,
) -> None:
    """Each past session carried the planned ones' forms: "Planned" among its statuses and a
    move to a new date and time, sixteen of them in the demo."""
    page = _page_with(client, PAST_DAYS[-2:])
    planned, past = page.split('id="past-appointments"', 1)
    past = past.split('id="questionnaires"', 1)[0]
    assert planned.count('name="move-day"') == 2  # the two planned sessions can be moved
    assert 'name="move-day"' not in past and ">Move<" not in past
    statuses = re.findall(r'<select id="status-\d+" name="status">(.*?)</select>', past)
    assert len(statuses) == 2
    for options in statuses:
        assert re.findall(r'<option value="(\w+)"', options) == ["done", "cancelled", "no_show"]
        assert '<option value="done" selected>' in options
    # The patient did not come to the latest one: marked so, and the page says it.
    latest = re.search(r'<select id="status-(\d+)"', past)
    assert latest is not None
    marked = client.post(
        f"/clinician/appointments/{latest.group(1)}/status",
        data={"csrf_token": csrf_token(page), "status": "no_show"},
    )
    assert marked.status_code == 302
    url = marked.headers["Location"]
    past = client.get(url).get_data(as_text=True).split('id="past-appointments"', 1)[1]
    assert "03/12/2026, 10:00</td>" in past and ">Did not attend</td>" in past


def test_a_past_session_nobody_marked_still_says_planned_until_it_is(client: FlaskClient) -> None:
    """A planned session whose time has passed: its status is shown as it is, and it cannot
    be moved as a planned one can."""
    world, _page = _booked(client, ())
    client.application.extensions["fit_clock"] = lambda: NOW + dt.timedelta(days=3)
    log_in(client, world.therapist_username, PASSWORD)  # three days on: a new login
    url = f"/clinician/episodes/{world.episode_id}/appointments?lang=en"
    past = client.get(url).get_data(as_text=True)
    past = past.split('id="past-appointments"', 1)[1].split('id="questionnaires"', 1)[0]
    # The session of 7 December, planned and passed, and nobody has said how it went.
    assert ">07/12/2026, 10:00</td>" in past and ">Planned</td>" in past
    assert 'name="move-day"' not in past
    options = re.findall(r'<option value="(\w+)"', past)
    assert options == ["planned", "done", "cancelled", "no_show"]


def _questionnaires_with(client: FlaskClient, count: int) -> str:
    client.application.extensions["fit_clock"] = lambda: NOW
    db = client.application.extensions["fit_db"]
    world = make_world(db)
    for weeks_ago in range(count):
        due = NOW - dt.timedelta(weeks=weeks_ago, hours=1)
        make_invitation(db, world, due_at=due, state=InvitationState.COMPLETED)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/appointments?lang=en"
    page = " ".join(client.get(url).get_data(as_text=True).split())
    return page.split('id="questionnaires"', 1)[1].split('id="message-delivery"', 1)[0]


def test_sixteen_weeks_of_questionnaires_show_the_newest_and_fold_the_rest(
    client: FlaskClient,
) -> None:
    """Sixteen weeks of a plan of three a week were some fifty rows, never folded, above the
    message table (14,800 px at 320 px in the demo)."""
    sent = _questionnaires_with(client, 9)
    shown, folded = sent.split("<details", 1)
    assert shown.count("<tr><td>") == NEWEST_SHOWN_OPEN
    assert "Show 3 earlier questionnaires</summary>" in folded
    assert folded.count("<tr><td>") == 3 and " open>" not in folded.split("<summary>", 1)[0]
    # The newest first: sent an hour before the page's 10:30 Oslo time.
    assert _dates_sent(shown)[0] == "05/12/2026, 09:30"


def test_a_few_questionnaires_are_listed_as_they_are(client: FlaskClient) -> None:
    sent = _questionnaires_with(client, 4)
    assert "<details" not in sent and sent.count("<tr><td>") == 4


def _dates_sent(html: str) -> list[str]:
    return re.findall(r">Sent (\d\d/\d\d/\d{4}, \d\d:\d\d)<", html)
