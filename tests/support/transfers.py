"""An administrator's transfer of an episode to another therapist, through the admin page's
form, as the tests that follow a change of therapist make it."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff
from tests.support.html import csrf_token, log_in


def logged_in_admin(app: Flask, db: Database) -> FlaskClient:
    admin = app.test_client()
    log_in(admin, make_staff(db, (Role.ADMIN, None)).username, PASSWORD)
    return admin


def transfer(admin: FlaskClient, *, unit_id: int, episode_id: int, to_staff_id: int) -> None:
    """Transfer the episode on the unit's episodes page (the form's own CSRF token)."""
    episodes = f"/admin/units/{unit_id}/episodes"
    page = admin.get(episodes).get_data(as_text=True)
    moved = admin.post(
        f"{episodes}/{episode_id}/transfer",
        data={"csrf_token": csrf_token(page), f"transfer-{episode_id}-therapist": str(to_staff_id)},
    )
    assert moved.status_code == 302, moved.get_data(as_text=True)[:500]
