"""What a therapist reads on the staff pages: names as people write them, numbers and dates in
the page's language, how long a signal has waited, what happened to resolved signals, and what
a samvalg decision is about and who can read it."""

from __future__ import annotations

import datetime as dt
import re

from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.signals import SignalCode
from tests.support.clinical import add_signal
from tests.support.factories import PASSWORD, add_appointment, add_history, make_world
from tests.support.html import csrf_token, log_in

NOW = dt.datetime(2026, 9, 14, 10, 0, tzinfo=dt.UTC)


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _fixed_clock(app: Flask) -> None:
    app.extensions["fit_clock"] = lambda: NOW


def test_the_caseload_names_questionnaires_as_people_write_them(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    add_history(db, world, [20, 16])
    log_in(client, world.therapist_username, PASSWORD)
    html = client.get("/clinician/?lang=nb").get_data(as_text=True)
    assert "PHQ-9 16" in html
    assert "PHQ9" not in html
    # Each cell carries its column name, read out in front of it when the table is a card.
    assert 'data-label="Siste skår"' in html


def test_bokmaal_shows_decimal_commas_and_english_shows_british_dates(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    add_history(db, world, [21, 19, 18, 16, 15])
    add_signal(
        db, world, SignalCode.NOT_ON_TRACK, raised_at=dt.datetime(2026, 7, 3, 12, tzinfo=dt.UTC)
    )
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}"

    bokmaal = client.get(url + "?lang=nb").get_data(as_text=True)
    ranges = re.findall(r"<td[^>]*>(\d+(?:[.,]\d+)?)–(\d+(?:[.,]\d+)?)", bokmaal)
    assert ranges, "the expected range is shown in the score table"
    assert not re.search(r"\d\.\d+–\d", bokmaal), "no decimal point in a bokmål range"
    assert all(len(value.partition(",")[2]) <= 1 for pair in ranges for value in pair)
    assert "skår" in bokmaal.lower() and "score" not in re.sub(r"<[^>]+>", "", bokmaal).lower()

    english = client.get(url + "?lang=en").get_data(as_text=True)
    # 3 July 2026, 14:00 in Oslo: day before month, four-digit year, 24-hour clock (en_GB).
    assert "Raised 03/07/2026, 14:00" in english
    # The page's text only: a CSRF token in an attribute may hold any letters ("…FePMwl…").
    english_text = re.sub(r"<[^>]+>", "", english)
    assert "7/3/26" not in english_text
    assert not re.search(r"\d\s?[AP]M\b", english_text), "no 12-hour clock"


def test_an_open_signal_says_how_long_it_has_waited(app: Flask, client: FlaskClient) -> None:
    db = _db(app)
    _fixed_clock(app)
    world = make_world(db)
    add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=NOW - dt.timedelta(hours=5))
    log_in(client, world.therapist_username, PASSWORD)
    html = client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    assert "waiting for 5 hours" in html
    nynorsk = client.get(f"/clinician/episodes/{world.episode_id}?lang=nn").get_data(as_text=True)
    assert "har venta i 5 timar" in nynorsk


def test_a_wait_is_counted_in_whole_hours_then_whole_days_never_rounded_up(
    app: Flask, client: FlaskClient
) -> None:
    """Babel rounds to the nearest unit: 6 days 16 hours read "waiting for 7 days", 11 days
    "2 weeks" and 40 hours "2 days"."""
    db = _db(app)
    _fixed_clock(app)
    world = make_world(db)
    waits = {
        dt.timedelta(hours=1, minutes=20): "80 minutes",
        dt.timedelta(hours=1, minutes=31, seconds=50): "91 minutes",  # Babel said "2 hours"
        dt.timedelta(hours=40, minutes=50): "40 hours",
        dt.timedelta(days=6, hours=16): "6 days",
        dt.timedelta(days=11, hours=23): "11 days",
    }
    codes = [
        SignalCode.RISK_ANSWER,
        SignalCode.NOT_ON_TRACK,
        SignalCode.RELIABLE_DETERIORATION,
        SignalCode.ALLIANCE_DROP,
        SignalCode.ALLIANCE_LOW,
    ]
    for code, ago in zip(codes, waits, strict=True):
        add_signal(db, world, code, raised_at=NOW - ago)
    log_in(client, world.therapist_username, PASSWORD)
    html = client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    shown = re.findall(r'<strong class="waited">waiting for ([^<]+)</strong>', html)
    assert sorted(shown) == sorted(waits.values())
    bokmaal = client.get(f"/clinician/episodes/{world.episode_id}?lang=nb").get_data(as_text=True)
    assert "6 døgn" in bokmaal and "7 døgn" not in bokmaal


