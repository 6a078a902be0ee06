"""Is this process ready for traffic? The database answers and its schema is at the code's head.

For the orchestrator's readiness probe (`/readyz`); `/healthz` only says the process runs.
Reads no table but Alembic's version row, so it carries no patient data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from fit_platform.db import Database
from fit_platform.db.migrate import current_revisions, head_revisions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Readiness:
    database: bool
    migrations: bool

    @property
    def ready(self) -> bool:
        return self.database and self.migrations


def check_readiness(db: Database) -> Readiness:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            at_head = current_revisions(connection) == head_revisions()
    except SQLAlchemyError:
        log.warning("readiness: database unreachable", extra={"event": "not_ready"})
        return Readiness(database=False, migrations=False)
    if not at_head:
        log.warning("readiness: database schema not at head", extra={"event": "not_ready"})
    return Readiness(database=True, migrations=at_head)
