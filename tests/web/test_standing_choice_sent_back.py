"""A standing choice the therapist records with the patient and the server refuses comes back
on the pre-session view as it was chosen and typed (web/clinician/own_plan.py).

The refusal was a flash at the top of a page opened elsewhere, and the words were gone; the
text box had `maxlength`, so words pasted past 500 characters were cut without a word. Now the
page comes back with the form open, the choice ticked, the words whole and what is wrong.
"""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import StandingChoiceEvent
from tests.support.factories import PASSWORD, make_world
from tests.support.html import csrf_token, log_in

LONG = "Ikke ring faren min. " * 30  # 630 characters, as pasted from the patient's letter


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _choices(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(StandingChoiceEvent)) or 0)


def test_a_refused_choice_comes_back_with_its_words_whole_and_what_is_wrong(app: Flask) -> None:
    db = _db(app)
    world = make_world(db)
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    view = f"/clinician/episodes/{world.episode_id}"
    page = therapist.get(view + "?lang=en").get_data(as_text=True)
    assert (
        'name="own-choice-text"' in page
        and "maxlength" not in page.split("own-choice-text")[1][:200]
    )
    url = f"{view}/standing-choices?lang=en"
    data = {
        "csrf_token": csrf_token(page),
        "action": "add",
        "own-choice-kind": "contact_person",
        "own-choice-text": LONG,
        "own-choice-with_patient": "y",
    }

    too_long = therapist.post(url, data=data)
    assert too_long.status_code == 422
    html = too_long.get_data(as_text=True)
    assert "Write at most 500 characters (you wrote 630)." in html
    assert LONG.strip() in html  # whole, in its box
    ticked = re.findall(r'<input checked id="own-choice-kind-\d+"[^>]*value="([a-z_]+)">', html)
    assert ticked == ["contact_person"]
    assert '<details class="no-print" open>' in html
    assert html.index("There is a problem") < html.index("<h1>")
    assert _choices(db) == 0

    # Sent without the box the browser requires (an old browser, a form filled by a tool).
    short = "Ikke ring faren min"
    without = therapist.post(
        url, data=data | {"own-choice-text": short, "own-choice-with_patient": ""}
    )
    assert without.status_code == 422
    html = without.get_data(as_text=True)
    assert "Record a choice only together with the patient." in html and short in html
    assert _choices(db) == 0

    saved = therapist.post(url, data=data | {"own-choice-text": short})
    assert saved.status_code == 302 and _choices(db) == 1