def test_a_resolved_signal_and_its_notes_stay_on_the_pre_session_view(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    signal_id = add_signal(db, world, SignalCode.RISK_ANSWER)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}"
    page = client.get(url + "?lang=en").get_data(as_text=True)
    token = csrf_token(page)
    client.post(
        f"{url}/signals/{signal_id}/acknowledge",
        data={"csrf_token": token, "note": "Called her; safety plan reviewed"},
    )
    client.post(
        f"{url}/signals/{signal_id}/resolve",
        data={"csrf_token": token, "note": "No risk at the session today"},
    )
    html = client.get(url + "?lang=en").get_data(as_text=True)
    assert "No open signals." in html
    resolved = html.split('id="resolved-signals"', 1)[1].split("</ul>", 1)[0]
    assert "Risk answer" in resolved or "risk" in resolved.lower()
    assert "Called her; safety plan reviewed" in resolved
    assert "No risk at the session today" in resolved


def test_a_decision_shows_the_signal_it_answers_and_whether_the_patient_can_read_it(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    signal_id = add_signal(db, world, SignalCode.ALLIANCE_DROP, instrument_id="wai_sr")
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/decisions/new"
    form = client.get(f"{url}?signal={signal_id}&lang=en").get_data(as_text=True)
    nonce = re.search(r'name="form_nonce"[^>]*value="([^"]+)"', form)
    review = (dt.date.today() + dt.timedelta(weeks=4)).strftime("%d.%m.%Y")  # Norwegian form
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(form),
            "form_nonce": nonce.group(1) if nonce else "",
            "signal_id": str(signal_id),
            "options_discussed": "Mornings or evenings",
            "decision": "Mornings from next week",
            "review_on": review,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    html = client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    decision = html.split('id="decisions"', 1)[1]
    assert f'href="#signal-{signal_id}"' in decision
    assert "cannot see this record" in decision  # the box was left unticked
    day = dt.date.today() + dt.timedelta(weeks=4)
    # Read from the Norwegian dd.mm.yyyy, shown in British English ("30 Dec 2026").
    assert format_date(day, "medium", locale="en_GB") in decision


def test_the_appointments_page_names_the_send_time_and_the_answer_by_time(
    app: Flask, client: FlaskClient
) -> None:
    from tests.support.factories import make_invitation

    db = _db(app)
    world = make_world(db)
    add_appointment(db, world, NOW + dt.timedelta(days=1))
    make_invitation(
        db,
        world,
        "phq9",
        due_at=dt.datetime(2026, 9, 14, 8, tzinfo=dt.UTC),
        window=dt.timedelta(hours=24),
    )
    log_in(client, world.therapist_username, PASSWORD)
    html = client.get(f"/clinician/episodes/{world.episode_id}/appointments?lang=nb").get_data(
        as_text=True
    )
    assert "Sendt eller sendes" in html and "Kan besvares til" in html
    assert "14.09.2026, 10:00" in html and "15.09.2026, 10:00" in html
    assert ">Frist<" not in html


def test_staff_pages_carry_their_own_footer_not_the_patients(
    app: Flask, client: FlaskClient
) -> None:
    world = make_world(_db(app))
    log_in(client, world.therapist_username, PASSWORD)
    html = client.get("/clinician/?lang=en").get_data(as_text=True)
    footer = html.split('<footer class="site-footer">', 1)[1]
    assert "116 117" not in footer and "Privacy notice for patients" in footer
    assert 'class="staff-page"' in html
