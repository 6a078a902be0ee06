"""De-identified aggregates for service developers, per unit, programme and period.

Who may call it: the export pages (service developers and administrators) and the CLI. Nothing
in the result identifies a person: no patient ids, names, external ids or free text, and no date
finer than the period. Every figure is computed in a fixed number of set-based queries (seven,
whatever the size of the data) and then passed through the small-cell rule in
:mod:`fit_platform.domain.small_cells`. The columns are documented in docs/export.md and
docs/export-codebook.md; the files (CSV, JSON) are written by
:mod:`fit_platform.services.export_files`.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from sqlalchemy import ColumnElement, Integer, String, and_, cast, func, literal, select
from sqlalchemy.orm import aliased

from fit_platform.db import Database
from fit_platform.db.models import (
    ConsentEvent,
    Episode,
    Invitation,
    Programme,
    Response,
    Signal,
    Unit,
)
from fit_platform.domain.change import ChangeCategory, RecoveryStatus, assess_change
from fit_platform.domain.codes import ConsentEventKind, InvitationState, ResponseStatus
from fit_platform.domain.instruments import Instrument, Kind, default_instruments
from fit_platform.domain.paired_recovery import assess_paired
from fit_platform.domain.signals import SignalCode
from fit_platform.domain.small_cells import HIDDEN, Cell, Equation, cell, hidden_in_table, too_small
from fit_platform.services.service_comments import comment_counts

Period = Literal["month", "quarter"]
PERIODS: tuple[Period, ...] = ("month", "quarter")
NO_PROGRAMME = "none"
# The code of a total row: programme `all` is a unit's total, unit `all` the all-units total.
ALL_CODE = "all"
ALL = -1  # the same as an id in a row's key (ids from the database are positive)
# A cell that does not apply (recovery on an instrument without a clinical cut-off).
NOT_APPLICABLE = Cell(None, False)


# Why an invitation went unanswered, grouped for the export (the codes stored on an invitation
# are in services/invitations.py NonResponse and services/consent.py). Counts of invitations.
NON_RESPONSE_REASONS: dict[str, tuple[str, ...]] = {
    "not_sent": ("not_sent", "not_delivered"),
    "not_opened": ("not_opened",),
    "opened_not_completed": ("opened_not_completed",),
    "declined": ("declined_by_patient",),
    "paused_or_stopped": (
        "consent_withdrawn",
        "paused",
        "paused_by_patient",
        "stopped",
        "stopped_by_patient",
    ),
    "appointment_changed": ("appointment_changed",),
}
PAIRED = ("phq9", "gad7")  # NHS Talking Therapies paired recovery: depression, anxiety


@dataclass(frozen=True)
class PairedAggregate:
    """NHS Talking Therapies paired recovery (PHQ-9 + GAD-7) for episodes with two or more
    scores on both, counted in the period of the later of the two latest scores."""

    patients: Cell
    at_caseness: Cell
    recovery_rate: Cell
    reliable_recovery_rate: Cell
    reliable_improvement: Cell
    reliable_deterioration: Cell


@dataclass(frozen=True)
class SignalAggregate:
    """Signals of every kind raised in the period, and how soon they were acted on."""

    raised: Cell
    acknowledged_share: Cell
    median_hours_to_acknowledge: Cell
    median_hours_to_resolve: Cell


@dataclass(frozen=True)
class OutcomeAggregate:
    """Change on one outcome instrument for the episodes whose latest score fell in the period."""

    instrument_id: str
    patients_with_two_scores: Cell
    mean_improvement: Cell
    reliable_improvement: Cell
    reliable_deterioration: Cell
    recovery_eligible: Cell
    recovery_rate: Cell
    mean_first_score: Cell = HIDDEN
    mean_latest_score: Cell = HIDDEN
    reliable_recovery_rate: Cell = HIDDEN


@dataclass(frozen=True)
class AggregateRow:
    unit_code: str
    unit_name: str
    programme_code: str
    programme_name: str
    period: str
    patients_invited: Cell
    invitations_sent: Cell
    invitations_answered: Cell
    response_rate: Cell
    outcomes: tuple[OutcomeAggregate, ...]
    alliance_mean: tuple[tuple[str, Cell], ...]
    median_hours_to_acknowledge_risk: Cell
    # Comments sent to the service only (the texts are read on their own page, never exported).
    service_comments: Cell = HIDDEN
    invitations_expired: Cell = HIDDEN
    invitations_declined: Cell = HIDDEN
    non_response: tuple[tuple[str, Cell], ...] = ()
    paired: PairedAggregate | None = None
    signals: SignalAggregate | None = None
    # Of the patients invited in the period, the share who paused or stopped feedback in it.
    consent_paused_or_stopped_share: Cell = HIDDEN


def period_bounds(period: Period, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The range widened to whole periods: [first day of start's period, day after end's)."""
    months = 1 if period == "month" else 3
    first = dt.date(start.year, (start.month - 1) // months * months + 1, 1)
    last_month = (end.month - 1) // months * months + months  # 1..12, last month of the period
    after = dt.date(end.year + last_month // 12, last_month % 12 + 1, 1)
    return (
        dt.datetime.combine(first, dt.time(), dt.UTC),
        dt.datetime.combine(after, dt.time(), dt.UTC),
    )


def _period_key(dialect: str, column: Any, period: Period) -> ColumnElement[str]:
    """'2026-03' or '2026-Q1' for a UTC timestamp column, in SQL."""
    if dialect == "postgresql":
        utc = func.timezone("UTC", column)
        pattern = "YYYY-MM" if period == "month" else 'YYYY-"Q"Q'
        return func.to_char(utc, pattern, type_=String)
    if period == "month":
        return func.strftime("%Y-%m", column, type_=String)
    month = cast(func.strftime("%m", column), Integer)
    quarter = cast((month + 2) / 3, Integer)  # 1..4; the cast truncates
    return func.strftime("%Y", column, type_=String) + literal("-Q") + cast(quarter, String)


# unit id, programme id (None: no programme), period; ALL for a total. Never leaves this module.
Key = tuple[int, int | None, str]


def export_instruments() -> tuple[list[Instrument], list[Instrument]]:
    # Test instruments (`demo` in their file) carry no clinical meaning: never exported.
    library = sorted((i for i in default_instruments().values() if not i.demo), key=lambda i: i.id)
    return (
        [i for i in library if i.kind is Kind.OUTCOME],
        [i for i in library if i.kind is Kind.ALLIANCE],
    )


def service_aggregates(
    db: Database,
    *,
    period: Period,
    start: dt.date,
    end: dt.date,
    unit_id: int | None = None,
) -> list[AggregateRow]:
    """Suppressed aggregates per unit, programme and period between ``start`` and ``end``.

    The range is widened to whole periods (UTC calendar months or quarters). Read-only.
    """
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}")
    if end < start:
        raise ValueError("end before start")
    since, until = period_bounds(period, start, end)
    outcome_instruments, alliance_instruments = export_instruments()
    outcome_ids = [i.id for i in outcome_instruments]
    alliance_ids = [i.id for i in alliance_instruments]

    def in_unit(stmt: Any) -> Any:
        return stmt if unit_id is None else stmt.where(Episode.unit_id == unit_id)

    with db.session() as session:
        dialect = db.dialect
        # 1. Invitations due in each period, per patient (so that unit and all-units totals count
        # each patient once).
        inv_period = _period_key(dialect, Invitation.due_at, period)
        invitations = session.execute(
            in_unit(
                select(
                    Episode.unit_id,
                    Episode.programme_id,
                    inv_period,
                    Episode.patient_id,
                    func.count(Invitation.sent_at),
                    func.count(Invitation.id).filter(Invitation.state == InvitationState.COMPLETED),
                    func.count(Invitation.id).filter(Invitation.state == InvitationState.EXPIRED),
                    func.count(Invitation.id).filter(Invitation.state == InvitationState.DECLINED),
                    *(
                        func.count(Invitation.id).filter(
                            Invitation.state != InvitationState.COMPLETED,
                            Invitation.non_response_reason.in_(codes),
                        )
                        for codes in NON_RESPONSE_REASONS.values()
                    ),
                )
                .join(Episode, Episode.id == Invitation.episode_id)
                .where(Invitation.due_at >= since, Invitation.due_at < until)
                .group_by(Episode.unit_id, Episode.programme_id, inv_period, Episode.patient_id)
            )
        ).all()

        # 2. First and latest scorable outcome score per episode and instrument; an episode is
        # counted in the period of its latest score in the range.
        scored = (
            select(
                Response.episode_id,
                Response.instrument_id,
                Response.total,
                Response.submitted_at,
                func.row_number()
                .over(
                    partition_by=(Response.episode_id, Response.instrument_id),
                    order_by=(Response.submitted_at, Response.id),
                )
                .label("from_first"),
                func.row_number()
                .over(
                    partition_by=(Response.episode_id, Response.instrument_id),
                    order_by=(Response.submitted_at.desc(), Response.id.desc()),
                )
                .label("from_latest"),
                func.count()
                .over(partition_by=(Response.episode_id, Response.instrument_id))
                .label("scores"),
            )
            .where(
                Response.status == ResponseStatus.SUBMITTED,
                Response.scorable.is_(True),
                Response.total.is_not(None),
                Response.submitted_at < until,
                Response.instrument_id.in_(outcome_ids),
            )
            .subquery()
        )
        first = aliased(scored)
        latest = aliased(scored)
        outcome_period = _period_key(dialect, latest.c.submitted_at, period)
        outcomes = session.execute(
            in_unit(
                select(
                    Episode.unit_id,
                    Episode.programme_id,
                    outcome_period,
                    Episode.patient_id,
                    Episode.id,
                    latest.c.instrument_id,
                    first.c.total,
                    latest.c.total,
                    latest.c.scores,
                )
                .join(Episode, Episode.id == latest.c.episode_id)
                .join(
                    first,
                    and_(
                        first.c.episode_id == latest.c.episode_id,
                        first.c.instrument_id == latest.c.instrument_id,
                        first.c.from_first == 1,
                    ),
                )
                .where(latest.c.from_latest == 1, latest.c.submitted_at >= since)
            )
        ).all()

        # 3. Alliance scores per instrument and patient (sum and count; the mean over the
        # responses submitted in the period is taken below, for every level of total).
        alliance_period = _period_key(dialect, Response.submitted_at, period)
        alliance = session.execute(
            in_unit(
                select(
                    Episode.unit_id,
                    Episode.programme_id,
                    alliance_period,
                    Response.instrument_id,
                    Episode.patient_id,
                    func.sum(Response.total),
                    func.count(Response.id),
                )
                .join(Episode, Episode.id == Response.episode_id)
                .where(
                    Response.status == ResponseStatus.SUBMITTED,
                    Response.scorable.is_(True),
                    Response.total.is_not(None),
                    Response.submitted_at >= since,
                    Response.submitted_at < until,
                    Response.instrument_id.in_(alliance_ids),
                )
                .group_by(
                    Episode.unit_id,
                    Episode.programme_id,
                    alliance_period,
                    Response.instrument_id,
                    Episode.patient_id,
                )
            )
        ).all()

        # 4. Signals raised in the period, with when they were acknowledged and resolved (the
        # shares and medians are taken below).
        signal_period = _period_key(dialect, Signal.raised_at, period)
        risk = session.execute(
            in_unit(
                select(
                    Episode.unit_id,
                    Episode.programme_id,
                    signal_period,
                    Episode.patient_id,
                    Signal.code == SignalCode.RISK_ANSWER.value,
                    Signal.raised_at,
                    Signal.acknowledged_at,
                    Signal.resolved_at,
                )
                .join(Episode, Episode.id == Signal.episode_id)
                .where(Signal.raised_at >= since, Signal.raised_at < until)
            )
        ).all()

        # 7. Patients who paused or stopped feedback in the period (matched below with the
        # patients invited in the same row, who are the denominator).
        consent_period = _period_key(dialect, ConsentEvent.created_at, period)
        consent = session.execute(
            in_unit(
                select(Episode.unit_id, Episode.programme_id, consent_period, Episode.patient_id)
                .join(Episode, Episode.patient_id == ConsentEvent.patient_id)
                .where(
                    ConsentEvent.kind.in_((ConsentEventKind.PAUSED, ConsentEventKind.STOPPED)),
                    ConsentEvent.created_at >= since,
                    ConsentEvent.created_at < until,
                )
                .distinct()
            )
        ).all()

        # 5. Comments sent to the service only, counted (never their text).
        comments = comment_counts(session, period=period, since=since, until=until, unit_id=unit_id)

        # 6. Unit and programme names.
        # (one query for both, so counting the comments above costs no extra round trip)
        units: dict[int, tuple[str, str]] = {}
        programmes: dict[int, tuple[str, str]] = {}
        for unit_row, programme_row in session.execute(
            select(Unit, Programme).outerjoin(Programme, Programme.unit_id == Unit.id)
        ):
            units[unit_row.id] = (unit_row.code, unit_row.name)
            if programme_row is not None:
                programmes[programme_row.id] = (programme_row.code, programme_row.name)

    return _assemble(
        invitations=invitations,
        outcomes=outcomes,
        alliance=alliance,
        risk=risk,
        consent=consent,
        comments=comments,
        units=units,
        programmes=programmes,
        outcome_instruments=outcome_instruments,
        alliance_ids=alliance_ids,
        all_units=unit_id is None,
    )


@dataclass
class _Outcome:
    patients: set[int]
    improvements: list[float]
    improved: int = 0
    deteriorated: int = 0
    eligible: set[int] | None = None
    recovered: int = 0
    reliably_recovered: int = 0
    firsts: list[float] = field(default_factory=list)
    latests: list[float] = field(default_factory=list)


@dataclass
class _Signals:
    patients: set[int] = field(default_factory=set)
    raised: int = 0
    acknowledge_hours: list[float] = field(default_factory=list)
    resolve_hours: list[float] = field(default_factory=list)


def _signal_cells(acc: _Signals | None) -> SignalAggregate:
    # Every figure is based on the patients with a signal raised in the period.
    n = len(acc.patients) if acc else 0
    if acc is None or too_small(n):
        return SignalAggregate(HIDDEN, HIDDEN, HIDDEN, HIDDEN)

    def median(hours: list[float]) -> Cell:
        return cell(round(statistics.median(hours), 1), n) if hours else Cell(None, False)

    return SignalAggregate(
        raised=cell(acc.raised, n),
        acknowledged_share=cell(round(len(acc.acknowledge_hours) / acc.raised, 3), n),
        median_hours_to_acknowledge=median(acc.acknowledge_hours),
        median_hours_to_resolve=median(acc.resolve_hours),
    )


@dataclass
class _Paired:
    patients: set[int] = field(default_factory=set)
    eligible: set[int] = field(default_factory=set)
    recovered: int = 0
    reliably_recovered: int = 0
    improved: int = 0
    deteriorated: int = 0


def _paired_cells(acc: _Paired | None) -> PairedAggregate:
    n = len(acc.patients) if acc else 0
    if acc is None or too_small(n):
        return PairedAggregate(HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN)
    base = len(acc.eligible)
    return PairedAggregate(
        patients=cell(n, n),
        at_caseness=cell(base, base),
        recovery_rate=cell(round(acc.recovered / base, 3) if base else None, base),
        reliable_recovery_rate=cell(
            round(acc.reliably_recovered / base, 3) if base else None, base
        ),
        reliable_improvement=cell(acc.improved, acc.improved),
        reliable_deterioration=cell(acc.deteriorated, acc.deteriorated),
    )


def _levels(key: Key, all_units: bool) -> Iterable[Key]:
    """The row a figure belongs to and the totals it is part of."""
    unit, _programme, period = key
    yield key
    yield (unit, ALL, period)
    if all_units:
        yield (ALL, ALL, period)


def _assemble(
    *,
    invitations: Sequence[Any],
    outcomes: Sequence[Any],
    alliance: Sequence[Any],
    risk: Sequence[Any],
    comments: Sequence[tuple[int, int | None, str, int]],
    consent: Sequence[Any] = (),
    units: Mapping[int, tuple[str, str]],
    programmes: Mapping[int, tuple[str, str]],
    outcome_instruments: Sequence[Instrument],
    alliance_ids: Sequence[str],
    all_units: bool = True,
) -> list[AggregateRow]:
    keys: set[Key] = set()
    invited_patients: dict[Key, set[int]] = defaultdict(set)
    sent_by: dict[Key, int] = defaultdict(int)
    answered_by: dict[Key, int] = defaultdict(int)
    # expired, declined, then one count per non-response reason
    closed_by: dict[Key, list[int]] = defaultdict(lambda: [0] * (2 + len(NON_RESPONSE_REASONS)))
    for unit, programme, period, patient, sent, answered, *closed in invitations:
        for key in _levels((unit, programme, period), all_units):
            keys.add(key)
            invited_patients[key].add(patient)
            sent_by[key] += sent
            answered_by[key] += answered
            closed_by[key] = [a + b for a, b in zip(closed_by[key], closed, strict=True)]

    by_id = {i.id: i for i in outcome_instruments}
    change: dict[tuple[Key, str], _Outcome] = {}
    pairs: dict[int, dict[str, tuple[float, float, Key, int]]] = defaultdict(dict)
    for unit, programme, period, patient, episode, instrument_id, first, latest, scores in outcomes:
        if scores < 2:
            continue
        instrument = by_id[instrument_id]
        assessed = assess_change(instrument, first, latest)
        if instrument_id in PAIRED:
            pairs[episode][instrument_id] = (first, latest, (unit, programme, period), patient)
        for key in _levels((unit, programme, period), all_units):
            keys.add(key)
            acc = change.setdefault((key, instrument_id), _Outcome(set(), []))
            acc.patients.add(patient)
            acc.firsts.append(first)
            acc.latests.append(latest)
            acc.improvements.append(assessed.improvement)
            acc.improved += assessed.category is ChangeCategory.RELIABLE_IMPROVEMENT
            acc.deteriorated += assessed.category is ChangeCategory.RELIABLE_DETERIORATION
            if instrument.clinical_cutoff is not None:
                acc.eligible = acc.eligible if acc.eligible is not None else set()
                if assessed.recovery is not RecoveryStatus.NOT_AT_CASENESS_AT_START:
                    acc.eligible.add(patient)
                    acc.recovered += assessed.recovered
                    acc.reliably_recovered += assessed.reliably_recovered

    paired: dict[Key, _Paired] = defaultdict(_Paired)
    if all(instrument_id in by_id for instrument_id in PAIRED):
        depression, anxiety = (by_id[instrument_id] for instrument_id in PAIRED)
        for both in pairs.values():
            if len(both) < 2:
                continue
            (d_first, d_latest, d_key, patient), (a_first, a_latest, a_key, _) = (
                both[instrument_id] for instrument_id in PAIRED
            )
            outcome = assess_paired(depression, anxiety, (d_first, d_latest), (a_first, a_latest))
            for key in _levels(max(d_key, a_key, key=lambda key: key[2]), all_units):
                acc_p = paired[key]
                acc_p.patients.add(patient)
                if outcome.at_caseness:
                    acc_p.eligible.add(patient)
                    acc_p.recovered += outcome.recovered
                    acc_p.reliably_recovered += outcome.reliably_recovered
                acc_p.improved += outcome.reliable_improvement
                acc_p.deteriorated += outcome.reliable_deterioration

    alliance_sums: dict[tuple[Key, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    alliance_patients: dict[tuple[Key, str], set[int]] = defaultdict(set)
    for unit, programme, period, instrument_id, patient, total, responses in alliance:
        for key in _levels((unit, programme, period), all_units):
            keys.add(key)
            sums = alliance_sums[(key, instrument_id)]
            sums[0] += float(total)
            sums[1] += responses
            alliance_patients[(key, instrument_id)].add(patient)
    alliance_by = {
        found: (total / responses, len(alliance_patients[found]))
        for found, (total, responses) in alliance_sums.items()
    }

    hours: dict[Key, list[float]] = defaultdict(list)
    risk_patients: dict[Key, set[int]] = defaultdict(set)
    signals: dict[Key, _Signals] = defaultdict(_Signals)
    for unit, programme, period, patient, is_risk, raised, acknowledged, resolved in risk:
        for key in _levels((unit, programme, period), all_units):
            keys.add(key)
            acc_s = signals[key]
            acc_s.patients.add(patient)
            acc_s.raised += 1
            if acknowledged is not None:
                acc_s.acknowledge_hours.append(_hours_between(raised, acknowledged))
                if is_risk:
                    hours[key].append(_hours_between(raised, acknowledged))
                    risk_patients[key].add(patient)
            if resolved is not None:
                acc_s.resolve_hours.append(_hours_between(raised, resolved))

    paused: dict[Key, set[int]] = defaultdict(set)
    for unit, programme, period, patient in consent:
        for key in _levels((unit, programme, period), all_units):
            paused[key].add(patient)

    comment_count: dict[Key, int] = defaultdict(int)
    for unit, programme, period, count in comments:
        for key in _levels((unit, programme, period), all_units):
            keys.add(key)
            comment_count[key] += count

    rows: dict[Key, AggregateRow] = {}
    for key in keys:
        unit, programme, period = key
        patients = len(invited_patients.get(key, ()))
        sent, answered = sent_by.get(key, 0), answered_by.get(key, 0)
        outcome_cells = tuple(
            _outcome_cells(instrument, change.get((key, instrument.id)))
            for instrument in outcome_instruments
        )
        alliance_cells = tuple(
            (instrument_id, _alliance_cell(alliance_by.get((key, instrument_id))))
            for instrument_id in alliance_ids
        )
        unit_code, unit_name = units[unit] if unit != ALL else (ALL_CODE, "")
        if programme == ALL:
            programme_code, programme_name = ALL_CODE, ""
        elif programme is None:
            programme_code, programme_name = NO_PROGRAMME, ""
        else:
            programme_code, programme_name = programmes[programme]
        expired, declined, *reasons = closed_by.get(key, [0] * (2 + len(NON_RESPONSE_REASONS)))
        rows[key] = AggregateRow(
            invitations_expired=cell(expired, patients),
            invitations_declined=cell(declined, patients),
            non_response=tuple(
                (name, cell(count, patients))
                for name, count in zip(NON_RESPONSE_REASONS, reasons, strict=True)
            ),
            paired=_paired_cells(paired.get(key)),
            signals=_signal_cells(signals.get(key)),
            consent_paused_or_stopped_share=cell(
                round(len(paused.get(key, set()) & invited_patients[key]) / patients, 3)
                if patients
                else None,
                patients,
            ),
            unit_code=unit_code,
            unit_name=unit_name,
            programme_code=programme_code,
            programme_name=programme_name,
            period=period,
            patients_invited=cell(patients, patients),
            invitations_sent=cell(sent, patients),
            invitations_answered=cell(answered, patients),
            response_rate=cell(round(answered / sent, 3) if sent else None, patients),
            outcomes=outcome_cells,
            alliance_mean=alliance_cells,
            median_hours_to_acknowledge_risk=cell(
                round(statistics.median(hours[key]), 1) if hours[key] else None,
                len(risk_patients[key]),
            ),
            # A count of comments is a small cell like a count of patients.
            service_comments=cell(comment_count.get(key, 0), comment_count.get(key, 0)),
        )
    _suppress_across_rows_and_totals(
        rows, invited_patients, change, outcome_instruments, comment_count, paired
    )
    return sorted(rows.values(), key=_row_order)


def _row_order(row: AggregateRow) -> tuple[bool, str, bool, str, str]:
    """Units in code order, each unit's programmes before its total, the all-units total last."""
    return (
        row.unit_code == ALL_CODE,
        row.unit_code,
        row.programme_code == ALL_CODE,
        row.programme_code,
        row.period,
    )


def _alliance_cell(found: tuple[float, int] | None) -> Cell:
    if found is None:
        return HIDDEN
    mean, patients = found
    return cell(round(mean, 2), patients)


def _hours_between(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 3600


def _outcome_cells(instrument: Instrument, acc: _Outcome | None) -> OutcomeAggregate:
    n = len(acc.patients) if acc else 0
    if acc is None or too_small(n):
        recovery = NOT_APPLICABLE if instrument.clinical_cutoff is None else HIDDEN
        return OutcomeAggregate(
            instrument.id,
            HIDDEN,
            HIDDEN,
            HIDDEN,
            HIDDEN,
            recovery,
            recovery,
            reliable_recovery_rate=recovery,
        )
    if acc.eligible is None:
        eligible, rate, reliable_rate = NOT_APPLICABLE, NOT_APPLICABLE, NOT_APPLICABLE
    else:
        base = len(acc.eligible)
        eligible = cell(base, base)
        rate = cell(round(acc.recovered / base, 3) if base else None, base)
        reliable_rate = cell(round(acc.reliably_recovered / base, 3) if base else None, base)
    return OutcomeAggregate(
        instrument_id=instrument.id,
        patients_with_two_scores=cell(n, n),
        mean_improvement=cell(round(statistics.fmean(acc.improvements), 2), n),
        # A count of patients is itself a small cell when it is under the threshold.
        reliable_improvement=cell(acc.improved, acc.improved),
        reliable_deterioration=cell(acc.deteriorated, acc.deteriorated),
        recovery_eligible=eligible,
        recovery_rate=rate,
        mean_first_score=cell(round(statistics.fmean(acc.firsts), 2), n),
        mean_latest_score=cell(round(statistics.fmean(acc.latests), 2), n),
        reliable_recovery_rate=reliable_rate,
    )


def _suppress_across_rows_and_totals(
    rows: dict[Key, AggregateRow],
    invited: Mapping[Key, set[int]],
    change: Mapping[tuple[Key, str], _Outcome],
    outcome_instruments: Sequence[Instrument],
    comment_count: Mapping[Key, int],
    paired: Mapping[Key, _Paired],
) -> None:
    """Complementary suppression: in each period a unit's programme rows add up to the unit's
    total row and the unit rows to the all-units row, so no hidden cell may be alone in any of
    these equations (see :func:`fit_platform.domain.small_cells.hidden_in_table`).

    Counts of distinct patients do not quite add up (a patient may be in two programmes); the
    rule treats them as if they did, which can only hide more."""
    by_period: dict[str, list[Key]] = defaultdict(list)
    for key in rows:
        by_period[key[2]].append(key)
    for members in by_period.values():
        members.sort(key=lambda key: (key[0], key[1] is None, key[1] or 0))
        index = {key: position for position, key in enumerate(members)}
        equations: list[Equation] = []
        unit_totals = [key for key in members if key[0] != ALL and key[1] == ALL]
        for total in unit_totals:
            parts = [index[key] for key in members if key[0] == total[0] and key[1] != ALL]
            equations.append(Equation(index[total], tuple(parts)))
        grand = [key for key in members if key[0] == ALL]
        if grand:
            equations.append(Equation(index[grand[0]], tuple(index[k] for k in unit_totals)))

        def hidden(
            counts: list[int], members: list[Key] = members, equations: list[Equation] = equations
        ) -> Iterable[Key]:
            for key, hide in zip(members, hidden_in_table(counts, equations), strict=True):
                if hide:
                    yield key

        for key in hidden([len(invited.get(key, ())) for key in members]):
            rows[key] = replace(
                rows[key],
                patients_invited=HIDDEN,
                invitations_sent=HIDDEN,
                invitations_answered=HIDDEN,
                response_rate=HIDDEN,
                invitations_expired=HIDDEN,
                invitations_declined=HIDDEN,
                non_response=tuple((name, HIDDEN) for name, _cell in rows[key].non_response),
            )
        paired_counts = [len(paired[key].patients) if key in paired else 0 for key in members]
        for key in hidden(paired_counts):
            rows[key] = replace(rows[key], paired=_paired_cells(None))
        # The unit's comments in a quarter can be counted on the reading page.
        for key in hidden([comment_count.get(key, 0) for key in members]):
            rows[key] = replace(rows[key], service_comments=HIDDEN)
        for position, instrument in enumerate(outcome_instruments):
            counts = [
                len(change[(key, instrument.id)].patients) if (key, instrument.id) in change else 0
                for key in members
            ]
            for key in hidden(counts):
                outcomes = list(rows[key].outcomes)
                outcomes[position] = _outcome_cells(instrument, None)
                rows[key] = replace(rows[key], outcomes=tuple(outcomes))


def previous_period(period: Period, today: dt.date) -> tuple[dt.date, dt.date]:
    """The last whole month or quarter before the one ``today`` is in (for scheduled exports)."""
    months = 1 if period == "month" else 3
    current_first = dt.date(today.year, (today.month - 1) // months * months + 1, 1)
    last_day = current_first - dt.timedelta(days=1)
    first = dt.date(last_day.year, (last_day.month - 1) // months * months + 1, 1)
    return first, last_day


def unit_id_for_code(db: Database, code: str) -> int | None:
    """The id of the unit with this code, or None."""
    with db.session() as session:
        return session.scalar(select(Unit.id).where(Unit.code == code))
