"""The caseload table's caption, read first by a screen reader, says whose patients are in it:
a unit lead who chose "Everyone in the units I lead" heard "Your patients and what needs
attention" over the whole unit's rows (found in a review of the demo as the unit lead)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff, make_world
from tests.support.html import log_in


def _caption(page: str) -> str:
    found = re.search(r'<caption class="visually-hidden">(.*?)</caption>', page, re.S)
    assert found is not None
    return found.group(1).strip()


def test_the_caption_names_the_lead_s_units_or_the_therapist_s_own_patients(
    client: FlaskClient,
) -> None:
    db: Database = client.application.extensions["fit_db"]
    world = make_world(db)
    lead = make_staff(db, (Role.THERAPIST, world.unit_id), (Role.UNIT_LEAD, world.unit_id))
    log_in(client, lead.username, PASSWORD)
    unit = client.get("/clinician/?lang=en&scope=unit").get_data(as_text=True)
    assert f"/clinician/episodes/{world.episode_id}" in unit  # the unit's episode is listed
    assert _caption(unit) == "Everyone in the units you lead and what needs attention"
    nynorsk = client.get("/clinician/?lang=nn&scope=unit").get_data(as_text=True)
    assert _caption(nynorsk) == "Alle i einingane du leiar og kva som treng oppfølging"
    log_in(client, world.therapist_username, PASSWORD)
    own = client.get("/clinician/?lang=en").get_data(as_text=True)
    assert _caption(own) == "Your patients and what needs attention"


def test_a_lead_without_patients_of_her_own_is_not_offered_my_patients(
    client: FlaskClient,
) -> None:
    """A unit lead who is not a therapist was offered "My patients", which listed nobody."""
    db: Database = client.application.extensions["fit_db"]
    world = make_world(db)
    lead = make_staff(db, (Role.UNIT_LEAD, world.unit_id))
    log_in(client, lead.username, PASSWORD)
    for url in ("/clinician/?lang=en", "/clinician/?lang=en&scope=mine"):
        page = client.get(url).get_data(as_text=True)
        assert "My patients" not in page, url
        assert f"/clinician/episodes/{world.episode_id}" in page, url
        assert _caption(page) == "Everyone in the units you lead and what needs attention"
