"""The trend report for a unit whose range has no outcome or alliance questionnaire: the
figure's explanation says so in whole sentences (it once read "…than their first, on .")."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff, make_world
from tests.support.html import log_in
from tests.support.scheduling import Clock, oslo

NOW = oslo(2026, 12, 2, 9, 0)
WORDS = {
    "en": (
        "than their first. No questionnaire has scores for it in this range.",
        "Mean alliance score (higher is better). No alliance questionnaire has answers in this "
        "range.",
    ),
    "nb": (
        "enn den første. Ingen spørreskjemaer har skårer for det i dette tidsrommet.",
        "Gjennomsnittlig allianseskår (høyere er bedre). Ingen allianseskjemaer har svar i "
        "dette tidsrommet.",
    ),
    "nn": (
        "enn den første. Ingen spørjeskjema har skårar for det i dette tidsrommet.",
        "Gjennomsnittleg allianseskår (høgare er betre). Ingen allianseskjema har svar i "
        "dette tidsrommet.",
    ),
}


@pytest.mark.parametrize("lang", ["en", "nb", "nn"])
def test_a_unit_with_no_outcome_or_alliance_questionnaire_gets_whole_sentences(
    client: FlaskClient, lang: str
) -> None:
    db: Database = client.application.extensions["fit_db"]
    client.application.extensions["fit_clock"] = Clock(NOW)
    world = make_world(db)  # a unit with a patient and no answers at all
    staff = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    log_in(client, staff.username, PASSWORD)
    response = client.get(
        f"/export/report?period=quarter&start=2024-10-01&end=2026-09-30"
        f"&unit={world.unit_id}&lang={lang}"
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    outcome, alliance = WORDS[lang]
    assert outcome in html
    assert alliance in html
    assert ", on ." not in html and ", på ." not in html
    assert "%(instrument)s" not in html
