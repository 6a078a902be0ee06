"""The pre-session view opened while the patient sends a questionnaire.

On PostgreSQL each statement of a READ COMMITTED transaction sees what was committed when it
started. The view reads the scores first and the episode's lists (with the latest answers)
later, so a questionnaire sent in between was among the latest answers but not among the
scores, and the view failed with a KeyError: a 500 the load test met once, a therapist
opening the view while patients answered. Leaving those answers out then left the scores shown
with no answers at all (the item-by-item list and its risk tag gone): the lists now read the
answers of the responses the scores statement found latest. Here the questionnaire is
committed from another connection exactly between the two statements.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from fit_platform.services.access_control import StaffViewer
from fit_platform.services.presession import presession
from tests.support.factories import add_history, make_world

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def test_a_questionnaire_sent_while_the_view_reads_is_left_to_the_next_view(
    db: Database,
) -> None:
    world = make_world(db)
    add_history(db, world, [18, 16], start=NOW - dt.timedelta(weeks=3))
    therapist = StaffViewer(world.therapist_id, frozenset({(Role.THERAPIST, world.unit_id)}))
    before = presession(db, therapist, world.episode_id, now=NOW)  # nobody answering
    assert before is not None
    sent: list[int] = []

    def patient_sends(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The episode's lists are the view's one UNION ALL (presession_queries.EPISODE_LISTS).
        if "UNION ALL" in statement and not sent:
            sent.extend(add_history(db, world, [9], start=NOW - dt.timedelta(minutes=5)))

    event.listen(db.engine, "before_cursor_execute", patient_sends)
    try:
        view = presession(db, therapist, world.episode_id, now=NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", patient_sends)

    assert sent, "the questionnaire was not sent between the view's statements"
    assert view is not None
    (phq9,) = view.outcome
    # The view shows the scores as it read them, with the answers of the latest of those.
    assert [point.total for point in phq9.points] == [18, 16]
    assert phq9.latest_answers and phq9.latest_answers == before.outcome[0].latest_answers
    later = presession(db, therapist, world.episode_id, now=NOW)
    assert later is not None
    assert [point.total for point in later.outcome[0].points] == [18, 16, 9]
