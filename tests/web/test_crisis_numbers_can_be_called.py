"""The crisis numbers in the foot of every page a patient reaches can be called with one tap.

The footer said "Ring 113 (akutt) eller legevakta på 116 117" as plain text, on the landing page,
the question pages, the review page, the error pages and the privacy notice: on those pages it is
the only crisis information, and a patient on a phone had to copy the number into the dialler.
The clinic's own number at the top of the same pages was a link. Followed from the patient's link
through the questionnaire, in bokmål, nynorsk and English."""

from __future__ import annotations

import pytest
from flask import Flask

from fit_platform.db import Database
from tests.support.patient import started_patient

SENTENCE = {
    "nb": "Ring {e} (akutt) eller legevakten på {l}.",
    "nn": "Ring {e} (akutt) eller legevakta på {l}.",
    "en": "Call {e} (emergency) or the out-of-hours service (legevakt) on {l}.",
}
EMERGENCY = '<a href="tel:113" class="crisis-number">113</a>'
LEGEVAKT = '<a href="tel:116117" class="crisis-number">116 117</a>'


def _footer(html: str) -> str:
    return " ".join(html.split('<footer class="site-footer">', 1)[1].split())


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_every_page_a_patient_reaches_has_the_numbers_as_links(
    app: Flask, db: Database, lang: str
) -> None:
    patient, token = started_patient(app, db, lang)
    client = patient.client
    pages = {
        "landing": client.get(f"/p/{token}?lang={lang}"),
        "question page": client.get(f"/p/answer/1?lang={lang}"),
        "a page that does not exist": client.get(f"/p/answer/99?lang={lang}"),
        "privacy notice": client.get(f"/privacy?lang={lang}"),
        "start page": app.test_client().get(f"/?lang={lang}"),
    }
    patient.answer_all("phq9", "0")
    pages["review page"] = client.get(f"/p/finish?lang={lang}")
    sentence = SENTENCE[lang].format(e=EMERGENCY, l=LEGEVAKT)
    for name, response in pages.items():
        assert sentence in _footer(response.get_data(as_text=True)), name
    privacy = " ".join(pages["privacy notice"].get_data(as_text=True).split())
    assert privacy.count(sentence) == 2  # the notice's own list, and its foot


NOT_AT_ONCE = {
    "nb": "Det du skriver her, blir ikke lest med en gang.",
    "nn": "Det du skriv her, blir ikkje lese med ein gong.",
    "en": "What you write here is not read at once.",
}


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_each_box_the_clinic_reads_later_says_so_with_the_numbers_beside_it(
    app: Flask, db: Database, lang: str
) -> None:
    """Each box said only "your therapist reads this before your next session": a patient could
    write something urgent there, just after a risk answer, and wait."""
    patient, _token = started_patient(app, db, lang)
    client = patient.client
    pages = {
        f"/p/choices/{name}": client.get(f"/p/choices/{name}?lang={lang}")
        for name in ("decline", "stop", "fewer")
    }
    patient.answer_all("phq9", "0")
    pages["/p/finish"] = client.get(f"/p/finish?lang={lang}")
    assert patient.finish().status_code == 302
    pages["/p/done"] = client.get(f"/p/done?lang={lang}")
    notice = (
        f"<strong>{NOT_AT_ONCE[lang]}</strong> "
        + {"nb": "Trenger du hjelp nå?", "nn": "Treng du hjelp no?", "en": "Need help now?"}[lang]
        + " "
        + SENTENCE[lang].format(e=EMERGENCY, l=LEGEVAKT)
    )
    for path, response in pages.items():
        assert response.status_code == 200, path
        main = " ".join(response.get_data(as_text=True).split("<footer", 1)[0].split())
        assert "<textarea" in main, path
        assert main.count(notice) == 1, path
