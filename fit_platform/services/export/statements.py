"""The export's SQL, built for millions of rows: grouped in the database, not row by row here.

Two ideas keep the export fast and its memory flat as the history grows (measured in
benchmarks/bench_export_5m.py, see docs/export.md):

- **Group by the period's start, label it once.** Rows are grouped by ``date_trunc`` of their
  timestamp (:func:`.periods.period_start`) and the '2026-Q2' label is formatted per group,
  not per row.
- **Every level of total in the database.** Invitations and alliance scores come back as one
  row per unit, programme and period *and* one per unit total and all-units total (``level``
  0, 1, 2), with distinct patients counted in SQL (:mod:`.levels`): the figures summed once
  per row and added up per level, the patients from rows of one patient each, which is what
  lets a patient in two programmes count once in the unit's total.

Outcomes still come back one row per episode and instrument, in patient order, because change
and recovery are judged by the domain's own rule (:func:`fit_platform.domain.change.
assess_change`), not by a copy of it in SQL; they are streamed, never held all at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    or_,
    select,
)

from fit_platform.db.models import ConsentEvent, Episode, Response
from fit_platform.domain.codes import ConsentEventKind, InvitationState
from fit_platform.services.export.levels import (
    levels_of_total,
)
from fit_platform.services.export.periods import (
    Period,
    period_label,
    period_start,
    quarter_of_month,
)
from fit_platform.services.export.rows import NON_RESPONSE_REASONS, PAIRED
from fit_platform.services.export.sources import (
    NOTHING_SUMMARISED,
    Watermark,
    alliance_sums,
    invitation_states,
    outcome_segments,
    scored,
)


class Range:
    """What every statement needs: dialect, period, [since, until) and the unit chosen."""

    def __init__(
        self,
        dialect: str,
        period: Period,
        since: dt.datetime,
        until: dt.datetime,
        unit_id: int | None,
        quarters: bool = False,
    ) -> None:
        self.dialect, self.period = dialect, period
        self.since, self.until, self.unit_id = since, until, unit_id
        # By month, every level also by quarter, in the same statement (the export decides
        # what to hide in months and quarters together: docs/export.md, "Months and quarters").
        self.quarters = quarters and period == "month"
        # The summary's watermark as read by the transaction (None: each statement reads it).
        self.watermark: Watermark | None = None

    def seen(self, watermark: Watermark | None) -> Range:
        """The same range for a transaction that read this watermark."""
        seen = Range(self.dialect, self.period, self.since, self.until, self.unit_id, self.quarters)
        seen.watermark = watermark
        return seen

    def start(self, column: Any) -> ColumnElement[Any]:
        return period_start(self.dialect, column, self.period)

    def label(self, start: Any) -> ColumnElement[str]:
        return period_label(self.dialect, start, self.period)

    def in_unit(self, stmt: Any) -> Any:
        return stmt if self.unit_id is None else stmt.where(Episode.unit_id == self.unit_id)


def invitation_levels(r: Range) -> Select[Any]:
    """Invitations due in each period by what became of them, and the patients invited and
    (of those) who paused or stopped feedback in the same period, at every level of total."""
    # The counts per episode, period, state and reason (from the summary of closed months
    # and the invitations after it, each only grouped) with the episode's unit, programme and
    # patient: summed into the figures of each row (few groups), and read again for the
    # patients invited. Counts per episode fit an integer: kept one, so the sums add integers,
    # not PostgreSQL's slower arbitrary-precision numbers (the sum of a bigint).
    s = invitation_states(r).c
    counts = r.in_unit(
        select(
            Episode.unit_id,
            Episode.programme_id,
            s.period,
            Episode.patient_id,
            s.state,
            s.reason,
            cast(s.invitations, Integer).label("invitations"),
            cast(s.sent, Integer).label("sent"),
        ).join(Episode, Episode.id == s.episode_id)
    ).cte("invitation_counts")
    n = counts.c
    not_answered = n.state != InvitationState.COMPLETED

    def invitations(*conditions: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(n.invitations).filter(*conditions), 0)

    row_figures = (
        select(
            n.unit_id,
            n.programme_id,
            n.period,
            func.sum(n.sent).label("sent"),
            invitations(n.state == InvitationState.COMPLETED).label("answered"),
            invitations(n.state == InvitationState.EXPIRED).label("expired"),
            invitations(n.state == InvitationState.DECLINED).label("declined"),
            *(
                invitations(not_answered, n.reason.in_(codes)).label(f"reason_{name}")
                for name, codes in NON_RESPONSE_REASONS.items()
            ),
        )
        .group_by(n.unit_id, n.programme_id, n.period)
        .cte("invitation_figures")
    )
    figures = (
        "sent",
        "answered",
        "expired",
        "declined",
        *(f"reason_{name}" for name in NON_RESPONSE_REASONS),
    )
    # Who paused or stopped feedback, per period (few rows: consent changes are rare).
    paused = (
        select(
            ConsentEvent.patient_id,
            r.start(ConsentEvent.created_at).label("period"),
        )
        .where(
            ConsentEvent.kind.in_((ConsentEventKind.PAUSED, ConsentEventKind.STOPPED)),
            ConsentEvent.created_at >= r.since,
            ConsentEvent.created_at < r.until,
        )
        .distinct()
        .cte("paused")
    )
    per_patient = select(n.unit_id, n.programme_id, n.period, n.patient_id).distinct().subquery()
    p = per_patient.c
    flags = [case((paused.c.patient_id.is_not(None), p.patient_id)).label("paused_patient")]
    joined: Any = per_patient.outerjoin(
        paused, and_(paused.c.patient_id == p.patient_id, paused.c.period == p.period)
    )
    if r.quarters:
        # By quarter: invited in the quarter and paused or stopped in it, in any of its months.
        paused_in_quarter = (
            select(
                ConsentEvent.patient_id,
                period_start(r.dialect, ConsentEvent.created_at, "quarter").label("period"),
            )
            .where(
                ConsentEvent.kind.in_((ConsentEventKind.PAUSED, ConsentEventKind.STOPPED)),
                ConsentEvent.created_at >= r.since,
                ConsentEvent.created_at < r.until,
            )
            .distinct()
            .cte("paused_in_quarter")
        )
        q = paused_in_quarter.c
        flags.append(case((q.patient_id.is_not(None), p.patient_id)).label("paused_in_quarter"))
        joined = joined.outerjoin(
            paused_in_quarter,
            and_(q.patient_id == p.patient_id, q.period == quarter_of_month(r.dialect, p.period)),
        )
    flagged = select(*p, *flags).select_from(joined).cte("invited_patient")
    # The paused patients are counted distinctly at every level, like the invited ones.
    return levels_of_total(
        r,
        flagged,
        row_figures,
        figures,
        distinct=("paused_patient",),
        by_quarter={"paused_patient": "paused_in_quarter"},
    )


def alliance_levels(r: Range, alliance_ids: list[str]) -> Select[Any]:
    """Sum and number of alliance scores submitted in each period, per instrument, and the
    patients who gave them, at every level of total.

    Summed per episode first (the summary's months and the scores after them), then per row
    with the episode's unit and programme; the patients from the same rows."""
    e = alliance_sums(r, alliance_ids).c
    scores = r.in_unit(
        select(
            Episode.unit_id,
            Episode.programme_id,
            e.period,
            e.instrument_id,
            Episode.patient_id,
            e.total,
            e.responses,
        ).join(Episode, Episode.id == e.episode_id)
    ).cte("alliance_scores")
    a = scores.c
    keys = (a.unit_id, a.programme_id, a.period, a.instrument_id)
    row_figures = (
        select(
            *keys,
            func.sum(a.total).label("total"),
            func.sum(a.responses).label("responses"),
        )
        .group_by(*keys)
        .cte("alliance_figures")
    )
    per_patient = select(*keys, a.patient_id).distinct().cte("alliance_per_patient")
    return levels_of_total(
        r, per_patient, row_figures, ("total", "responses"), counted=("instrument_id",)
    )


def outcome_episodes(r: Range, outcome_ids: list[str]) -> Select[Any]:
    """First and latest scorable outcome score per episode and instrument, with the number of
    scores, for the episodes with two or more whose latest score in the range fell in the
    period, and whether it did (`in_range`, last); in patient and episode order, so each
    patient (and each paired PHQ-9/GAD-7 outcome) is read in one go.

    A PHQ-9 or GAD-7 whose latest score came before the range is read too (not in range) when
    the episode's other one has its latest in the range: the paired outcome takes both, and is
    counted in the later one's period. Without it a quarter's paired figures depended on where
    the range began (2026-Q3 alone and a year to 2026-Q3 gave 16 and 17 patients).

    Read from :func:`.sources.outcome_segments` (summarised months and live scores). One
    window pass per order gives the first score (ordered by the segments' first score), the
    latest (the segment whose last score is last) and the number of scores, so the latest
    segment carries all three: no self-join.

    Before the summary's first build (PostgreSQL knows: the watermark is read first) the
    scores are read as they are, by :func:`_unsummarised_outcomes`."""
    if r.watermark is not None and r.watermark.through == NOTHING_SUMMARISED:
        return _unsummarised_outcomes(r, outcome_ids)
    seg = outcome_segments(r, outcome_ids).c
    partition = (seg.instrument_id, seg.episode_id)
    windowed = select(
        seg.episode_id,
        seg.instrument_id,
        seg.last_total,
        seg.last_at,
        func.first_value(seg.first_total)
        .over(partition_by=partition, order_by=(seg.first_at, seg.first_id), rows=(None, None))
        .label("first_total"),
        func.row_number()
        .over(partition_by=partition, order_by=(seg.last_at.desc(), seg.last_id.desc()))
        .label("from_last"),
        func.sum(seg.scores).over(partition_by=partition).label("scores"),
    ).subquery()
    c = windowed.c
    latest = select(c.episode_id, c.instrument_id, c.first_total, c.last_total, c.last_at).where(
        c.from_last == 1, c.scores >= 2
    )
    return _in_range_or_paired(r, latest)


def _in_range_or_paired(r: Range, latest: Select[Any]) -> Select[Any]:
    """The outcome rows from `latest` (episode_id, instrument_id, first_total, last_total,
    last_at: one row per episode and instrument with two or more scores): those whose latest
    score is in the range, and a PHQ-9 or GAD-7 one before it whose episode has the other's
    latest in the range. The episode's latest paired score is a window over these rows only
    (one per episode and instrument), not over every score."""
    row = latest.selected_columns
    paired_at = case((row.instrument_id.in_(PAIRED), row.last_at))
    with_pairs = latest.add_columns(
        func.max(paired_at).over(partition_by=row.episode_id).label("paired_last_at")
    ).subquery()
    c = with_pairs.c
    outcomes: Select[Any] = r.in_unit(
        select(
            Episode.unit_id,
            Episode.programme_id,
            r.label(r.start(c.last_at)),
            Episode.patient_id,
            Episode.id,
            c.instrument_id,
            c.first_total,
            c.last_total,
            (c.last_at >= r.since).label("in_range"),
        )
        .join(Episode, Episode.id == c.episode_id)
        .where(
            or_(
                c.last_at >= r.since,
                and_(c.instrument_id.in_(PAIRED), c.paired_last_at >= r.since),
            )
        )
        .order_by(Episode.patient_id, Episode.id)
    )
    return outcomes


def _unsummarised_outcomes(r: Range, outcome_ids: list[str]) -> Select[Any]:
    """:func:`outcome_episodes` from the scores alone. One window pass gives each score its
    position, the first score and the count, so the latest row (position == count) carries
    all three. The window is partitioned by instrument, then episode, and ordered by time and
    id: the order of the index ``ix_response_scored``, which also holds the total, so
    PostgreSQL reads the index alone and sorts nothing (the segments' two orders would sort
    every score twice: 19.5 s of CPU instead of 11 over 5 million responses)."""

    def whole_partition(function: Any) -> Any:
        return function.over(
            partition_by=(Response.instrument_id, Response.episode_id),
            order_by=(Response.submitted_at, Response.id),
            rows=(None, None),
        )

    scores = (
        select(
            Response.episode_id,
            Response.instrument_id,
            Response.total,
            Response.submitted_at,
            whole_partition(func.first_value(Response.total)).label("first_total"),
            whole_partition(func.row_number()).label("from_first"),
            whole_partition(func.count()).label("scores"),
        )
        .where(*scored(), Response.submitted_at < r.until, Response.instrument_id.in_(outcome_ids))
        .subquery()
    )
    c = scores.c
    latest = select(
        c.episode_id,
        c.instrument_id,
        c.first_total,
        c.total.label("last_total"),
        c.submitted_at.label("last_at"),
    ).where(c.from_first == c.scores, c.scores >= 2)
    return _in_range_or_paired(r, latest)
