"""Whose patient it is: an episode's responsible therapists by name, for a unit lead.

A lead reads the unit's patients and is shown a risk signal nobody acknowledged in time; to
follow up, the lead must know with whom. The caseload names them in the lead's rows and in the
list of overdue risk signals, and the pre-session view names them when a lead opens it. The
therapist's own pages leave them out (it is their own patient).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db.models import EpisodeTherapist, Staff


def responsible_names(session: Session, episode_ids: Collection[int]) -> dict[int, tuple[str, ...]]:
    """Each episode's active responsible therapists' names, in name order, in one query; an
    episode with none is left out (the page says so: a deactivated account reads nothing, and
    the lead's caseload lists such a patient as having no active therapist)."""
    names: dict[int, list[str]] = defaultdict(list)
    if episode_ids:
        for episode_id, name in session.execute(
            select(EpisodeTherapist.episode_id, Staff.display_name)
            .join(Staff, Staff.id == EpisodeTherapist.staff_id)
            .where(
                EpisodeTherapist.episode_id.in_(episode_ids),
                EpisodeTherapist.responsible.is_(True),
                Staff.is_active.is_(True),
            )
            .order_by(Staff.display_name)
        ):
            names[episode_id].append(name)
    return {episode_id: tuple(found) for episode_id, found in names.items()}
