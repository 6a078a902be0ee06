"""Where the export's counts come from: the summary of closed history (per episode and month,
up to the watermark) plus the rows after the watermark, read live.

A row is in the summary when it is before the watermark in time *and* in id
(:class:`fit_platform.db.models.ExportSummaryState`); every other row is read here from its
table, in two index-friendly parts: after the watermark in time, and before it in time but
added after the summary was built (a history import). The two sets never overlap, so nothing
is counted twice, and without a summary the watermark reads as "nothing summarised" and
every row is read live.

The summary and the watermark it pairs with must come from one snapshot, even while the
scheduler rebuilds the summary. On PostgreSQL the export reads the watermark as the first
statement of a repeatable-read transaction (:func:`.queries._begin`) and the statements carry
it as values, which lets the planner see that almost nothing is after it. Elsewhere
(``watermark`` None) each statement reads it itself, in scalar subqueries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, Subquery, func, literal, select, union_all

from fit_platform.db.base import UTCDateTime
from fit_platform.db.models import (
    ExportSummaryState,
    Invitation,
    InvitationMonth,
    Response,
    ResponseMonth,
    ResponseSpan,
)
from fit_platform.domain.codes import ResponseStatus

# The watermark when nothing has been summarised: earlier than any row.
NOTHING_SUMMARISED = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
STATE_ID = 1


@dataclass(frozen=True)
class Watermark:
    """The summary's watermark as read at the start of the export's transaction."""

    through: dt.datetime
    invitation_id_max: int
    response_id_max: int


def _state(column: Any) -> Any:
    return select(column).where(ExportSummaryState.id == STATE_ID).scalar_subquery()


def _through(watermark: Watermark | None) -> Any:
    if watermark is not None:
        return watermark.through
    return func.coalesce(
        _state(ExportSummaryState.through), literal(NOTHING_SUMMARISED, UTCDateTime())
    )


def _id_max(watermark: Watermark | None, column: Any) -> Any:
    if watermark is not None:
        return getattr(watermark, column.key)
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
    watermark: Watermark | None,
    time: Any,
    row_id: Any,
    id_max: Any,
    since: dt.datetime | None,
    until: dt.datetime,
) -> list[tuple[Any, ...]]:
    """The conditions of the live parts: after the watermark in time; before it in time but
    after it in id. With the watermark's values, a part that cannot hold a row is left out."""
    through = _through(watermark)
    lower = () if since is None else (time >= since,)
    after = (*lower, time >= through, time < until)
    behind = (*lower, time < through, time < until, row_id > _id_max(watermark, id_max))
    if watermark is None:
        return [after, behind]
    parts = [after] if watermark.through < until else []
    if since is None or watermark.through > since:
        parts.append(behind)
    return parts


def invitation_states(r: Any) -> Subquery:
    """Invitations due in [since, until): (episode, period, state, reason) with the number of
    invitations and of those sent; several rows may share a key (summary and live parts)."""
    # The summary's rows as they are (the next step groups by episode and period anyway).
    month = InvitationMonth
    summary = select(
        month.episode_id,
        r.start(month.month).label("period"),
        month.state,
        month.non_response_reason.label("reason"),
        month.invitations,
        month.sent,
    ).where(month.month >= r.since, month.month < r.until)
    due = r.start(Invitation.due_at)
    parts = [summary]
    for conditions in _live(
        r.watermark,
        Invitation.due_at,
        Invitation.id,
        ExportSummaryState.invitation_id_max,
        r.since,
        r.until,
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
    summary = select(
        month.instrument_id,
        month.episode_id,
        r.start(month.month).label("period"),
        month.total_sum.label("total"),
        month.responses,
    ).where(month.instrument_id.in_(alliance_ids), month.month >= r.since, month.month < r.until)
    period = r.start(Response.submitted_at)
    parts = [summary]
    for conditions in _live(
        r.watermark,
        Response.submitted_at,
        Response.id,
        ExportSummaryState.response_id_max,
        r.since,
        r.until,
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


def outcome_segments(r: Any, outcome_ids: list[str]) -> Subquery:
    """Outcome scores submitted before ``until`` as segments of an episode's history on an
    instrument, each with its first and last score and how many: all of an episode's
    summarised scores on the instrument (its span) when the last of them is before ``until``,
    the usual case, so one row per episode and instrument; else its summarised months before
    ``until``; and each live score. A history import can put a live score inside a
    summarised month, so segments may overlap in time: the first and the latest score are
    found by ordering on the segments' first and on their last score separately."""
    until = r.until
    span, month = ResponseSpan, ResponseMonth

    def segment(table: Any) -> list[Any]:
        return [
            table.episode_id,
            table.instrument_id,
            table.first_at,
            table.first_id,
            table.first_total,
            table.last_at,
            table.last_id,
            table.last_total,
            table.responses.label("scores"),
        ]

    whole = select(*segment(span)).where(span.instrument_id.in_(outcome_ids), span.last_at < until)
    months = (
        select(*segment(month))
        .join(
            span,
            (span.episode_id == month.episode_id) & (span.instrument_id == month.instrument_id),
        )
        .where(span.instrument_id.in_(outcome_ids), span.last_at >= until, month.month < until)
    )
    parts: list[Any] = [whole, months]
    for conditions in _live(
        r.watermark,
        Response.submitted_at,
        Response.id,
        ExportSummaryState.response_id_max,
        None,
        until,
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
