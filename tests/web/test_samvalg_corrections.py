"""A samvalg record can be corrected or withdrawn after it was saved
(services/samvalg_changes.py).

Once saved a record could not be changed: a mistyped decision stood on the patient's progress
page and in the journal summary, and a record written on the wrong patient was shown to that
patient with no way to take it back. Each test follows a change from the therapist's form to
what the patient, the pre-session view, the journal summary, the caseload and the patient's
data file show.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from fit_platform.db import Database
from fit_platform.db.models import AccessLog, Episode
from fit_platform.domain.codes import EpisodeStatus, Role
from fit_platform.services.access_control import StaffViewer
from fit_platform.services.samvalg_changes import Correction, correct_decision
from tests.support.clinical import add_signal
from tests.support.factories import PASSWORD, World, make_staff, make_world
from tests.support.html import csrf_token, download_patient_file, log_in
from tests.support.patient import Patient, open_invitation
from tests.support.scheduling import OSLO, Clock

FIRST = "Weekly sessions until Christmas"
CORRECTED = "Weekly sessions until the New Year"
OPTIONS = "Weekly sessions, or every other week"
REASON = "Written on the wrong patient"


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _therapist(app: Flask, world: World) -> FlaskClient:
    client = app.test_client()
    log_in(client, world.therapist_username, PASSWORD)
    return client


def _record(client: FlaskClient, world: World, review_on: dt.date | None = None) -> int:
    """Saves a record the patient may read through the form; returns its id."""
    url = f"/clinician/episodes/{world.episode_id}/decisions/new"
    form = client.get(url + "?lang=en").get_data(as_text=True)
    saved = client.post(
        url,
        data={
            "csrf_token": csrf_token(form),
            "options_discussed": OPTIONS,
            "decision": FIRST,
            "review_on": review_on.isoformat() if review_on else "",
            "visible_to_patient": "y",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    view = client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    start = view.index('id="decision-') + len('id="decision-')
    return int(view[start : view.index('"', start)])


def _correct(
    client: FlaskClient, world: World, decision_id: int, page: str | None = None, **fields: str
) -> Any:
    url = f"/clinician/episodes/{world.episode_id}/decisions/{decision_id}/correct"
    page = page or client.get(url + "?lang=en").get_data(as_text=True)
    # The form's hidden fields as a browser sends them: the version and the one-time value.
    form = page.split("The corrected record")[1]
    hidden = dict(re.findall(r'name="(\w+)" type="hidden" value="([^"]*)"', form))
    assert {"csrf_token", "version", "form_nonce"} <= set(hidden)
    data = {
        **hidden,
        "options_discussed": OPTIONS,
        "decision": CORRECTED,
        "review_on": "",
        "visible_to_patient": "y",
        **fields,
    }
    return client.post(url + "?lang=en", data=data)


def _withdraw(client: FlaskClient, world: World, decision_id: int, reason: str) -> Any:
    url = f"/clinician/episodes/{world.episode_id}/decisions/{decision_id}/withdraw"
    page = client.get(url + "?lang=en").get_data(as_text=True)
    return client.post(url + "?lang=en", data={"csrf_token": csrf_token(page), "reason": reason})


def _patient_progress(app: Flask, world: World) -> str:
    """The patient answers a questionnaire through their link and opens their progress."""
    _invitation_id, token = open_invitation(_db(app), world)
    browser = app.test_client()
    patient = Patient(browser, token)
    patient.start()
    patient.answer_all("phq9", "0")
    assert patient.finish().status_code == 302
    return browser.get("/p/progress?lang=en").get_data(as_text=True)


def _page(client: FlaskClient, world: World, page: str = "") -> str:
    response = client.get(f"/clinician/episodes/{world.episode_id}{page}?lang=en")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_correction_reaches_the_patient_and_the_journal_and_keeps_what_it_replaced(
    app: Flask,
) -> None:
    world = make_world(_db(app))
    therapist = _therapist(app, world)
    decision_id = _record(therapist, world)

    form = therapist.get(
        f"/clinician/episodes/{world.episode_id}/decisions/{decision_id}/correct?lang=en"
    ).get_data(as_text=True)
    assert FIRST in form.split("The corrected record")[1]  # the form starts from its words
    assert "Change it there too: this platform does not change the EPR." in form
    saved = _correct(therapist, world, decision_id, page=form)
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"#decision-{decision_id}")

    view = _page(therapist, world)
    decisions = view[view.index('id="decisions"') :]
    assert CORRECTED in decisions and FIRST not in decisions
    assert "Corrected " in decisions and "The samvalg record is corrected." in view
    # Said in the record itself, where the page opens (#decision-…), not at the page's top.
    record = view.split(f'id="decision-{decision_id}"', 1)[1].split("</article>", 1)[0]
    assert '<p class="said-here" role="status">The samvalg record is corrected.' in record
    assert "The samvalg record is corrected." not in view.split("<h1>", 1)[0]
    again = therapist.get(
        f"/clinician/episodes/{world.episode_id}/decisions/{decision_id}/correct?lang=en"
    ).get_data(as_text=True)
    assert "What it said before: 1 earlier version" in again
    assert FIRST in again.split("What it said before")[1]

    summary = _page(therapist, world, "/summary")
    assert CORRECTED in summary and FIRST not in summary
    as_text = summary[summary.index('id="plain-text"') :]  # what is pasted into the EPR
    assert "(corrected " in summary.split('id="plain-text"')[0] and "(corrected " in as_text

    progress = _patient_progress(app, world)
    decided = progress[progress.index("What you and your therapist decided") :]
    assert CORRECTED in decided and FIRST not in decided
    assert "corrected " in decided
    assert "corrected a record of what you decided together" in progress


def test_a_withdrawn_record_leaves_the_patient_the_journal_and_the_reminders(
    app: Flask,
) -> None:
    db = _db(app)
    clock = Clock(dt.datetime(2026, 12, 7, 9, 0, tzinfo=OSLO).astimezone(dt.UTC))
    app.extensions["fit_clock"] = clock
    world = make_world(db)
    therapist = _therapist(app, world)
    decision_id = _record(therapist, world, review_on=dt.date(2026, 12, 14))
    clock.advance(days=7)  # its review day: the caseload reminds the therapist
    therapist = _therapist(app, world)
    assert "Samvalg decision to look at again" in therapist.get("/clinician/?lang=en").get_data(
        as_text=True
    )

    refused = _withdraw(therapist, world, decision_id, "   ")
    assert refused.status_code == 400
    assert "Write why the record is withdrawn." in refused.get_data(as_text=True)
    assert FIRST in _page(therapist, world)  # nothing changed

    assert _withdraw(therapist, world, decision_id, REASON).status_code == 302
    view = _page(therapist, world)
    decisions = view[view.index('id="decisions"') : view.index('id="consent-heading"')]
    assert FIRST not in decisions and OPTIONS not in decisions  # staff see it was, not its words
    assert "Withdrawn as written in error" in decisions and REASON in decisions
    assert "No decisions recorded yet." in decisions
    assert "due: look at it again" not in view
    caseload = therapist.get("/clinician/?lang=en").get_data(as_text=True)
    assert "Samvalg decision to look at again" not in caseload
    summary = _page(therapist, world, "/summary")
    assert FIRST not in summary

    # A withdrawn record is not changed again; its pages say so and send back.
    for action in ("correct", "withdraw"):
        again = therapist.get(
            f"/clinician/episodes/{world.episode_id}/decisions/{decision_id}/{action}?lang=en"
        )
        assert again.status_code == 302
        assert "can no longer be changed" in _page(therapist, world)

    with db.session() as session:
        logged = session.scalars(
            select(AccessLog.action).where(AccessLog.patient_id == world.patient_id)
        ).all()
    # The refused save wrote no withdrawal; the pages that said "withdrawn" logged no read.
    assert logged.count("decision_withdraw") == 1
    # The withdrawal page read the record four times (each form opened, then posted); the
    # two pages that only said "withdrawn" read nothing.
    assert logged.count("decision_change_form") == 4


def test_a_withdrawn_record_is_gone_from_the_patients_page_and_file(app: Flask) -> None:
    db = _db(app)
    world = make_world(db)
    therapist = _therapist(app, world)
    kept = _record(therapist, world)
    withdrawn = _record(therapist, world)
    assert kept != withdrawn
    assert _correct(therapist, world, kept).status_code == 302
    assert _withdraw(therapist, world, withdrawn, REASON).status_code == 302

    progress = _patient_progress(app, world)
    decided = progress[progress.index("What you and your therapist decided") :]
    assert decided.count('class="decision"') == 1 and CORRECTED in decided

    admin = app.test_client()
    log_in(admin, make_staff(db, (Role.ADMIN, None)).username, PASSWORD)
    exported = download_patient_file(admin, world.unit_id, world.patient_id)
    assert exported["version"] == 4
    (episode,) = exported["episodes"]
    first, second = episode["decisions"]
    assert first["decision"] == CORRECTED and first["corrected_at"]
    assert [e["decision"] for e in first["earlier_versions"]] == [FIRST]
    # The words of a record withdrawn as written in error may be about someone else.
    assert set(second) == {"recorded_at", "withdrawn_at"}
    assert FIRST not in json.dumps(second) and REASON not in json.dumps(exported)


def test_a_colleagues_correction_is_not_overwritten_and_the_typing_is_kept(app: Flask) -> None:
    db = _db(app)
    world = make_world(db)
    lead = make_staff(db, (Role.UNIT_LEAD, world.unit_id), name="Lise Leder")
    therapist = _therapist(app, world)
    decision_id = _record(therapist, world)
    url = f"/clinician/episodes/{world.episode_id}/decisions/{decision_id}/correct?lang=en"
    therapists_page = therapist.get(url).get_data(as_text=True)

    lead_client = app.test_client()
    log_in(lead_client, lead.username, PASSWORD)
    assert _correct(lead_client, world, decision_id, decision="The lead's words").status_code == 302

    mine = "Every other week from January"
    refused = _correct(therapist, world, decision_id, page=therapists_page, decision=mine)
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert "Someone else corrected this record after you opened it." in body
    assert mine in body.split("The corrected record")[1]  # the typing is kept
    assert "The lead&#39;s words" in body.split("The corrected record")[0]  # and what it says
    assert "The lead&#39;s words" in _page(therapist, world)

    # Saved again from the page that says what the record says now: replaced, knowingly.
    assert _correct(therapist, world, decision_id, page=body, decision=mine).status_code == 302
    again = therapist.get(url).get_data(as_text=True)
    assert "What it said before: 2 earlier versions" in again
    assert "Lise Leder" in again  # who wrote the words that were replaced


def test_a_correction_saved_while_the_save_is_under_way_is_shown_and_taken_next(
    app: Flask,
) -> None:
    """The colleague's correction lands after the request read the record and before it
    saves (committed from another connection at the save's first statement): the refusal
    page showed the record as first read, with its version, so the next save was refused
    again."""
    db = _db(app)
    world = make_world(db)
    lead = make_staff(db, (Role.UNIT_LEAD, world.unit_id), name="Lise Leder")
    lead_viewer = StaffViewer(lead.id, frozenset({(Role.UNIT_LEAD, world.unit_id)}))
    therapist = _therapist(app, world)
    decision_id = _record(therapist, world)
    url = f"/clinician/episodes/{world.episode_id}/decisions/{decision_id}/correct?lang=en"
    therapists_page = therapist.get(url).get_data(as_text=True)
    landed: list[bool] = []

    def lead_saves(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The save's first statement looks for an earlier send of the same form.
        if "form_submission" in statement and not landed:
            landed.append(True)
            words = Correction(OPTIONS, "The lead's words", None, None, True)
            saved = correct_decision(
                db, lead_viewer, world.episode_id, decision_id, words,
                version=1, today=dt.date(2026, 12, 7), now=dt.datetime.now(dt.UTC),
            )  # fmt: skip
            assert saved

    mine = "Every other week from January"
    event.listen(db.engine, "before_cursor_execute", lead_saves)
    try:
        refused = _correct(therapist, world, decision_id, page=therapists_page, decision=mine)
    finally:
        event.remove(db.engine, "before_cursor_execute", lead_saves)
    assert landed, "the colleague's correction did not land during the save"
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert "Someone else corrected this record after you opened it." in body
    assert "The lead&#39;s words" in body.split("The corrected record")[0]  # what it says now
    assert mine in body.split("The corrected record")[1]
    # One more save from that page replaces the colleague's words, knowingly.
    assert _correct(therapist, world, decision_id, page=body, decision=mine).status_code == 302
    assert mine in _page(therapist, world)


def test_the_same_correction_sent_twice_is_saved_once(app: Flask) -> None:
    world = make_world(_db(app))
    therapist = _therapist(app, world)
    decision_id = _record(therapist, world)
    url = f"/clinician/episodes/{world.episode_id}/decisions/{decision_id}/correct?lang=en"
    page = therapist.get(url).get_data(as_text=True)
    assert _correct(therapist, world, decision_id, page=page).status_code == 302
    assert _correct(therapist, world, decision_id, page=page).status_code == 302
    assert "What it said before: 1 earlier version" in therapist.get(url).get_data(as_text=True)


def test_a_review_date_that_has_passed_is_kept_when_the_words_are_corrected(app: Flask) -> None:
    clock = Clock(dt.datetime(2026, 12, 7, 9, 0, tzinfo=OSLO).astimezone(dt.UTC))
    app.extensions["fit_clock"] = clock
    world = make_world(_db(app))
    therapist = _therapist(app, world)
    decision_id = _record(therapist, world, review_on=dt.date(2026, 12, 10))
    clock.advance(days=5)
    therapist = _therapist(app, world)
    kept = _correct(therapist, world, decision_id, review_on="2026-12-10")
    assert kept.status_code == 302
    moved = _correct(therapist, world, decision_id, review_on="2026-12-11", decision="Again")
    assert moved.status_code == 400
    assert "Choose today or a later date." in moved.get_data(as_text=True)


def test_an_ended_episode_takes_a_withdrawal_but_no_correction(app: Flask) -> None:
    db = _db(app)
    world = make_world(db)
    therapist = _therapist(app, world)
    decision_id = _record(therapist, world)
    with db.transaction() as session:
        session.get_one(Episode, world.episode_id).status = EpisodeStatus.ENDED
    view = _page(therapist, world)
    assert "/correct" not in view and f"/decisions/{decision_id}/withdraw" in view
    refused = therapist.get(
        f"/clinician/episodes/{world.episode_id}/decisions/{decision_id}/correct?lang=en"
    )
    assert refused.status_code == 303
    assert "nothing can be planned or changed" in _page(therapist, world)
    assert _withdraw(therapist, world, decision_id, REASON).status_code == 302
    assert REASON in _page(therapist, world)


def test_another_therapists_patient_has_no_record_to_change(app: Flask) -> None:
    db = _db(app)
    world = make_world(db)
    decision_id = _record(_therapist(app, world), world)
    other = make_world(db)
    stranger = _therapist(app, other)
    for action in ("correct", "withdraw"):
        url = f"/clinician/episodes/{world.episode_id}/decisions/{decision_id}/{action}"
        assert stranger.get(url).status_code == 404
        page = stranger.get("/clinician/?lang=en").get_data(as_text=True)
        posted = stranger.post(url, data={"csrf_token": csrf_token(page), "reason": REASON})
        assert posted.status_code == 404
    # Nor is a record reached through another episode's address.
    own_episode = f"/clinician/episodes/{other.episode_id}/decisions/{decision_id}/correct"
    assert stranger.get(own_episode).status_code == 404
    assert FIRST in _page(_therapist(app, world), world)


def test_withdrawing_a_record_opens_again_the_risk_signal_it_acknowledged(app: Flask) -> None:
    """A record made from a signal acknowledges it, with the decision as what was done. If the
    record was written on the wrong patient, so was the acknowledgement: left as it was, this
    patient's risk answer would stand as followed up by someone else's decision."""
    db = _db(app)
    world = make_world(db)
    signal_id = add_signal(db, world, raised_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    therapist = _therapist(app, world)
    url = f"/clinician/episodes/{world.episode_id}/decisions/new?signal={signal_id}&lang=en"
    form = therapist.get(url).get_data(as_text=True)
    assert "Saving the record also acknowledges this signal" in form
    saved = therapist.post(
        url,
        data={
            "csrf_token": csrf_token(form),
            "signal_id": str(signal_id),
            "options_discussed": OPTIONS,
            "decision": FIRST,
            "visible_to_patient": "y",
        },
    )
    assert saved.status_code == 302
    assert "Not acknowledged yet:" not in _page(therapist, world)
    decision_id = _record_ids(_page(therapist, world))[0]

    page = therapist.get(
        f"/clinician/episodes/{world.episode_id}/decisions/{decision_id}/withdraw?lang=en"
    ).get_data(as_text=True)
    assert "Withdrawing the record opens the signal again" in page
    withdrawn = _withdraw(therapist, world, decision_id, REASON)
    assert withdrawn.headers["Location"].endswith("#signals")
    view = _page(therapist, world)
    assert "The signal the record acknowledged is open again: follow it up." in view
    assert "Not acknowledged yet:" in view and FIRST not in view  # nor as its note
    caseload = therapist.get("/clinician/?lang=en&show=signals").get_data(as_text=True)
    assert f"/clinician/episodes/{world.episode_id}" in caseload


def test_a_corrected_record_corrects_what_was_done_on_the_signal_it_acknowledged(
    app: Flask,
) -> None:
    """The signal's "what was done" is the record's decision: after a correction the journal
    text for the EPR carried the old decision on the signal and the new one on the record."""
    db = _db(app)
    world = make_world(db)
    signal_id = add_signal(db, world, raised_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    therapist = _therapist(app, world)
    url = f"/clinician/episodes/{world.episode_id}/decisions/new?signal={signal_id}&lang=en"
    form = therapist.get(url).get_data(as_text=True)
    data = {"signal_id": str(signal_id), "options_discussed": OPTIONS, "decision": FIRST}
    saved = therapist.post(url, data={"csrf_token": csrf_token(form), **data})
    assert saved.status_code == 302
    summary = _page(therapist, world, "/summary")
    assert f"What was done: {FIRST}" in summary

    decision_id = _record_ids(_page(therapist, world))[0]
    assert _correct(therapist, world, decision_id).status_code == 302
    summary = _page(therapist, world, "/summary")
    assert f"What was done: {CORRECTED}" in summary and FIRST not in summary
    view = _page(therapist, world)
    assert FIRST not in view and "Not acknowledged yet:" not in view


def _record_ids(view: str) -> list[int]:
    return [int(found) for found in re.findall(r'id="decision-(\d+)"', view)]
