"""The groups page is no dead end. An administrator told that a unit needs a group form gets
the link to the Instruments page where it is done, and an empty list reads "There are no groups
yet", not "You lead no groups" (an administrator leads none). A behandler is told to ask an
administrator (only one can enable a form) and gets no link to a page they may not open. The
page's lead-in does not call a poliklinikk's groups "groups in a day programme"."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from fit_platform.domain.codes import Role, UnitKind
from tests.support.factories import PASSWORD, make_staff, make_unit
from tests.support.html import csrf_token, log_in
from tests.web.test_group_create_offer import app

__all__ = ["app"]


def test_the_admin_gets_the_link_and_the_behandler_is_told_whom_to_ask(
    app: Flask, client: FlaskClient
) -> None:
    db = app.extensions["fit_db"]
    clinic = make_unit(db, UnitKind.OUTPATIENT)
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    page = client.get("/admin/instruments?lang=en").get_data(as_text=True)
    switched = client.post(
        f"/admin/instruments/units/{clinic.id}/gsrs",
        data={"csrf_token": csrf_token(page), "enabled": "0"},
    )
    assert switched.status_code == 302

    admin_page = client.get("/groups/?lang=nb").get_data(as_text=True)
    assert f"Ingen gruppe kan opprettes i {clinic.name} ennå" in admin_page
    assert '<a href="/admin/instruments">Gå til siden Instrumenter</a>' in admin_page
    assert "Det finnes ingen grupper ennå." in admin_page
    assert "Du leder ingen grupper" not in admin_page
    assert "dagtilbud" not in admin_page
    # The link's page says how a form that is not installed gets there (a file, a restart),
    # so the path does not end at a switch the administrator cannot find.
    instruments = client.get("/admin/instruments?lang=nb").get_data(as_text=True)
    assert "legger den som drifter tjenesten definisjonsfilen i denne mappen" in instruments

    behandler = make_staff(db, (Role.THERAPIST, clinic.id))
    other = app.test_client()
    log_in(other, behandler.username, PASSWORD)
    page = other.get("/groups/?lang=nb").get_data(as_text=True)
    assert "Bare en administrator for tjenesten kan gjøre det: spør administratoren deres." in page
    assert "/admin/instruments" not in page
    assert "Du leder ingen grupper ennå." in page
    assert "Gruppebehandling: medlemmer" in page and "dagtilbud" not in page
    nynorsk = other.get("/groups/?lang=nn").get_data(as_text=True)
    assert "spør administratoren dykkar" in nynorsk
