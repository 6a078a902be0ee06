"""An administrator transferring an episode is offered only the unit's other therapists: the
current responsible therapist is not a choice, a unit without anyone else says so instead of
showing the form, and a forged transfer to the same person is refused with a message."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import AdminAudit, Staff
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff, make_world
from tests.support.html import csrf_token, log_in

NOBODY_ELSE = "No other active therapist in this unit to transfer the episode to."


def _offered(page: str, episode_id: int) -> list[str]:
    """The names in the episode's "New responsible therapist" list."""
    select_html = re.search(
        rf'<select[^>]*name="transfer-{episode_id}-therapist"[^>]*>(.*?)</select>', page, re.S
    )
    return re.findall(r"<option[^>]*>([^<]*)</option>", select_html.group(1)) if select_html else []


def test_the_current_therapist_is_not_offered_and_a_lone_therapist_is_said_so(
    client: FlaskClient,
) -> None:
    db: Database = client.application.extensions["fit_db"]
    world = make_world(db)
    with db.session() as session:
        current = session.get_one(Staff, world.therapist_id).display_name
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    url = f"/admin/units/{world.unit_id}/episodes"
    alone = client.get(url + "?lang=en").get_data(as_text=True)
    assert NOBODY_ELSE in alone
    assert _offered(alone, world.episode_id) == []
    assert "Transfer episode" not in alone

    make_staff(db, (Role.THERAPIST, world.unit_id), name="Siri Successor")
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert _offered(page, world.episode_id) == ["Siri Successor"]
    assert current not in _offered(page, world.episode_id)
    assert NOBODY_ELSE not in page
    nb = client.get(url + "?lang=nb").get_data(as_text=True)
    assert "Overfør forløpet" in nb


def test_a_forged_transfer_to_the_same_therapist_is_refused_with_a_message(
    client: FlaskClient,
) -> None:
    db: Database = client.application.extensions["fit_db"]
    world = make_world(db)
    make_staff(db, (Role.THERAPIST, world.unit_id), name="Siri Successor")
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    url = f"/admin/units/{world.unit_id}/episodes"
    token = csrf_token(client.get(url).get_data(as_text=True))
    forged = client.post(
        f"{url}/{world.episode_id}/transfer?lang=en",
        data={"csrf_token": token, f"transfer-{world.episode_id}-therapist": world.therapist_id},
    )
    page = forged.get_data(as_text=True)
    assert forged.status_code == 422
    assert "This therapist is already responsible for the episode." in page
    # The page offers the others again, still without the current therapist.
    assert _offered(page, world.episode_id) == ["Siri Successor"]
    with db.session() as session:
        assert session.scalars(select(AdminAudit)).all() == []
