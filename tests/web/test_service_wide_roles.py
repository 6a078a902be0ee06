"""Administrators and service developers work for the whole service. The staff forms offered
them "one unit", but no admin or export page is cut to a unit: an administrator given one
unit looked up, exported and reached the erasure page of patients in every unit, and a service
developer given one unit read every unit's comments. Seen on the demo with an administrator
invited for its day programme. Such a role is no longer given (the forms refuse it, in nb, nn
and en), and one held from before gives no access at all: closed, not wider than meant. The
staff page marks it, and it never counts as "the last administrator".
"""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db.models import Patient, StaffRole
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff, make_unit, make_world
from tests.support.html import csrf_token, log_in
from tests.support.staff_mail import db_of, post_form

REFUSED = {
    "en": "Administrators and service developers work for the whole service: choose “All "
    "units”. Nothing was saved.",
    "nb": "Administratorer og tjenesteutviklere arbeider for hele tjenesten: velg «Alle "
    "enheter». Ingenting ble lagret.",
    "nn": "Administratorar og tenesteutviklarar arbeider for heile tenesta: vel «Alle "
    "einingar». Ingenting vart lagra.",
}


def test_a_role_held_for_one_unit_from_before_opens_no_patient_of_any_unit(
    client: FlaskClient,
) -> None:
    db = db_of(client.application)
    own, other = make_world(db), make_world(db)
    with db.session() as session:
        record_ids = [
            session.get_one(Patient, world.patient_id).external_id for world in (own, other)
        ]
    one_unit_admin = make_staff(db, (Role.ADMIN, own.unit_id))
    log_in(client, one_unit_admin.username, PASSWORD)

    for world, record_id in zip((own, other), record_ids, strict=True):
        for url in (
            f"/admin/patients?unit={world.unit_id}&record_id={record_id}",
            f"/admin/patients/{world.patient_id}/contact?unit={world.unit_id}",
            f"/admin/patients/{world.patient_id}/erase?unit={world.unit_id}",
            f"/admin/units/{world.unit_id}/episodes",
            "/admin/access-log",
            "/admin/",
        ):
            assert client.get(url).status_code == 403, url
    token = csrf_token(client.get("/clinician/").get_data(as_text=True))
    exported = client.post(
        f"/admin/patients/{other.patient_id}/export",
        data={"csrf_token": token, "unit": str(other.unit_id)},
    )
    assert exported.status_code == 403

    # A service developer "of one unit": no figures, no comments.
    developer = make_staff(db, (Role.SERVICE_DEVELOPER, own.unit_id))
    client.post("/staff/logout", data={"csrf_token": token})
    log_in(client, developer.username, PASSWORD)
    for url in ("/export/", "/export/comments", "/export/aggregates.csv"):
        assert client.get(url).status_code == 403, url


def test_the_forms_refuse_a_service_wide_role_for_one_unit(client: FlaskClient) -> None:
    db = db_of(client.application)
    unit = make_unit(db)
    make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    for language, message in REFUSED.items():
        response = post_form(
            client,
            f"/admin/staff/invite?lang={language}",
            "/admin/staff/invite",
            {
                "email": f"ny-{language}@example.org",
                "display_name": "Nora Ny",
                "role": "admin",
                "unit": str(unit.id),
            },
        )
        assert response.status_code in (400, 422)
        assert message in response.get_data(as_text=True)
    colleague = make_staff(db, (Role.THERAPIST, unit.id))
    response = post_form(
        client,
        f"/admin/staff/{colleague.id}?lang=en",
        f"/admin/staff/{colleague.id}/roles",
        {"role": "service_developer", "unit": str(unit.id)},
    )
    assert response.status_code in (400, 422)
    assert REFUSED["en"] in response.get_data(as_text=True)
    with db.session() as session:
        assert session.scalars(
            select(StaffRole.role).where(StaffRole.staff_id == colleague.id)
        ).all() == [Role.THERAPIST]


def test_an_old_one_unit_role_is_marked_and_is_not_the_last_administrator(
    client: FlaskClient,
) -> None:
    db = db_of(client.application)
    unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    one_unit = make_staff(db, (Role.ADMIN, unit.id))
    log_in(client, admin.username, PASSWORD)

    page = client.get(f"/admin/staff/{one_unit.id}?lang=en").get_data(as_text=True)
    assert "(gives no access: this role works for the whole service only;" in page
    listed = client.get("/admin/staff?lang=en").get_data(as_text=True)
    assert listed.count("gives no access") == 1
    own_page = client.get(f"/admin/staff/{admin.id}?lang=en").get_data(as_text=True)
    assert "gives no access" not in own_page

    # The only administrator with access cannot take her own role away: the one-unit role
    # would leave the service with nobody to run it.
    with db.session() as session:
        role_id = session.scalars(select(StaffRole.id).where(StaffRole.staff_id == admin.id)).one()
    response = post_form(
        client,
        f"/admin/staff/{admin.id}?lang=en",
        f"/admin/staff/{admin.id}/roles/{role_id}/remove",
        {},
    )
    assert response.status_code == 302
    shown = client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "This is the last active administrator." in shown
    with db.session() as session:
        assert session.get(StaffRole, role_id) is not None
