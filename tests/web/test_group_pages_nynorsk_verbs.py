"""The nynorsk catalogue writes infinitives with -e ("endre", "leggje", "laste inn"); the group
pages said "lasta inn" and "oppretta" next to them. A therapist in a day programme whose unit
has no group form reads the groups page in nn; the catalogue keeps one infinitive form."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from fit_platform.domain.codes import Role, UnitKind
from tests.support.factories import PASSWORD, make_staff, make_unit
from tests.support.html import log_in

NN = Path(__file__).resolve().parents[2] / "translations" / "nn" / "LC_MESSAGES" / "messages.po"
# An a-infinitive after a modal verb or "å" (not a participle: "er lasta", "har stoppa").
A_INFINITIVE = re.compile(
    r"\b(?:å|kan|må|skal|vil|bør)(?: først)? (?:lasta|oppretta|endra|lagra|registrera|fjerna"
    r"|senda|svara|bruka|skriva|opna|venta|velja|leggja|melda|starta|stoppa|visa|sletta"
    r"|henta|flytta|kopiera|logga|setja)\b"
)


def _translations(string: str | tuple[str, ...] | list[str] | None) -> Sequence[str]:
    """A message's translation, or each plural form's."""
    if isinstance(string, str):
        return (string,)
    assert string is not None  # the catalogue gives every message a string
    return string


def test_the_groups_page_in_nynorsk_uses_e_infinitives(app: Flask, client: FlaskClient) -> None:
    db = app.extensions["fit_db"]
    unit = make_unit(db, UnitKind.DAY_PROGRAMME)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    log_in(client, therapist.username, PASSWORD)
    listed = client.get("/groups/?lang=nn").get_data(as_text=True)
    assert "Berre ein administrator for tenesta kan gjere det" in listed
    new = client.get(f"/groups/new?unit={unit.id}&lang=nn").get_data(as_text=True)
    for html in (listed, new):
        assert A_INFINITIVE.search(html) is None


def test_the_nynorsk_catalogue_has_no_a_infinitive() -> None:
    with NN.open("rb") as handle:
        catalog = read_po(handle)
    found = [
        text
        for message in catalog
        if message.id
        for text in _translations(message.string)
        if A_INFINITIVE.search(text)
    ]
    assert found == []
