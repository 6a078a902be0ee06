"""The unit choice lists the units in one order, by name, on the export page and the trend
report (the export page listed them in the database's order)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from fit_platform.db.models import Unit
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff, make_unit
from tests.support.html import log_in


def _unit_options(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="unit"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None
    return re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', select.group(1))


@pytest.mark.parametrize("path", ["/export/", "/export/report"])
def test_the_unit_choice_is_by_name(app: Flask, client: FlaskClient, path: str) -> None:
    db = app.extensions["fit_db"]
    # Created in an order that is neither the names' order nor its reverse.
    for name in ("Bodø poliklinikk", "Cecilie dagtilbud", "alta poliklinikk"):
        unit = make_unit(db)
        with db.transaction() as session:
            session.execute(update(Unit).where(Unit.id == unit.id).values(name=name))
    developer = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    log_in(client, developer.username, PASSWORD)
    html = client.get(f"{path}?lang=en").get_data(as_text=True)
    assert _unit_options(html) == ["alta poliklinikk", "Bodø poliklinikk", "Cecilie dagtilbud"]
