"""The patient pages promise "your therapist" reads her answers and comments only while she
has one: after her responsible therapist is deactivated they say someone at her clinic does
(the unit's lead sees the episode and its risk signals at once), in every language, and name
nobody. With an active therapist the pages keep their words."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from fit_platform.services.link_context import LinkContext, LinkStatus
from fit_platform.web.patient.readers import therapist_reads
from tests.support.factories import (
    PASSWORD,
    add_history,
    make_staff,
    make_unit,
    make_world,
)
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient, open_invitation
from tests.support.unattended_risk import risk_answer

HELP = {
    "nb": (
        "Behandleren din får se svaret ditt og vil snakke med deg om det.",
        "Noen ved klinikken din får se svaret ditt og vil snakke med deg om det.",
    ),
    "nn": (
        "Behandlaren din får sjå svaret ditt og vil snakke med deg om det.",
        "Nokon ved klinikken din får sjå svaret ditt og vil snakke med deg om det.",
    ),
    "en": (
        "Your therapist will see your answer and talk with you about it.",
        "Someone at your clinic will see your answer and talk with you about it.",
    ),
}
WRITTEN_HEADING = {
    "nb": ("Det du har skrevet til behandleren din", "Det du har skrevet til klinikken din"),
    "nn": ("Det du har skrive til behandlaren din", "Det du har skrive til klinikken din"),
    "en": ("What you have written to your therapist", "What you have written to your clinic"),
}
PLAN_VERSIONS = {
    "nb": ("så du og behandleren din kan se", "så du og klinikken din kan se"),
    "nn": ("så du og behandlaren din kan sjå", "så du og klinikken din kan sjå"),
    "en": ("so you and your therapist can see", "so you and your clinic can see"),
}
KEEP_APPOINTMENTS = {
    "nb": (
        "Du beholder timene dine og behandleren din som før.",
        "Du beholder timene dine ved klinikken din som før.",
    ),
    "nn": (
        "Du beheld timane dine og behandlaren din som før.",
        "Du beheld timane dine ved klinikken din som før.",
    ),
    "en": (
        "You keep your appointments and your therapist as before.",
        "You keep your appointments at your clinic as before.",
    ),
}
TOPIC_HINT = (
    "Your therapist reads this before your next session. At most 1000 characters.",
    "Someone at your clinic reads this before your next session. At most 1000 characters.",
)


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _deactivate(app: Flask, db: Database, staff_id: int) -> None:
    """The administrator's own steps: the confirmation page, then "Deactivate anyway"."""
    admin = app.test_client()
    log_in(admin, make_staff(db, (Role.ADMIN, None)).username, PASSWORD)
    confirm = _page(admin, f"/admin/staff/{staff_id}/deactivate?lang=en")
    done = admin.post(
        f"/admin/staff/{staff_id}/deactivate", data={"csrf_token": csrf_token(confirm)}
    )
    assert done.status_code == 302


