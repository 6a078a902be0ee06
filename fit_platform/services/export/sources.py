"""Where the export's counts come from: the summary of closed history (per episode and month,
up to the watermark) plus the rows after the watermark, read live.

A row is in the summary when it is before the watermark in time *and* in id
(:class:`fit_platform.db.models.ExportSummaryState`); every other row is read here from its
table, in two index-friendly parts: after the watermark in time, and before it in time but
added after the summary was built (a history import). The two sets never overlap, so nothing
is counted twice, and without a summary the watermark reads as "nothing summarised" and
every row is read live. Each statement reads the watermark itself (a scalar subquery), so the
summary and the watermark it pairs with always come from the same snapshot, even while the
scheduler rebuilds the summary."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Integer, Subquery, func, literal, select, union_all

from fit_platform.db.base import UTCDateTime
from fit_platform.db.models import (
    ExportSummaryState,
    Invitation,
    InvitationMonth,
    Response,
    ResponseMonth,
)
from fit_platform.domain.codes import ResponseStatus

# The watermark when nothing has been summarised: earlier than any row.
NOTHING_SUMMARISED = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
STATE_ID = 1


def _state(column: Any) -> Any:
    return select(column).where(ExportSummaryState.id == STATE_ID).scalar_subquery()


def summarised_through() -> ColumnElement[dt.datetime]:
    return func.coalesce(
        _state(ExportSummaryState.through), literal(NOTHING_SUMMARISED, UTCDateTime())
    )


def _summarised_id(column: Any) -> ColumnElement[int]:
    return func.coalesce(_state(column), literal(0, Integer))


def scored() -> tuple[ColumnElement[bool], ...]:
    """A response the export counts; the same condition as the partial indexes
    ``ix_response_scored*`` (models/responses.py SCORED), so the planner can use them."""
    return (
        Response.status == ResponseStatus.SUBMITTED,
        Response.scorable.is_(True),
        Response.total.is_not(None),
    )


def _live(
    time: Any, row_id: Any, id_max: Any, since: dt.datetime | None, until: dt.datetime
) -> tuple[tuple[ColumnElement[bool], ...], tuple[ColumnElement[bool], ...]]:
    """The conditions of the two live parts: after the watermark in time; before it in time
    but after it in id."""
    through = summarised_through()
    lower = () if since is None else (time >= since,)
    return (
        (*lower, time >= through, time < until),
        (*lower, time < through, time < until, row_id > _summarised_id(id_max)),
    )


def invitation_states(r: Any) -> Subquery:
    """Invitations due in [since, until): (episode, period, state, reason) with the number of
    invitations and of those sent; several rows may share a key (summary and live parts)."""
    month = InvitationMonth
    summary = (
        select(
            month.episode_id,
            r.start(month.month).label("period"),
            month.state,
            month.non_response_reason.label("reason"),
            func.sum(month.invitations).label("invitations"),
            func.sum(month.sent).label("sent"),
        )
        .where(month.month >= r.since, month.month < r.until)
        .group_by(month.episode_id, r.start(month.month), month.state, month.non_response_reason)
    )
    due = r.start(Invitation.due_at)
    parts = [summary]
    for conditions in _live(
        Invitation.due_at, Invitation.id, ExportSummaryState.invitation_id_max, r.since, r.until
    ):
        parts.append(
            select(
                Invitation.episode_id,
                due.label("period"),
                Invitation.state,
                Invitation.non_response_reason.label("reason"),
                func.count().label("invitations"),
                func.count(Invitation.sent_at).label("sent"),
            )
            .where(*conditions)
            .group_by(Invitation.episode_id, due, Invitation.state, Invitation.non_response_reason)
        )
    return union_all(*parts).subquery("invitation_states")


def alliance_sums(r: Any, alliance_ids: list[str]) -> Subquery:
    """Alliance scores submitted in [since, until): (instrument, episode, period) with the sum
    of the totals and the number of scores; several rows may share a key."""
    month = ResponseMonth
    summary = (
        select(
            month.instrument_id,
            month.episode_id,
            r.start(month.month).label("period"),
            func.sum(month.total_sum).label("total"),
            func.sum(month.responses).label("responses"),
        )
        .where(month.instrument_id.in_(alliance_ids), month.month >= r.since, month.month < r.until)
        .group_by(month.instrument_id, month.episode_id, r.start(month.month))
    )
    period = r.start(Response.submitted_at)
    parts = [summary]
    for conditions in _live(
        Response.submitted_at, Response.id, ExportSummaryState.response_id_max, r.since, r.until
    ):
        parts.append(
            select(
                Response.instrument_id,
                Response.episode_id,
                period.label("period"),
                func.sum(Response.total).label("total"),
                func.count().label("responses"),
            )
            .where(*scored(), Response.instrument_id.in_(alliance_ids), *conditions)
            .group_by(Response.instrument_id, Response.episode_id, period)
        )
    return union_all(*parts).subquery("alliance_sums")


def outcome_segments(until: dt.datetime, outcome_ids: list[str]) -> Subquery:
    """Outcome scores submitted before ``until`` as segments of an episode's history on an
    instrument: a summarised month (its first and last score and how many) or one live score
    (first and last the same, one score). A history import can put a live score inside a
    summarised month, so segments may overlap in time: the first and the latest score are
    found by ordering on the segments' first and on their last score separately."""
    month = ResponseMonth
    summary = select(
        month.episode_id,
        month.instrument_id,
        month.first_at,
        month.first_id,
        month.first_total,
        month.last_at,
        month.last_id,
        month.last_total,
        month.responses.label("scores"),
    ).where(month.instrument_id.in_(outcome_ids), month.month < until)
    parts: list[Any] = [summary]
    for conditions in _live(
        Response.submitted_at, Response.id, ExportSummaryState.response_id_max, None, until
    ):
        parts.append(
            select(
                Response.episode_id,
                Response.instrument_id,
                Response.submitted_at,
                Response.id,
                Response.total,
                Response.submitted_at,
                Response.id,
                Response.total,
                literal(1, Integer),
            ).where(*scored(), Response.instrument_id.in_(outcome_ids), *conditions)
        )
    return union_all(*parts).subquery("outcome_segments")
