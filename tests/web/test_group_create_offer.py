""" "Create a group" is offered only where it can succeed.

In the demo no unit had a group form, yet the groups list offered "Create a group" and the
link ended at "... has no group form enabled". Now the list page and the unit chooser link only
units with a group form enabled and say, in one sentence, what the administrator must do for
the others. The administrator switches the (test-only) group form off for one unit through
the Instruments page; its therapist then sees the sentence and no link, while the therapist
of the other unit still gets the link straight to the form.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fit_platform.domain.codes import Role, UnitKind
from fit_platform.domain.instruments import configure_extra_dirs
from tests.conftest import make_test_app
from tests.support.factories import PASSWORD, make_staff, make_unit
from tests.support.html import csrf_token, log_in

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "instruments_test_only"
SENTENCE = "No group can be created in {} yet: it needs a licensed group form"


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = make_test_app(database_url, tmp_path / "instance", instruments_dir=FIXTURES)
    yield application
    application.extensions["fit_db"].dispose()
    configure_extra_dirs([])


def test_create_a_group_is_offered_only_for_a_unit_with_a_group_form(
    app: Flask, client: FlaskClient
) -> None:
    db = app.extensions["fit_db"]
    with_form = make_unit(db, UnitKind.DAY_PROGRAMME)
    without = make_unit(db, UnitKind.DAY_PROGRAMME)
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    page = client.get("/admin/instruments?lang=en").get_data(as_text=True)
    switched = client.post(
        f"/admin/instruments/units/{without.id}/gsrs",
        data={"csrf_token": csrf_token(page), "enabled": "0"},
    )
    assert switched.status_code == 302

    admin_list = client.get("/groups/?lang=en").get_data(as_text=True)
    assert SENTENCE.format(without.name) in admin_list
    # The administrator enables a loaded form; a file only whoever runs the service adds.
    assert "Enable it on the Instruments page; if it is not listed there, whoever runs" in (
        admin_list
    )
    assert "an administrator must first load" not in admin_list
    assert f'href="/groups/new?unit={with_form.id}"' in admin_list
    assert f"unit={without.id}" not in admin_list

    ready = make_staff(db, (Role.THERAPIST, with_form.id))
    ready_client = app.test_client()
    log_in(ready_client, ready.username, PASSWORD)
    page = ready_client.get("/groups/?lang=en").get_data(as_text=True)
    assert f'href="/groups/new?unit={with_form.id}">Create a group</a>' in page
    assert "No group can be created" not in page
    form = ready_client.get(f"/groups/new?unit={with_form.id}&lang=en").get_data(as_text=True)
    assert "Create the group" in form

    waiting = make_staff(db, (Role.THERAPIST, without.id))
    waiting_client = app.test_client()
    log_in(waiting_client, waiting.username, PASSWORD)
    page = waiting_client.get("/groups/?lang=nb").get_data(as_text=True)
    assert "/groups/new" not in page
    assert f"Ingen gruppe kan opprettes i {without.name} ennå" in page
    # "Behandler", as on every other staff page, not "terapeut".
    assert "ser bare medlemmets egen behandler" in page

    # Two units without a form: their names (which may hold commas) are a list.
    also_without = make_unit(db, UnitKind.DAY_PROGRAMME)
    page = client.get("/admin/instruments?lang=en").get_data(as_text=True)
    client.post(
        f"/admin/instruments/units/{also_without.id}/gsrs",
        data={"csrf_token": csrf_token(page), "enabled": "0"},
    )
    for path in ("/groups/?lang=en", "/groups/new?lang=en"):
        page = client.get(path).get_data(as_text=True)
        assert "No group can be created yet in these units" in page
        first, second = sorted([without.name, also_without.name])
        assert f"<li>{first}</li><li>{second}</li>" in page
        assert f"unit={with_form.id}" in page and f"unit={also_without.id}" not in page
