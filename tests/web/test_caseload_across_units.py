"""A therapist's own list names each patient's unit when the list spans units.

A walk's therapist, working in a poliklinikk and a dagtilbud, took over patients of both and
could not tell from "My patients" which were which (only the lead's list named the unit)."""

from __future__ import annotations

from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Role, UnitKind
from tests.support.factories import PASSWORD, make_staff, make_unit, make_world
from tests.support.html import log_in


def test_the_unit_is_named_on_each_row_only_when_the_list_spans_units(
    client: FlaskClient, db: Database
) -> None:
    clinic, day = make_unit(db), make_unit(db, UnitKind.DAY_PROGRAMME)
    therapist = make_staff(db, (Role.THERAPIST, clinic.id), (Role.THERAPIST, day.id))
    make_world(db, unit=clinic, therapist=therapist)
    log_in(client, therapist.username, PASSWORD)
    page = client.get("/clinician/?lang=en").get_data(as_text=True)
    assert f'<span class="muted">{clinic.name}</span>' not in page  # one unit: nothing to tell

    make_world(db, unit=day, therapist=therapist)
    page = client.get("/clinician/?lang=en").get_data(as_text=True)
    for unit in (clinic, day):
        assert f'<br><span class="muted">{unit.name}</span>' in page
    assert "No active responsible therapist" not in page  # the lead's line stays the lead's
