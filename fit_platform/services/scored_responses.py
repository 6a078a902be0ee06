"""Storing a score with its response: the one place that copies a `ScoreResult` onto a row.

The score is stored with the instrument version whose rule produced it, so a later change to
a definition never silently rewrites what a therapist saw.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from fit_platform.db.models import ItemAnswer, Response
from fit_platform.domain.codes import Language, ResponseStatus
from fit_platform.domain.instruments import Instrument
from fit_platform.domain.scoring import ScoreResult, score

ScoreRow = tuple[int, str, dt.datetime | None, float | None, str | None]


def apply_score(
    response: Response, instrument: Instrument, answers: Mapping[str, float | None]
) -> ScoreResult:
    """Score `answers` by the instrument's published rule and record the result on `response`."""
    result = score(instrument, answers)
    response.scoring_version = instrument.version
    response.scorable = result.scorable
    response.total = result.total
    response.band = result.band
    response.risk = result.risk
    response.score_details = result.to_dict()
    return result


def add_scored_response(
    session: Session,
    *,
    episode_id: int,
    instrument: Instrument,
    answers: Mapping[str, float | None],
    when: dt.datetime,
    language: Language = Language.BOKMAAL,
) -> Response:
    """A submitted response with its item answers and score (history imports, demo, tests)."""
    response = Response(
        episode_id=episode_id,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        language=language,
        status=ResponseStatus.SUBMITTED,
        started_at=when,
        submitted_at=when,
    )
    apply_score(response, instrument, answers)
    response.answers = [
        ItemAnswer(link_id=link_id, value=value, answered_at=when, language=language)
        for link_id, value in answers.items()
    ]
    session.add(response)
    session.flush()
    return response


# The submitted scores of one episode, oldest first: (id, instrument id, submitted at, total,
# band). Built once per process: building the select cost more than running it.
SUBMITTED_SCORES = (
    select(
        Response.id,
        Response.instrument_id,
        Response.submitted_at,
        Response.total,
        Response.band,
    )
    .where(
        Response.episode_id == bindparam("episode_id"),
        Response.status == ResponseStatus.SUBMITTED,
    )
    .order_by(Response.submitted_at, Response.id)
)


def submitted_scores(session: Session, episode_id: int) -> Sequence[Row[*ScoreRow]]:
    """(id, instrument id, submitted at, total, band) of an episode's submitted responses,
    oldest first, in one query (the therapist's and the patient's views both start here)."""
    return session.execute(SUBMITTED_SCORES, {"episode_id": episode_id}).all()
