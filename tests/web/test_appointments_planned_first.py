"""The appointments page lists the planned sessions first, soonest first, and the sessions held
after them, newest first, folded under one line when there are more than five.

Before, one table listed every appointment oldest first: a patient sixteen weeks into treatment
had sixteen past sessions, each with its status and move forms, above the next one, and the
questionnaires sent were a long scroll further down (the demo's patients showed it; at 320 px the
page was over 20,000 pixels tall)."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient

from tests.support.factories import PASSWORD, make_world
from tests.support.html import csrf_token, log_in

NOW = dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC)
PAST_DAYS = ("2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30", "2026-12-03")


def _page_with(client: FlaskClient, past_days: tuple[str, ...]) -> str:
    client.application.extensions["fit_clock"] = lambda: NOW
    world = make_world(client.application.extensions["fit_db"])
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/appointments?lang=en"
    # Added out of order: the page orders them, not the order they were typed in.
    for day in ("2026-12-14", "2026-12-07", *past_days):
        page = client.get(url).get_data(as_text=True)
        added = client.post(url, data={"csrf_token": csrf_token(page), "day": day, "time": "10:00"})
        assert added.status_code == 302, day
    return " ".join(client.get(url).get_data(as_text=True).split())


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
