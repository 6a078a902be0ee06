"""The journal summary: what a journal note needs, on one page and as text to paste."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import AccessLog, Staff
from fit_platform.domain.codes import Role
from fit_platform.domain.signals import SignalCode
from tests.conftest import make_test_app
from tests.support.clinical import (
    acknowledge_in_the_view,
    add_decision,
    add_goal,
    add_signal,
    add_topic,
    resolve_signal,
    share_episode,
)
from tests.support.factories import (
    PASSWORD,
    World,
    add_history,
    make_invitation,
    make_staff,
    make_world,
)
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient

NOW = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def journal_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_test_app(database_url, tmp_path / "instance")
    app.extensions["fit_clock"] = lambda: NOW
    yield app
    app.extensions["fit_db"].dispose()


def _episode(db: Database) -> World:
    world = make_world(db)
    add_history(db, world, [19, 16, 12, 9], start=dt.datetime(2026, 9, 1, 8, tzinfo=dt.UTC))
    add_history(db, world, [14, 13], "gad7", start=dt.datetime(2026, 9, 1, 8, tzinfo=dt.UTC))
    add_signal(db, world, SignalCode.NOT_ON_TRACK, raised_at=NOW - dt.timedelta(days=2))
    old = add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=NOW - dt.timedelta(days=30))
    resolve_signal(
        db,
        old,
        at=NOW - dt.timedelta(days=29),
        acknowledge_note="Safety plan made with the patient",
        resolve_note="No current risk at follow-up",
    )
    ancient = add_signal(
        db, world, SignalCode.ALLIANCE_DROP, raised_at=NOW - dt.timedelta(days=200)
    )
    resolve_signal(
        db, ancient, at=NOW - dt.timedelta(days=199), acknowledge_note="x", resolve_note="Long ago"
    )
    add_decision(db, world, "Add a sleep course", at=NOW - dt.timedelta(days=7),
                 review_on=dt.date(2027, 1, 15))  # fmt: skip
    add_goal(db, world, "Sleep through the night")
    add_topic(db, world, "The meeting with my manager", at=NOW - dt.timedelta(days=1))
    return world


def test_the_summary_holds_what_the_journal_note_needs(journal_app: Flask) -> None:
    db = journal_app.extensions["fit_db"]
    world = _episode(db)
    client = journal_app.test_client()
    log_in(client, world.therapist_username, PASSWORD)
    response = client.get(f"/clinician/episodes/{world.episode_id}/summary?lang=en")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "EPR-" in page  # the record id
    assert "02/12/2026" in page or "12/2/26" in page or "2 Dec 2026" in page  # printed
    for expected in (
        "9 (mild)",  # the latest PHQ-9 with its band
        "19 on",  # the first score
        "reliably better",
        "13",  # GAD-7 latest
        "Not on track",
        "Safety plan made with the patient",
        "No current risk at follow-up",
        "Add a sleep course",
        "Sleep through the night",
        "The meeting with my manager",
    ):
        assert expected in page, expected
    assert "Long ago" not in page  # resolved more than 90 days ago
    # The text block to paste: no name, the record id first.
    start = page.index('<textarea id="plain-text"')
    block = page[page.index(">", start) + 1 : page.index("</textarea>", start)]
    assert block.splitlines()[1].startswith("Record id: EPR-")
    assert re.search(r"Patient \d", block) is None  # the factory's patient name
    assert "(PHQ-9): 9 (mild)" in block and "cut-off 10" in block
    assert "Safety plan made with the patient" in block


def test_reading_the_summary_is_one_access_log_row(journal_app: Flask) -> None:
    db = journal_app.extensions["fit_db"]
    world = _episode(db)
    client = journal_app.test_client()
    log_in(client, world.therapist_username, PASSWORD)
    assert client.get(f"/clinician/episodes/{world.episode_id}/summary").status_code == 200
    with db.session() as session:
        actions = session.scalars(
            select(AccessLog.action).where(AccessLog.patient_id == world.patient_id)
        ).all()
    assert actions == ["journal_summary"]


def test_text_the_patient_wrote_is_escaped_in_the_page_and_the_text_block(
    journal_app: Flask,
) -> None:
    db = journal_app.extensions["fit_db"]
    world = make_world(db)
    add_goal(db, world, "<script>alert(1)</script></textarea><b>x</b>")
    client: FlaskClient = journal_app.test_client()
    log_in(client, world.therapist_username, PASSWORD)
    body = client.get(f"/clinician/episodes/{world.episode_id}/summary").get_data(as_text=True)
    assert "<script>alert(1)" not in body and "</textarea><b>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def _signal_action(
    client: FlaskClient, world: World, signal_id: int, action: str, note: str
) -> None:
    page = client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    done = client.post(
        f"/clinician/episodes/{world.episode_id}/signals/{signal_id}/{action}",
        data={"csrf_token": csrf_token(page), "note": note},
    )
    assert done.status_code == 302 and "#signals" in done.headers["Location"]


def test_a_resolved_signal_keeps_who_acknowledged_it_and_when_in_the_page_and_the_text(
    journal_app: Flask,
) -> None:
    """A risk signal acknowledged by the therapist and resolved by a colleague a day later:
    the journal note still says who took it up, when, and what was done."""
    db = journal_app.extensions["fit_db"]
    world = make_world(db)
    signal_id = add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=NOW - dt.timedelta(days=3))
    colleague = make_staff(db, (Role.THERAPIST, world.unit_id), name="Per Kollega")
    share_episode(db, world, colleague)
    with db.session() as session:
        therapist_name = session.get_one(Staff, world.therapist_id).display_name

    journal_app.extensions["fit_clock"] = lambda: dt.datetime(2026, 11, 30, 8, 15, tzinfo=dt.UTC)
    therapist = journal_app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    _signal_action(therapist, world, signal_id, "acknowledge", "Phoned; safe")
    journal_app.extensions["fit_clock"] = lambda: dt.datetime(2026, 12, 1, 13, 40, tzinfo=dt.UTC)
    other = journal_app.test_client()
    log_in(other, colleague.username, PASSWORD)
    _signal_action(other, world, signal_id, "resolve", "No risk at follow-up")
    journal_app.extensions["fit_clock"] = lambda: NOW
    log_in(therapist, world.therapist_username, PASSWORD)  # days later: a new session

    page = html.unescape(
        therapist.get(f"/clinician/episodes/{world.episode_id}/summary?lang=en").get_data(
            as_text=True
        )
    )
    signals = page[page.index("<h2>Signals</h2>") : page.index("<h2>Samvalg decisions</h2>")]
    start = page.index('<textarea id="plain-text"')
    block = page[page.index(">", start) + 1 : page.index("</textarea>", start)]
    for shown in (signals, block):
        # Oslo time: 09:15 on 30 November, 14:40 on 1 December.
        assert re.search(rf"Acknowledged [^.]*30[^.]*9:15[^.]* by {therapist_name}\.", shown), shown
        assert re.search(r"resolved [^)]*1[^)]*14:40 by Per Kollega\)", shown), shown
        assert "What was done: Phoned; safe. Note when resolved: No risk at follow-up" in shown


def test_an_acknowledged_signal_not_yet_resolved_is_not_called_open_beside_its_acknowledgement(
    journal_app: Flask,
) -> None:
    """It read "Not on track (open, raised 30/11/2026). Acknowledged 2/12/2026 by …", which
    in a journal note looks like a contradiction."""
    db: Database = journal_app.extensions["fit_db"]
    world = make_world(db)
    add_history(db, world, [19, 16], start=dt.datetime(2026, 11, 1, 8, tzinfo=dt.UTC))
    signal_id = add_signal(db, world, SignalCode.NOT_ON_TRACK, raised_at=NOW - dt.timedelta(days=2))
    client = journal_app.test_client()
    log_in(client, world.therapist_username, PASSWORD)
    acknowledge_in_the_view(client, world, signal_id, "Talked it through")
    page = client.get(f"/clinician/episodes/{world.episode_id}/summary?lang=en")
    summary = html.unescape(page.get_data(as_text=True))
    text = summary[summary.index('id="plain-text"') :]
    for shown in (summary[: summary.index('id="plain-text"')], text):
        assert "(acknowledged, not yet resolved; raised 30/11/2026)." in shown
        assert "open, raised" not in shown and "Acknowledged " in shown


def test_the_patients_newest_words_reach_the_summary_from_the_answer_page(
    journal_app: Flask,
) -> None:
    """The answer page tells the patient the therapist reads the comment; the journal note
    made from the pre-session view keeps the newest of those words, on the page and in the
    text to paste, and not an older comment."""
    db = journal_app.extensions["fit_db"]
    world = make_world(db)
    for days, words in ((3, "Older words: the first week was hard"),
                        (0, "Sleeping better, but work <is> still too much")):  # fmt: skip
        _, token = make_invitation(
            db, world, due_at=NOW - dt.timedelta(days=days, hours=1), window=dt.timedelta(hours=49)
        )
        journal_app.extensions["fit_clock"] = lambda days=days: NOW - dt.timedelta(days=days)
        patient = Patient(journal_app.test_client(), token)
        patient.start()
        patient.answer_all("phq9", "0")
        assert patient.finish(comment=words).status_code == 302
    journal_app.extensions["fit_clock"] = lambda: NOW

    client = journal_app.test_client()
    log_in(client, world.therapist_username, PASSWORD)
    body = client.get(f"/clinician/episodes/{world.episode_id}/summary?lang=en").get_data(
        as_text=True
    )
    assert "Sleeping better, but work &lt;is&gt; still too much" in body
    page = html.unescape(body)
    start = page.index('<textarea id="plain-text"')
    block = page[page.index(">", start) + 1 : page.index("</textarea>", start)]
    [line] = [line for line in block.splitlines() if line.startswith("The patient's newest words")]
    assert "PHQ-9" in line and line.endswith(": Sleeping better, but work <is> still too much")
    assert "Older words" not in page


def test_notes_and_lines_of_free_text_read_as_written_in_the_text_to_paste(
    journal_app: Flask,
) -> None:
    """A keyboard walk pasted the text into a record: a note ending in a full stop got a second
    one ("Ekstra time avtalt.. Merknad ved lukking"), and a topic written on two lines put its
    second line at the left margin, where it read as an entry of its own."""
    db = journal_app.extensions["fit_db"]
    world = make_world(db)
    signal_id = add_signal(db, world, SignalCode.NOT_ON_TRACK, raised_at=NOW - dt.timedelta(days=3))
    add_goal(db, world, "Sleep through the night\nand get up at seven")
    add_topic(db, world, "Work\r\n\r\nThe meeting with my manager", at=NOW - dt.timedelta(days=1))
    therapist = journal_app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    _signal_action(therapist, world, signal_id, "acknowledge", "Extra session booked.")
    _signal_action(therapist, world, signal_id, "resolve", "Back on track")

    page = html.unescape(
        therapist.get(f"/clinician/episodes/{world.episode_id}/summary?lang=en").get_data(
            as_text=True
        )
    )
    start = page.index('<textarea id="plain-text"')
    block = page[page.index(">", start) + 1 : page.index("</textarea>", start)]
    signals = page[page.index("<h2>Signals</h2>") : page.index("<h2>Samvalg decisions</h2>")]
    for shown in (signals, block):
        assert "What was done: Extra session booked. Note when resolved: Back on track" in shown
    lines = block.splitlines()
    goal = lines.index("- Sleep through the night")
    assert lines[goal + 1] == "  and get up at seven"
    topic = lines.index("To talk about first: Work")
    assert lines[topic + 1] == "  The meeting with my manager"
