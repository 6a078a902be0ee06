"""An administrator closes an episode through the unit's episodes page, as the tests of what
follows a close (the patient's pages, the therapist's lists, a returning patient) begin."""

from __future__ import annotations

from flask import Flask

from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, World, make_staff
from tests.support.html import csrf_token, log_in


def close_as_admin(app: Flask, world: World, *, risk_followed_up: bool = False) -> None:
    """A new administrator logs in and closes `world`'s episode; `risk_followed_up` ticks the
    box the page asks for when a risk answer is unacknowledged (ignored elsewhere)."""
    client = app.test_client()
    log_in(client, make_staff(app.extensions["fit_db"], (Role.ADMIN, None)).username, PASSWORD)
    url = f"/admin/units/{world.unit_id}/episodes"
    data = {"csrf_token": csrf_token(client.get(url).get_data(as_text=True))}
    if risk_followed_up:
        data[f"close-{world.episode_id}-risk_followed_up"] = "y"
    response = client.post(f"{url}/{world.episode_id}/close", data=data)
    assert response.status_code == 302
