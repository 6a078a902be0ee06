"""A new therapist's empty caseload says that there are no patients yet and where to register
the first; "No patients match." is kept for a filter that matched nobody."""

from __future__ import annotations

from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff, make_unit
from tests.support.html import log_in


def test_an_empty_caseload_points_to_registering_and_a_filter_says_nothing_matched(
    client: FlaskClient,
) -> None:
    db: Database = client.application.extensions["fit_db"]
    unit = make_unit(db)
    log_in(client, make_staff(db, (Role.THERAPIST, unit.id)).username, PASSWORD)
    first = client.get("/clinician/?lang=en").get_data(as_text=True)
    assert 'No patients yet. <a href="/clinician/register">Register your first patient</a>' in (
        first
    )
    assert "No patients match." not in first
    filtered = client.get("/clinician/?lang=en&show=review").get_data(as_text=True)
    assert "No patients match." in filtered and "No patients yet." not in filtered
    nn = client.get("/clinician/?lang=nn").get_data(as_text=True)
    assert "Ingen pasientar enno." in nn
