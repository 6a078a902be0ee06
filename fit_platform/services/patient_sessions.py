"""Ending a patient's browser sessions on the server.

A patient has no account: a browser is let in by the link it opened (and, for 30 minutes
after a questionnaire, a one-time code or an ID-porten login, by a progress grant), both kept
in the encrypted cookie with the patient's session generation at that moment. Counting the
generation up ends every such cookie at once, copies included: the link read that every
patient page starts with (`services/link_context.py`) brings the current number back in the
same statement, so checking it costs nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select, update

from fit_platform.db import Database
from fit_platform.db.models import Patient

log = logging.getLogger(__name__)


def end_patient_sessions(db: Database, patient_id: int, now: dt.datetime) -> int:
    """End every browser session of the patient (logging out, finishing a questionnaire);
    returns the new generation, which the browser that asked carries on with if it goes on.
    Logs the patient id only."""
    with db.transaction(now=now) as session:
        generation = session.scalar(
            update(Patient)
            .where(Patient.id == patient_id)
            .values(session_generation=Patient.session_generation + 1)
            .returning(Patient.session_generation)
        )
    log.info("patient sessions ended", extra={"patient_id": patient_id})
    return int(generation or 0)


def session_generation(db: Database, patient_id: int) -> int | None:
    """The patient's current session generation (None: no such patient), for a progress
    grant given without a link (ID-porten) and checked without one."""
    with db.reading() as connection:
        return connection.scalar(select(Patient.session_generation).where(Patient.id == patient_id))
