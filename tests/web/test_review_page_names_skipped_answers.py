"""The review page does not say "all the questions" above a question marked "Not answered".

The PHQ-9's tenth question is optional; a patient who left it out read "You have answered all the
questions" directly above "10. … Not answered"."""

from __future__ import annotations

import pytest
from flask import Flask

from fit_platform.db import Database
from tests.support.factories import make_world
from tests.support.patient import Patient, open_invitation

ALL = {
    "nb": "Du har svart på alle spørsmålene. Du kan endre",
    "nn": "Du har svart på alle spørsmåla. Du kan endre",
    "en": "You have answered all the questions. You can change",
}
SKIPPED = {
    "nb": "Du har svart på alle spørsmålene som må besvares; de du hoppet over, er merket "
    "«Ikke svart».",
    "nn": "Du har svart på alle spørsmåla som må svarast på; dei du hoppa over, er merkte "
    "«Ikkje svart».",
    "en": "You have answered every question that needs an answer; the ones you left out are "
    "marked “Not answered”.",
}


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
@pytest.mark.parametrize("tenth", ["", "1"])
def test_the_review_page_says_which_questions_were_left_out(
    app: Flask, db: Database, lang: str, tenth: str
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token, lang=lang)
    assert patient.start().status_code == 302
    patient.answer_all("phq9", "0", phq9_10=tenth)
    page = " ".join(patient.client.get(f"/p/finish?lang={lang}").get_data(as_text=True).split())
    if tenth:
        assert ALL[lang] in page and SKIPPED[lang] not in page
    else:
        assert SKIPPED[lang] in page and ALL[lang] not in page


def test_a_box_too_long_is_named_in_the_error_summary(app: Flask, db: Database) -> None:
    """Both boxes on the review page have the same limit; the summary said only "Write at most
    1000 characters (you wrote 1005)", not which box."""
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token)
    assert patient.start().status_code == 302
    patient.answer_all("phq9", "0")
    refused = patient.finish(comment="x" * 1005)
    assert refused.status_code == 422
    html = " ".join(refused.get_data(as_text=True).split())
    summary = html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "Anything you want to add about these questions? (optional): Write at most" in summary