def test_after_the_therapist_is_deactivated_the_patient_is_told_her_clinic_reads_her_answers(
    app: Flask,
) -> None:
    db = _db(app)
    unit = make_unit(db)
    make_staff(db, (Role.UNIT_LEAD, unit.id), name="Lise Leder")
    therapist = make_staff(db, (Role.THERAPIST, unit.id), name="Tone Terapeut")
    world = make_world(db, unit=unit, therapist=therapist)
    patient = risk_answer(app, db, world, finish=False)
    # While the therapist is active, the pages say "your therapist", as before.
    for language, (therapist_words, clinic_words) in HELP.items():
        help_page = _page(patient.client, f"/p/help?lang={language}")
        assert therapist_words in help_page and clinic_words not in help_page
    finish = _page(patient.client, "/p/finish?lang=en")
    assert TOPIC_HINT[0] in finish and TOPIC_HINT[1] not in finish

    _deactivate(app, db, therapist.id)

    # The same open link, the next page she opens: her clinic reads it, and nobody is named.
    for language, (therapist_words, clinic_words) in HELP.items():
        help_page = _page(patient.client, f"/p/help?lang={language}")
        assert clinic_words in help_page and therapist_words not in help_page
        assert "Tone Terapeut" not in help_page and "Lise Leder" not in help_page
    finish = _page(patient.client, "/p/finish?lang=en")
    assert TOPIC_HINT[1] in finish and TOPIC_HINT[0] not in finish
    assert "Your therapist reads this" not in finish
    # Her goals, her wish for fewer questionnaires, her standing choices: the same rule.
    goals = _page(patient.client, "/p/goals?lang=en")
    assert "Someone at your clinic reads your goals before your sessions." in goals
    fewer = _page(patient.client, "/p/choices/fewer?lang=en")
    assert "Someone at your clinic sees your wish and agrees a new plan with you." in fewer
    for page in (goals, fewer):
        assert "Your therapist reads" not in page and "Your therapist sees" not in page

    # After sending: the thank-you page and the comment form promise the clinic too.
    assert patient.finish().status_code == 302
    done = _page(patient.client, "/p/done?lang=nb")
    assert f"Svarene dine er sendt til {unit.name}." in done
    assert "behandleren din" not in done.lower().replace("behandleren din eller", "")
    assert "Noen ved klinikken din leser dette før neste time." in done
    # Said once, under the comment field: its label no longer says it again.
    assert ">Kommentaren din til dette resultatet</label>" in done
    assert done.count("leser dette før neste time") == 1 and "vil lese" not in done
    commented = patient.post("/p/done?lang=nb", {"text": "Takk for sist."})
    assert commented.status_code == 302
    after_comment = _page(patient.client, "/p/done?lang=nb")
    assert "Takk. Kommentaren din er lagret for klinikken din." in after_comment
    # Her comment is listed under a heading that names her clinic, not a therapist.
    for language, (therapist_heading, clinic_heading) in WRITTEN_HEADING.items():
        page = _page(patient.client, f"/p/done?lang={language}")
        assert "Takk for sist." in page
        assert clinic_heading in page and therapist_heading not in page
    # Her crisis plan keeps every version "so you and your clinic can see what it said before".
    for language, (therapist_words, clinic_words) in PLAN_VERSIONS.items():
        plan = _page(patient.client, f"/p/my-crisis-plan?lang={language}")
        assert clinic_words in plan and therapist_words not in plan

    # A new link's landing page (the next questionnaire) says the same before she starts.
    _invitation_id, token = open_invitation(db, world, instrument_id="gad7")
    landing = _page(app.test_client(), f"/p/{token}?lang=nn")
    assert f"Nokon ved {unit.name} ser svara dine" in landing
    assert "Behandlaren din ved" not in landing

    # The page of her plan's versions, and the channel page's "tell … who can correct it".
    versions = _page(patient.client, "/p/my-crisis-plan/versions?lang=en")
    assert "and your clinic sees it as your plan." in versions
    assert "your therapist" not in versions.lower()
    channel = _page(patient.client, "/p/choices/channel?lang=en")
    assert "If one is wrong or has changed, tell your clinic, who can correct it." in channel
    assert "tell your therapist" not in channel

    # She stops her questionnaires: she keeps her appointments, and nobody is promised.
    assert patient.post("/p/choices", {"action": "stop"}).status_code == 302
    for language, (therapist_words, clinic_words) in KEEP_APPOINTMENTS.items():
        stopped = _page(patient.client, f"/p/choices/done?lang={language}")
        assert clinic_words in stopped and therapist_words not in stopped
        assert "Tone Terapeut" not in stopped
    assert "or tell your clinic." in _page(patient.client, "/p/choices/done?lang=en")


def test_with_an_active_therapist_the_pages_keep_saying_your_therapist(app: Flask) -> None:
    db = _db(app)
    world = make_world(db)
    patient = risk_answer(app, db, world, finish=False)
    assert HELP["nb"][0] in _page(patient.client, "/p/help?lang=nb")
    assert patient.finish().status_code == 302
    done = _page(patient.client, "/p/done?lang=nb")
    assert "Svarene dine er sendt til behandleren din ved" in done
    assert "Behandleren din leser dette før neste time." in done
    assert "Noen ved klinikken din" not in done


def test_the_sentence_after_a_clear_worsening_follows_the_same_rule(app: Flask) -> None:
    # 19 first, 9 last time, now 18: a clear worsening, which the patient is told is seen.
    db = _db(app)
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id), name="Tone Terapeut")
    world = make_world(db, unit=unit, therapist=therapist)
    add_history(db, world, [19, 9])
    _deactivate(app, db, therapist.id)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token)
    patient.start()
    patient.answer_all("phq9", "2")
    assert patient.finish().status_code == 302
    for path in ("/p/done?lang=en", "/p/progress?lang=en"):
        page = _page(patient.client, path)
        assert "Someone at your clinic sees your scores too" in page
        assert "Your therapist sees your scores too" not in page


def test_a_context_read_from_no_link_promises_no_therapist(app: Flask) -> None:
    # An unknown link, or a visit that has ended, has no episode to read: without that
    # reading no page may say "your therapist", only what is true either way.
    for status in (LinkStatus.UNKNOWN, LinkStatus.ENDED):
        assert not therapist_reads(LinkContext(status=status))
    world = make_world(_db(app))
    _invitation_id, token = open_invitation(_db(app), world)
    for path in (f"/p/{token[:-4]}zzzz?lang=en", "/p/progress?lang=en"):
        response = app.test_client().get(path)
        page = response.get_data(as_text=True)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert "your therapist" not in page.lower(), path
    # The same link, opened properly, still says so while her therapist is active.
    assert "Your therapist at" in _page(app.test_client(), f"/p/{token}?lang=en")
