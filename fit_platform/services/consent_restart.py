"""A therapist records that the patient wants questionnaires again, after a stop or a pause.

The patient's pages tell a patient who stopped to "tell your therapist" if she wants to start
again, and a paused one can ask the same. Without a link she cannot do it herself: a stopped
patient gets no new links, and old link tokens are deleted some weeks after they expire
(`FIT_RETENTION_LINK_TOKEN_DAYS`). So the therapist records it for her.

Only a therapist of the episode (a unit lead reads, and does not act for the patient), only
while the episode is open, with one access-log row. The consent event is the patient's wish
given to the therapist, so it is recorded as the staff member's (actor staff, with their id)
and the consent history says who recorded it. A stop becomes a restart and a pause a resume,
with what the consent service does for either (`services/consent.py`: questionnaires
cancelled by the stop or the pause that are still open come back, and the scheduler plans the
next ones).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fit_platform.db import Database
from fit_platform.db.models import Patient
from fit_platform.domain.codes import Actor, ConsentEventKind, ConsentState
from fit_platform.domain.send_window import DEFAULT_MIN_ANSWER_WINDOW
from fit_platform.services.access_control import treating_episode
from fit_platform.services.consent import ConsentChange, apply_consent_change

RESTART_ACTION = "consent_restart"  # the access-log code (services/access_log.py)
# What starts questionnaires again from each state; an active patient has nothing to start.
_AGAIN = {
    ConsentState.STOPPED: ConsentEventKind.RESTARTED,
    ConsentState.PAUSED: ConsentEventKind.RESUMED,
}


class RestartNotFound(LookupError):
    """Not an episode of this therapist (or no such episode): the page is a 404."""


@dataclass(frozen=True)
class Restarted:
    """What was recorded, and how many questionnaires the stop or pause had cancelled are
    open again (on the links she already has, or sent at their own time)."""

    kind: ConsentEventKind
    reopened: int


def restart_feedback(
    db: Database,
    *,
    staff_id: int,
    episode_id: int,
    now: dt.datetime,
    zone: ZoneInfo,
    min_window: dt.timedelta = DEFAULT_MIN_ANSWER_WINDOW,
) -> Restarted | None:
    """Record the patient's wish for questionnaires again: RESTARTED after a stop, RESUMED
    during a pause; None when her feedback is already on (nothing recorded). Raises
    `RestartNotFound`, or `EpisodeClosed` for an ended episode."""
    with db.transaction(now=now) as session:
        episode = treating_episode(
            session, staff_id, episode_id, action=RESTART_ACTION, now=now, change=True
        )
        if episode is None:
            raise RestartNotFound(episode_id)
        kind = _AGAIN.get(session.get_one(Patient, episode.patient_id).consent_state)
        if kind is None:
            return None
        result = apply_consent_change(
            session,
            episode.patient_id,
            ConsentChange(kind),
            now=now,
            actor=Actor.STAFF,
            staff_id=staff_id,
            zone=zone,
            min_window=min_window,
        )
    return Restarted(kind, result.reopened_invitations)
