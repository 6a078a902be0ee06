"""Probes for the orchestrator: `/readyz` (may this process take traffic?)."""

from __future__ import annotations

from flask import Blueprint

from fit_platform.extensions import get_db
from fit_platform.services.readiness import check_readiness

bp = Blueprint("ops", __name__)


@bp.route("/readyz")
def ready() -> tuple[dict[str, str], int]:
    """200 when the database answers and its schema is at the code's head, else 503 (the
    orchestrator then sends no traffic here; a migration not yet run shows up as 503)."""
    state = check_readiness(get_db())
    body = {
        "status": "ready" if state.ready else "not ready",
        "database": "ok" if state.database else "unreachable",
        "migrations": "at head" if state.migrations else "not at head",
    }
    return body, 200 if state.ready else 503
