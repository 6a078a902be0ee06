"""Building the export's summary of closed history (the scheduler's `export_summary` job).

Invitations and scored responses are counted per episode and calendar month (UTC) up to a
watermark, so the export reads a few rows per episode and month instead of every invitation
and response (:mod:`.sources` reads them together with the rows after the watermark). Only
history that no longer changes is summarised:

- the watermark is a month start at least two days in the past (a response is stored with
  the time it was submitted, so a score is never added before it later) and never after the
  due month of an invitation still open (scheduled, sent or opened, or cancelled by a pause or
  stop while its window is open: starting again reopens it): every invitation before it is in a
  final state, and a final state does not change again;
- only rows up to the highest ids at the start are summarised, read after a moment's share
  lock on PostgreSQL, so no row with a lower id is still being written. A row added later with
  an earlier time (a history import) is read live by the export and makes the next run
  rebuild the summary;
- erasing a patient's feedback deletes the summary of their responses with the responses
  (services/patient_data.py), and deleting an episode deletes its summary (foreign keys).

Each run adds the months between the old and the new watermark (and makes the spans, one row
per episode and instrument, again from the months); it rebuilds everything when
a row arrived behind the watermark or the watermark moved back (an imported open invitation,
or one reopened by a restart before this rule held it back). Everything happens in one
transaction, and the export reads the watermark in the same statement as the summary, so it
never sees half a run. Idempotent: a second run in the same month does nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    ExportSummaryState,
    Invitation,
    InvitationMonth,
    Response,
    ResponseMonth,
    ResponseSpan,
)
from fit_platform.domain.codes import InvitationState
from fit_platform.services.export.sources import STATE_ID, scored
from fit_platform.services.invitation_common import CONSENT_CANCELLATIONS

log = logging.getLogger(__name__)

# How long after a month ends it may be summarised at the earliest: longer than any write in
# progress takes, so no answer submitted at that time can still arrive.
SETTLE = dt.timedelta(days=2)
OPEN_STATES = (InvitationState.SCHEDULED, InvitationState.SENT, InvitationState.OPENED)
# How long the job waits for writers to finish before it tries again on its next run (new
# writers queue behind it meanwhile, so short; the lock is only taken when there is work).
LOCK_TIMEOUT = "2s"


@dataclass(frozen=True)
class SummaryRun:
    """What a run did: `through` the watermark after it (None when skipped), and whether
    everything was rebuilt or only the months since the last run added."""

    through: dt.datetime | None
    rebuilt: bool = False
    added_months: bool = False


def month_start(moment: dt.datetime) -> dt.datetime:
    moment = moment.astimezone(dt.UTC)
    return dt.datetime(moment.year, moment.month, 1, tzinfo=dt.UTC)


def refresh_export_summary(db: Database, now: dt.datetime) -> SummaryRun:
    """Bring the summary up to the latest closed month (the scheduler's `export_summary`
    job: at the scheduler's start, then hourly). Logs one line with the watermark and what
    it did; never any patient data."""
    # Most runs find nothing to do: they find it without the lock below.
    with db.session(now=now) as session:
        state = session.get(ExportSummaryState, STATE_ID)
        if state is not None:
            invitation_max, response_max = _max_ids(session)
            through = _watermark(session, now, invitation_max)
            if through == state.through and not _late_rows(
                session, state, invitation_max, response_max
            ):
                return SummaryRun(through)
    id_max = _settled_ids(db)
    if id_max is None:
        log.info("export summary skipped: writers busy", extra={"event": "export_summary"})
        return SummaryRun(None)
    invitation_max, response_max = id_max
    with db.transaction(now=now) as session:
        state = session.get(ExportSummaryState, STATE_ID, with_for_update=True)
        through = _watermark(session, now, invitation_max)
        rebuild = (
            state is None
            or through < state.through
            or _late_rows(session, state, invitation_max, response_max)
        )
        if not rebuild and state is not None and through == state.through:
            return SummaryRun(through)
        if rebuild:
            session.execute(delete(InvitationMonth))
            session.execute(delete(ResponseMonth))
            since = None
        else:
            assert state is not None
            since = state.through
        dialect = db.dialect
        session.execute(_invitation_months(dialect, since, through, invitation_max))
        session.execute(_response_months(dialect, since, through, response_max))
        # The spans are a row per episode and instrument: made again from the months.
        session.execute(delete(ResponseSpan))
        session.execute(_response_spans())
        if dialect == "postgresql":
            # Fresh statistics now, not at autovacuum's next visit: the export's plans
            # depend on how many summary rows there are.
            session.execute(
                text("ANALYZE export_invitation_month, export_response_month, export_response_span")
            )
        if state is None:
            state = ExportSummaryState(id=STATE_ID)
            session.add(state)
        state.through, state.built_at = through, now
        state.invitation_id_max, state.response_id_max = invitation_max, response_max
    run = SummaryRun(through, rebuilt=rebuild, added_months=not rebuild)
    log.info(
        "export summary brought up to date",
        extra={
            "event": "export_summary",
            "through": through.isoformat(),
            "rebuilt": rebuild,
            "invitation_id_max": invitation_max,
            "response_id_max": response_max,
        },
    )
    return run


def _settled_ids(db: Database) -> tuple[int, int] | None:
    """The highest invitation and response ids, once no transaction is still writing a lower
    one. On PostgreSQL a transaction takes its id when it inserts, under a lock on the table
    that a SHARE lock waits for; SQLite has one writer at a time, which commits in id order."""
    with db.transaction() as session:
        if db.dialect == "postgresql":
            session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            try:
                session.execute(text("LOCK TABLE invitation, response IN SHARE MODE"))
            except OperationalError:
                session.rollback()
                return None
        return _max_ids(session)


def _max_ids(session: Session) -> tuple[int, int]:
    invitation_max = session.scalar(select(func.coalesce(func.max(Invitation.id), 0)))
    response_max = session.scalar(select(func.coalesce(func.max(Response.id), 0)))
    return int(invitation_max or 0), int(response_max or 0)


def _watermark(session: Session, now: dt.datetime, invitation_max: int) -> dt.datetime:
    through = month_start(now - SETTLE)
    # Open: waiting for an answer, or cancelled by a pause or stop with its window still open
    # (a restart reopens it).
    earliest_open = session.scalar(
        select(func.min(Invitation.due_at)).where(
            or_(
                Invitation.state.in_(OPEN_STATES),
                and_(
                    Invitation.state == InvitationState.CANCELLED,
                    Invitation.non_response_reason.in_(CONSENT_CANCELLATIONS),
                    Invitation.expires_at > now,
                ),
            ),
            Invitation.id <= invitation_max,
        )
    )
    if earliest_open is not None:
        through = min(through, month_start(earliest_open))
    return through


def _late_rows(
    session: Session, state: ExportSummaryState, invitation_max: int, response_max: int
) -> bool:
    """Whether a row arrived behind the watermark since the last run (a history import)."""
    late_invitation = exists().where(
        Invitation.id > state.invitation_id_max,
        Invitation.id <= invitation_max,
        Invitation.due_at < state.through,
    )
    late_response = exists().where(
        *scored(),
        Response.id > state.response_id_max,
        Response.id <= response_max,
        Response.submitted_at < state.through,
    )
    return bool(session.scalar(select(late_invitation | late_response)))


def _month(dialect: str, column: Any) -> Any:
    """The UTC month start of a timestamp column, stored as the column type stores it."""
    if dialect == "postgresql":
        utc: Any = literal_column("'UTC'")
        return func.timezone(
            utc, func.date_trunc(literal_column("'month'"), func.timezone(utc, column))
        )
    # SQLAlchemy's SQLite format for a timestamp, so comparisons with bound values hold.
    return func.strftime("%Y-%m-01 00:00:00.000000", column)


def _invitation_months(
    dialect: str, since: dt.datetime | None, through: dt.datetime, id_max: int
) -> Any:
    month = _month(dialect, Invitation.due_at)
    lower = () if since is None else (Invitation.due_at >= since,)
    counted = (
        select(
            Invitation.episode_id,
            month,
            Invitation.state,
            Invitation.non_response_reason,
            func.count(),
            func.count(Invitation.sent_at),
        )
        .where(*lower, Invitation.due_at < through, Invitation.id <= id_max)
        .group_by(Invitation.episode_id, month, Invitation.state, Invitation.non_response_reason)
    )
    t = InvitationMonth
    return insert(t).from_select(
        ["episode_id", "month", "state", "non_response_reason", "invitations", "sent"], counted
    )


def _response_months(
    dialect: str, since: dt.datetime | None, through: dt.datetime, id_max: int
) -> Any:
    """One window pass in (episode, instrument, month, time, id) order gives each month's
    count, sum, first and last score; the first row of each month is kept."""
    month = _month(dialect, Response.submitted_at)
    partition = (Response.episode_id, Response.instrument_id, month)
    order = (Response.submitted_at, Response.id)

    def over(function: Any) -> Any:
        return function.over(partition_by=partition, order_by=order, rows=(None, None))

    lower = () if since is None else (Response.submitted_at >= since,)
    windowed = (
        select(
            Response.episode_id,
            Response.instrument_id,
            month.label("month"),
            over(func.count()).label("responses"),
            over(func.sum(Response.total)).label("total_sum"),
            over(func.first_value(Response.submitted_at)).label("first_at"),
            over(func.first_value(Response.id)).label("first_id"),
            over(func.first_value(Response.total)).label("first_total"),
            over(func.last_value(Response.submitted_at)).label("last_at"),
            over(func.last_value(Response.id)).label("last_id"),
            over(func.last_value(Response.total)).label("last_total"),
            over(func.row_number()).label("position"),
        )
        .where(*scored(), *lower, Response.submitted_at < through, Response.id <= id_max)
        .subquery()
    )
    w = windowed.c
    columns = [
        "episode_id",
        "instrument_id",
        "month",
        "responses",
        "total_sum",
        "first_at",
        "first_id",
        "first_total",
        "last_at",
        "last_id",
        "last_total",
    ]
    kept = select(*(w[name] for name in columns)).where(w.position == literal_column("1", Integer))
    return insert(ResponseMonth).from_select(columns, kept)


def _response_spans() -> Any:
    """Each episode's months on an instrument, in month order (the index's), folded into one
    row: the first month's first score, the last month's last score, the number of scores."""
    m = ResponseMonth

    def over(function: Any) -> Any:
        return function.over(
            partition_by=(m.instrument_id, m.episode_id), order_by=m.month, rows=(None, None)
        )

    columns = [
        "episode_id",
        "instrument_id",
        "responses",
        "first_at",
        "first_id",
        "first_total",
        "last_at",
        "last_id",
        "last_total",
    ]
    windowed = select(
        m.episode_id,
        m.instrument_id,
        over(func.sum(m.responses)).label("responses"),
        over(func.first_value(m.first_at)).label("first_at"),
        over(func.first_value(m.first_id)).label("first_id"),
        over(func.first_value(m.first_total)).label("first_total"),
        over(func.last_value(m.last_at)).label("last_at"),
        over(func.last_value(m.last_id)).label("last_id"),
        over(func.last_value(m.last_total)).label("last_total"),
        over(func.row_number()).label("position"),
    ).subquery()
    w = windowed.c
    kept = select(*(w[name] for name in columns)).where(w.position == literal_column("1", Integer))
    return insert(ResponseSpan).from_select(columns, kept)
