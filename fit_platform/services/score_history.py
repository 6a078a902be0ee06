"""Every score of an episode, per questionnaire: the page behind the pre-session view's tables.

The pre-session view shows the latest few scores of each questionnaire; this is the whole
history, for the therapist who wants to look further back. The same rule decides who may
read it (`visible_episodes`: own patients, or a unit lead's units), and reading it writes
one access-log row (`scores_view`). Five statements whatever the history (the episode with
the access check, the score columns, the changes of therapist, the languages the answers
were given in, the access-log INSERT), and one more per outcome questionnaire in the first
view after the service's bands were rebuilt. The languages let each questionnaire say when
some of its answers were given in a working translation, as the pre-session view says it of
the latest answers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import ItemAnswer, Response
from fit_platform.domain.codes import ResponseStatus, Role
from fit_platform.domain.instruments import Kind, default_instruments
from fit_platform.services.access_control import Viewer
from fit_platform.services.access_log import Action, record_access
from fit_platform.services.episode_transfers import transfer_times
from fit_platform.services.presession_queries import EPISODE, episode_read
from fit_platform.services.score_trends import (
    InstrumentTrend,
    bands_of_service,
    instrument_trend,
    scores_by_instrument,
)

# Each questionnaire's answer languages over the episode's submitted responses (one row per
# pair, whatever the history's length).
ANSWER_LANGUAGES = (
    select(Response.instrument_id, ItemAnswer.language)
    .join(ItemAnswer, ItemAnswer.response_id == Response.id)
    .where(Response.episode_id == EPISODE, Response.status == ResponseStatus.SUBMITTED)
    .distinct()
)


@dataclass(frozen=True)
class ScoreHistory:
    episode_id: int
    patient_name: str
    unit_name: str
    outcome: tuple[InstrumentTrend, ...]
    alliance: tuple[InstrumentTrend, ...]


def score_history(
    db: Database,
    viewer: Viewer,
    episode_id: int,
    *,
    language: str = "nb",
    now: dt.datetime,
) -> ScoreHistory | None:
    """All scores of an episode the viewer may see, else None (and nothing logged); logs the
    read as `scores_view`."""
    instruments = default_instruments()
    with db.transaction(now=now) as session:
        found = (
            session.connection()
            .execute(episode_read(viewer.staff_id, viewer.roles), {"episode_id": episode_id})
            .first()
        )
        if found is None:
            return None
        (
            _id,
            unit_id,
            _status,
            _started,
            _ended,
            patient_id,
            patient_name,
            *_consent,
            unit_name,
            is_mine,
        ) = found
        by_instrument = scores_by_instrument(session, episode_id)
        transfers = transfer_times(session, episode_id)
        service = bands_of_service(session, by_instrument, now)
        languages: dict[str, list[str]] = defaultdict(list)
        for instrument_id, answer_language in session.execute(
            ANSWER_LANGUAGES, {"episode_id": episode_id}
        ):
            if answer_language is not None:  # saved before answers kept their language
                languages[instrument_id].append(answer_language.value)
        record_access(
            session,
            staff_id=viewer.staff_id,
            role=Role.THERAPIST if is_mine else Role.UNIT_LEAD,
            patient_id=patient_id,
            unit_id=unit_id,
            action=Action.SCORES_VIEW,
            now=now,
        )
    trends = [
        instrument_trend(
            instruments[iid], rows, {}, language, service.get(iid), languages[iid], transfers
        )
        for iid, rows in sorted(by_instrument.items())
        if iid in instruments
    ]
    return ScoreHistory(
        episode_id=episode_id,
        patient_name=patient_name,
        unit_name=unit_name,
        outcome=tuple(t for t in trends if t.instrument.kind is Kind.OUTCOME),
        alliance=tuple(t for t in trends if t.instrument.kind is Kind.ALLIANCE),
    )
