"""The sentence that tells the therapist a risk answer was changed after its signal was raised
says what the patient answered first, in each of the four cases a change record can hold."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask_babel import force_locale

from fit_platform.services.signal_answers import AnswerChange
from fit_platform.web.clinician.presenters import answer_change_sentence

AT = dt.datetime(2026, 12, 3, 13, 5, tzinfo=dt.UTC)  # 14:05 in Oslo


@pytest.mark.parametrize(
    ("previous", "now", "sentence"),
    [
        (
            "Nearly every day (3)",
            "Not at all (0)",
            "The patient changed the answer to question 9 from “Nearly every day (3)” to "
            "“Not at all (0)” at 03/12/2026, 14:05.",
        ),
        (
            "Nearly every day (3)",
            None,
            "The patient removed the answer “Nearly every day (3)” to question 9 at "
            "03/12/2026, 14:05.",
        ),
        # A record without the first answer: the change alone, as before.
        (
            None,
            "Not at all (0)",
            "The patient changed the answer to question 9 to “Not at all (0)”",
        ),
        (None, None, "The patient removed the answer to question 9 at"),
    ],
)
def test_the_first_answer_is_said_with_the_change(
    app: Flask, previous: str | None, now: str | None, sentence: str
) -> None:
    with app.test_request_context("/"), force_locale("en"):
        text = answer_change_sentence(AnswerChange(9, now, AT, previous))
    assert text.startswith(sentence)


def test_in_nynorsk_the_first_answer_is_said_too(app: Flask) -> None:
    with app.test_request_context("/"), force_locale("nn"):
        text = answer_change_sentence(
            AnswerChange(9, "Ikkje i det heile (0)", AT, "Nesten kvar dag (3)")
        )
    assert text.startswith(
        "Pasienten endra svaret på spørsmål 9 frå «Nesten kvar dag (3)» til «Ikkje i det heile (0)»"
    )
