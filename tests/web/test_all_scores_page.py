"""The pre-session view shows the latest scores of each questionnaire and links to a page of
all of them; that page follows the view's access rule and is an access-logged read."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import AccessLog
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, add_history, make_staff, make_world
from tests.support.html import log_in
from tests.support.queries import count_statements

WEEKS = 20


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _table_rows(html: str, caption_start: str) -> list[str]:
    """The body rows of the table whose caption starts with `caption_start`."""
    table = re.search(
        r"<caption>" + re.escape(caption_start) + r".*?<tbody>(.*?)</tbody>", html, re.S
    )
    assert table is not None, caption_start
    return re.findall(r"<tr>.*?</tr>", table.group(1), re.S)


def _actions(db: Database, patient_id: int) -> list[tuple[str, Role]]:
    with db.session() as session:
        return [
            (action, role)
            for action, role in session.execute(
                select(AccessLog.action, AccessLog.role)
                .where(AccessLog.patient_id == patient_id)
                .order_by(AccessLog.id)
            )
        ]


def test_the_presession_view_shows_the_latest_8_scores_and_links_to_all_of_them(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    add_history(db, world, [(week * 5) % 28 for week in range(WEEKS)])
    add_history(db, world, [50 + week % 3 for week in range(WEEKS)], "wai_sr")
    log_in(client, world.therapist_username, PASSWORD)
    html = client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    phq9 = _table_rows(html, "Scores, newest first")
    assert len(phq9) == 8
    # Newest first: the 20th week (2026-10-12) leads, the 13th (2026-08-24) closes.
    assert "12/10/2026" in phq9[0] and "24/08/2026" in phq9[-1]
    assert "(the latest 8 of 20)" in html
    assert len(_table_rows(html, "Scores by session, newest first")) == 8
    url = f"/clinician/episodes/{world.episode_id}/scores"
    assert f'href="{url}#scores-phq9">All 20 scores of PHQ-9</a>' in html
    assert f'href="{url}#scores-wai_sr">All 20 scores of WAI-SR</a>' in html
    # The chart still draws every score, and says where the numbers it shows are.
    for chart_id in ("chart-phq9", "chart-wai_sr"):
        svg = html[html.index(f'aria-labelledby="{chart_id}-title') :]
        line = re.search(r'<polyline points="([^"]*)"', svg[: svg.index("</svg>")])
        assert line is not None and len(line.group(1).split()) == WEEKS, chart_id
    assert "every score is on the page of all scores" in html
    assert "All scores, newest first" not in html  # no hidden copy of the whole table


def test_the_page_of_all_scores_lists_every_score_newest_first_and_logs_the_read(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    add_history(db, world, [(week * 5) % 28 for week in range(WEEKS)])
    add_history(db, world, [50 + week % 3 for week in range(WEEKS)], "wai_sr")
    log_in(client, world.therapist_username, PASSWORD)
    response = client.get(f"/clinician/episodes/{world.episode_id}/scores?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    phq9 = _table_rows(html, "20 scores, newest first")
    assert len(phq9) == WEEKS
    assert "12/10/2026" in phq9[0] and "01/06/2026" in phq9[-1]
    assert "first score" in phq9[-1]
    both = re.findall(r"<caption>20 scores, newest first</caption>", html)
    assert len(both) == 2  # the PHQ-9 and the WAI-SR
    assert 'id="scores-phq9"' in html and 'id="scores-wai_sr"' in html
    assert f'href="/clinician/episodes/{world.episode_id}"' in html  # back to the view
    assert "<script" not in html and "style=" not in html
    assert _actions(db, world.patient_id) == [("scores_view", Role.THERAPIST)]


@pytest.mark.parametrize(
    ("lang", "heading"),
    [("nb", "Alle skårer"), ("nn", "Alle skårar"), ("en", "All scores")],
)
def test_the_page_of_all_scores_is_in_the_viewers_language(
    app: Flask, client: FlaskClient, lang: str, heading: str
) -> None:
    db = _db(app)
    world = make_world(db)
    add_history(db, world, [12, 10, 9])
    log_in(client, world.therapist_username, PASSWORD)
    html = client.get(f"/clinician/episodes/{world.episode_id}/scores?lang={lang}").get_data(
        as_text=True
    )
    assert f"<h1>{heading}: " in html
    assert f'<html lang="{lang}"' in html


def test_a_unit_lead_reads_all_scores_of_the_unit_and_is_logged_as_lead(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    add_history(db, world, [12, 10, 9])
    lead = make_staff(db, (Role.UNIT_LEAD, world.unit_id))
    log_in(client, lead.username, PASSWORD)
    assert client.get(f"/clinician/episodes/{world.episode_id}/scores").status_code == 200
    assert _actions(db, world.patient_id) == [("scores_view", Role.UNIT_LEAD)]


def test_another_therapists_patient_has_no_page_of_scores_and_nothing_is_logged(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    add_history(db, world, [12, 10, 9])
    colleague = make_staff(db, (Role.THERAPIST, world.unit_id))
    log_in(client, colleague.username, PASSWORD)
    response = client.get(f"/clinician/episodes/{world.episode_id}/scores?lang=en")
    assert response.status_code == 404
    assert ">12<" not in response.get_data(as_text=True)
    assert client.get("/clinician/episodes/999999/scores").status_code == 404
    # An id past the database's integer range is a missing page too, never a 500.
    assert client.get("/clinician/episodes/99999999999999999999/scores").status_code == 404
    assert _actions(db, world.patient_id) == []


def _scores_page_statements(app: Flask, weeks: int) -> int:
    db = _db(app)
    world = make_world(db)
    add_history(db, world, [(week * 7) % 28 for week in range(weeks)])
    client = app.test_client()
    log_in(client, world.therapist_username, PASSWORD)
    # The first view in a process builds the service's bands (then kept an hour).
    assert client.get(f"/clinician/episodes/{world.episode_id}/scores").status_code == 200
    with count_statements(db.engine) as counter:
        assert client.get(f"/clinician/episodes/{world.episode_id}/scores").status_code == 200
    return counter.count


def test_the_page_of_all_scores_costs_the_same_statements_for_3_and_300_answers(
    app: Flask,
) -> None:
    assert _scores_page_statements(app, 3) == _scores_page_statements(app, 300)


def test_an_episode_without_answers_has_a_page_of_scores_that_says_so(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    response = client.get(f"/clinician/episodes/{world.episode_id}/scores?lang=en")
    assert response.status_code == 200
    assert "No answers yet." in response.get_data(as_text=True)
    assert _actions(db, world.patient_id) == [("scores_view", Role.THERAPIST)]
