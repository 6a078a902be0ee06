"""On the admin Instruments page the test form VAS-demo (made-up items, no publication) is
refused as a test form, not as a draft "not yet checked against the publication" (it has none);
the SAI, a real draft, keeps that reason. The note on the content and the licence are the
definition file's own English words: on a nb/nn page they are marked lang="en" after a lead-in
in the page's language."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff, make_world
from tests.support.html import csrf_token, log_in


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _section(html: str, instrument_id: str) -> str:
    found = re.search(rf'<h3 id="instrument-{instrument_id}">.*?</section>', html, re.S)
    assert found is not None
    return found.group(0)


def test_the_test_form_is_refused_as_a_test_form_and_file_texts_are_marked_english(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    page = client.get("/admin/instruments?lang=nb").get_data(as_text=True)

    vas = _section(page, "vas_demo")
    assert "Nei: dette er et testskjema med oppdiktede spørsmål" in vas
    assert "kontrollert mot publikasjonen" not in vas
    assert "kontrollert mot publikasjonen" in _section(page, "sai")
    assert 'På engelsk, slik det står i definisjonsfilen:</span> <span lang="en">Made-up' in vas
    assert vas.count("På engelsk, slik det står i definisjonsfilen:") == 2  # note and licence

    english = client.get("/admin/instruments?lang=en").get_data(as_text=True)
    assert "In English, as the definition file has it" not in english

    refused = client.post(
        f"/admin/instruments/units/{world.unit_id}/vas_demo?lang=nn",
        data={"csrf_token": csrf_token(page), "enabled": "1"},
        follow_redirects=True,
    )
    assert "Eit testskjema kan ikkje slåast på" in refused.get_data(as_text=True)
