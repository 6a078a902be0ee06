"""The patient's pages write every date in one style per language.

The English progress page showed "14 Aug 2026" in the score tables but "03/12/2026, 23:22" for
who has looked and for the patient's own comments. A moment on the patient's pages is now the
same medium date with the clock time ("20 Nov 2026, 14:05"; "20. nov. 2026, 14:05").
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from fit_platform.services.access_log import record_access
from tests.support.factories import add_history, make_world
from tests.support.patient import Patient, open_invitation

LOOKED = dt.datetime(2026, 11, 20, 13, 5, tzinfo=dt.UTC)  # 14:05 in Oslo
NUMERIC_DAY = re.compile(r"\b\d{2}[./]\d{2}[./]\d{4}\b")


@pytest.mark.parametrize(
    ("lang", "looked", "medium_day"),
    [
        ("en", "20 Nov 2026, 14:05", r"\d{1,2} [A-Z][a-z]{2,3} \d{4}"),
        ("nb", "20. nov. 2026, 14:05", r"\d{1,2}\. [a-zæøå]{3,4}\.? \d{4}"),
        ("nn", "20. nov. 2026, 14:05", r"\d{1,2}\. [a-zæøå]{3,4}\.? \d{4}"),
    ],
)
def test_scores_readers_and_comments_share_one_date_style(
    client: FlaskClient, db: Database, lang: str, looked: str, medium_day: str
) -> None:
    world = make_world(db)
    add_history(db, world, [19, 16])
    with db.transaction() as session:
        record_access(
            session,
            staff_id=world.therapist_id,
            role=Role.THERAPIST,
            patient_id=world.patient_id,
            unit_id=world.unit_id,
            action="presession_view",
            now=LOOKED,
        )
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9", "0")
    patient.finish()
    assert patient.post("/p/done", {"text": "Better week"}).status_code == 302

    done = client.get(f"/p/done?lang={lang}").get_data(as_text=True)
    comments = done.split('class="own-comments"', 1)[1].split("</ul>", 1)[0]
    assert re.search(rf'<span class="muted">{medium_day}, \d{{2}}:\d{{2}}</span>', comments)
    assert not NUMERIC_DAY.search(comments)

    progress = client.get(f"/p/progress?lang={lang}").get_data(as_text=True)
    scores, readers = progress.split('<caption class="visually-hidden">', 2)[1:]
    assert re.search(rf"<td>{medium_day}</td>", scores)
    assert f"<td>{looked}</td>" in readers
    assert not NUMERIC_DAY.search(progress.split("<main", 1)[1])


def test_a_visit_across_a_minutes_turn_shows_both_minutes(
    client: FlaskClient, db: Database
) -> None:
    """A therapist read at 14:05:50 and acted at 14:06:10: the patient's line said "14:05"
    only, while the staff pages record the action at 14:06 (the line promises "from the
    first to the last minute")."""
    world = make_world(db)
    add_history(db, world, [19, 16])
    with db.transaction() as session:
        for at, action in ((50, "presession_view"), (70, "signal_acknowledge")):
            record_access(
                session,
                staff_id=world.therapist_id,
                role=Role.THERAPIST,
                patient_id=world.patient_id,
                unit_id=world.unit_id,
                action=action,
                now=LOOKED + dt.timedelta(seconds=at),
            )
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9", "0")
    patient.finish()
    progress = client.get("/p/progress?lang=en").get_data(as_text=True)
    readers = progress.split('<caption class="visually-hidden">', 2)[2]
    assert "<td>20 Nov 2026, 14:05–14:06</td>" in readers
