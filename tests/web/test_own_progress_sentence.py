"""The sentence over the patient's own chart tells the same story as the therapist's view.

A PHQ-9 of 19 at the start, 9 last time and 18 now was told to the patient as "your score has
gone down from 19 to 18 since you started" while the therapist read "Reliably worse". The
patient now reads the change since last time and since the start, each judged by the same
reliable-change rule as the therapist's signal (docs/patient-journey.md).
"""

from __future__ import annotations

from flask import Flask

from fit_platform.db import Database
from tests.support.factories import PASSWORD, World, add_history, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, open_invitation


def _answer_now(
    app: Flask, db: Database, history: list[int], code: str, **items: str
) -> tuple[Patient, World]:
    """A patient with PHQ-9 totals `history` answers one more now, from their link."""
    world = make_world(db)
    add_history(db, world, history)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token)
    patient.start()
    patient.answer_all("phq9", code, **items)
    assert patient.finish().status_code == 302
    return patient, world


def test_a_clear_worsening_since_last_time_is_not_told_as_going_down(
    app: Flask, db: Database
) -> None:
    # 19 first, 9 last week, now mostly 2s with a 2 on item 9: 18 and a risk answer.
    patient, world = _answer_now(app, db, [19, 9], "2")
    client = patient.client
    done = client.get("/p/done?lang=en").get_data(as_text=True)
    assert "gone down from 19 to 18" not in done
    sentence = (
        "Your score has gone up from 9 to 18 since last time. That is a clear change for the "
        "worse. When you started, your score was 19. Compared with then, there is no clear "
        "change. Lower means fewer problems. Your therapist sees your scores too, and you can "
        "talk about this together."
    )
    assert sentence in done  # the chart's description reads it all
    # On the page the newest change leads, in its own paragraph.
    assert (
        '<p class="lead">Your score has gone up from 9 to 18 since last time. That is a clear '
        "change for the worse.</p>"
    ) in done
    # After a risk answer the help comes first, before any score.
    assert done.index("Help is available now") < done.index('href="tel:113"')
    assert done.index('href="tel:113"') < done.index(sentence)
    # The progress page says the same.
    assert sentence in client.get("/p/progress?lang=en").get_data(as_text=True)

    # The patient's own language, in plain words.
    nb = client.get("/p/done?lang=nb").get_data(as_text=True)
    assert "Skåren din har gått ned fra 19 til 18" not in nb
    assert (
        "Skåren din har gått opp fra 9 til 18 siden forrige gang. Det er en tydelig endring "
        "til det verre. Da du startet, var skåren din 19."
    ) in nb
    assert "Behandleren din ser også skårene dine" in nb
    nn = client.get("/p/progress?lang=nn").get_data(as_text=True)
    assert "Skåren din har gått opp frå 9 til 18 sidan førre gong." in nn

    # What the therapist reads about the same answers.
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    view = therapist.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    assert "Reliably worse" in view


def test_a_small_change_since_last_time_and_a_clear_improvement_since_the_start(
    app: Flask, db: Database
) -> None:
    # 19, 12, then 11 (all 1s, two 2s, item 9 at 0): a clear improvement on the whole.
    patient, _world = _answer_now(
        app, db, [19, 12], "1", phq9_1="2", phq9_2="2", phq9_3="2", phq9_9="0"
    )
    done = patient.client.get("/p/done?lang=en").get_data(as_text=True)
    assert (
        "Your score has gone down from 12 to 11 since last time. A change of this size can "
        "come and go from one time to the next. When you started, your score was 19. "
        "Compared with then, that is a clear change for the better. Lower means fewer problems."
    ) in done
    assert "Your therapist sees your scores too" not in done
    assert "Help is available now" not in done


def test_with_two_scores_the_change_since_the_start_is_judged_once(
    app: Flask, db: Database
) -> None:
    patient, _world = _answer_now(app, db, [4], "1", phq9_9="0")  # 4, then 8
    done = patient.client.get("/p/done?lang=en").get_data(as_text=True)
    assert (
        "Your score has gone up from 4 to 8 since you started. A change of this size can come "
        "and go from one time to the next. Lower means fewer problems."
    ) in done
    assert "since last time" not in done and "When you started" not in done
