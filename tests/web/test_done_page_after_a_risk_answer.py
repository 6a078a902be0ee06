"""The page after sending: a risk answer comes before the scores, and the chart has dates.

A patient who answered PHQ-9 item 9 above its threshold read, right under the crisis numbers,
"Compared with then there is a clear change for the better", with nothing between the help and
the score. The scores stay (they are the patient's), after a line saying the risk answer matters
more and is followed up. The chart under them had no date at all: its first and last answers now
carry theirs."""

from __future__ import annotations

from babel.dates import format_date
from flask import Flask

from fit_platform.db import Database
from tests.support.factories import make_world
from tests.support.patient import Patient, now, open_invitation
from tests.support.scheduling import OSLO

FIRST = "Your answer about hurting yourself matters more than any score below."


def _sent(app: Flask, db: Database, item_9: str) -> str:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token)
    assert patient.start().status_code == 302
    patient.answer_all("phq9", "1", phq9_9=item_9)
    assert patient.finish().status_code == 302
    return " ".join(patient.client.get("/p/done?lang=en").get_data(as_text=True).split())


def test_after_a_risk_answer_the_help_and_that_line_come_before_the_scores(
    app: Flask, db: Database
) -> None:
    page = _sent(app, db, "2")
    help_at, line_at = page.index("Help is available now"), page.index(FIRST)
    assert help_at < line_at < page.index('class="progress-block"')
    assert "will follow it up with you." in page


def test_without_a_risk_answer_there_is_no_such_line_and_the_chart_has_its_date(
    app: Flask, db: Database
) -> None:
    page = _sent(app, db, "0")
    assert FIRST not in page
    chart = page.split('<svg viewBox="0 0 300 170"', 1)[1].split("</svg>", 1)[0]
    today = format_date(now().astimezone(OSLO).date(), "medium", locale="en_GB")
    assert f">{today}</text>" in chart  # one answer: its date, under the middle
