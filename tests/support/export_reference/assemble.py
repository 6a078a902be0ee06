"""From the query results to rows: every figure tallied into its row and the totals it is part
of, turned into cells, then suppressed across rows and totals."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence, Set
from typing import Any

from fit_platform.domain.change import ChangeCategory, RecoveryStatus, assess_change
from fit_platform.domain.instruments import Instrument
from fit_platform.domain.paired_recovery import assess_paired
from fit_platform.domain.small_cells import HIDDEN, Cell, cell
from fit_platform.services.export.assemble import whole_quarters
from fit_platform.services.export.periods import quarter_of
from fit_platform.services.export.rows import (
    ALL,
    ALL_CODE,
    NO_PROGRAMME,
    NON_RESPONSE_REASONS,
    AggregateRow,
    Key,
)
from fit_platform.services.export.suppression import suppress_across_rows_and_totals
from tests.support.export_reference.outcomes import (
    PAIRED,
    OutcomeTally,
    PairedTally,
    outcome_cells,
    paired_cells,
)
from tests.support.export_reference.signals import SignalTally, hours_between, signal_cells


def levels(key: Key, all_units: bool) -> Iterable[Key]:
    """The row a figure belongs to and the totals it is part of."""
    unit, _programme, period = key
    yield key
    yield (unit, ALL, period)
    if all_units:
        yield (ALL, ALL, period)


def assemble(
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
    by_month: bool = False,
    collect: list[Any] | None = None,
    comments_held_back: Set[tuple[int, str]] = frozenset(),
) -> list[AggregateRow]:
    keys: set[Key] = set()
    invited_patients: dict[Key, set[int]] = defaultdict(set)
    sent_by: dict[Key, int] = defaultdict(int)
    answered_by: dict[Key, int] = defaultdict(int)
    # expired, declined, then one count per non-response reason
    closed_by: dict[Key, list[int]] = defaultdict(lambda: [0] * (2 + len(NON_RESPONSE_REASONS)))
    for unit, programme, period, patient, sent, answered, *closed in invitations:
        for key in levels((unit, programme, period), all_units):
            keys.add(key)
            invited_patients[key].add(patient)
            sent_by[key] += sent
            answered_by[key] += answered
            closed_by[key] = [a + b for a, b in zip(closed_by[key], closed, strict=True)]

    by_id = {i.id: i for i in outcome_instruments}
    change: dict[tuple[Key, str], OutcomeTally] = {}
    pairs: dict[int, dict[str, tuple[float, float, Key, int, bool]]] = defaultdict(dict)
    for row in outcomes:
        unit, programme, period, patient, episode, instrument_id, first, latest, scores = row[:9]
        in_range = row[9]
        if scores < 2:
            continue
        if instrument_id in PAIRED:
            key = (unit, programme, period)
            pairs[episode][instrument_id] = (first, latest, key, patient, in_range)
        if not in_range:
            continue
        instrument = by_id[instrument_id]
        assessed = assess_change(instrument, first, latest)
        for key in levels((unit, programme, period), all_units):
            keys.add(key)
            acc = change.setdefault((key, instrument_id), OutcomeTally(set(), []))
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

    paired: dict[Key, PairedTally] = defaultdict(PairedTally)
    if all(instrument_id in by_id for instrument_id in PAIRED):
        depression, anxiety = (by_id[instrument_id] for instrument_id in PAIRED)
        for both in pairs.values():
            if len(both) < 2:
                continue
            (d_first, d_latest, d_key, patient, d_in), (a_first, a_latest, a_key, _, a_in) = (
                both[instrument_id] for instrument_id in PAIRED
            )
            if not (d_in or a_in):
                continue  # both halves before the range
            outcome = assess_paired(depression, anxiety, (d_first, d_latest), (a_first, a_latest))
            for key in levels(max(d_key, a_key, key=lambda key: key[2]), all_units):
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
        for key in levels((unit, programme, period), all_units):
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
    signals: dict[Key, SignalTally] = defaultdict(SignalTally)
    for unit, programme, period, patient, is_risk, raised, acknowledged, resolved in risk:
        for key in levels((unit, programme, period), all_units):
            keys.add(key)
            acc_s = signals[key]
            acc_s.patients.add(patient)
            acc_s.raised += 1
            if acknowledged is not None:
                acc_s.acknowledge_hours.append(hours_between(raised, acknowledged))
                if is_risk:
                    hours[key].append(hours_between(raised, acknowledged))
                    risk_patients[key].add(patient)
            if resolved is not None:
                acc_s.resolve_hours.append(hours_between(raised, resolved))

    paused: dict[Key, set[int]] = defaultdict(set)
    for unit, programme, period, patient in consent:
        for key in levels((unit, programme, period), all_units):
            paused[key].add(patient)

    comment_count: dict[Key, int] = defaultdict(int)
    for unit, programme, period, count in comments:
        for key in levels((unit, programme, period), all_units):
            keys.add(key)
            comment_count[key] += count

    if by_month:
        # A row in every month of a quarter the row has any month in (docs/export.md,
        # "Empty and hidden").
        keys.update(whole_quarters(keys))

    rows: dict[Key, AggregateRow] = {}
    for key in keys:
        unit, programme, period = key
        patients = len(invited_patients.get(key, ()))
        sent, answered = sent_by.get(key, 0), answered_by.get(key, 0)
        outcome_row = tuple(
            outcome_cells(instrument, change.get((key, instrument.id)))
            for instrument in outcome_instruments
        )
        alliance_cells = tuple(
            (instrument_id, alliance_cell(alliance_by.get((key, instrument_id))))
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
            paired=paired_cells(paired.get(key)),
            signals=signal_cells(signals.get(key)),
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
            outcomes=outcome_row,
            alliance_mean=alliance_cells,
            median_hours_to_acknowledge_risk=cell(
                round(statistics.median(hours[key]), 1) if hours[key] else None,
                len(risk_patients[key]),
            ),
            # A count of comments is a small cell like a count of patients.
            service_comments=cell(comment_count.get(key, 0), comment_count.get(key, 0)),
        )
    counts = (
        {key: len(patients) for key, patients in invited_patients.items()},
        {found: len(tally.patients) for found, tally in change.items()},
        comment_count,
        {key: len(tally.patients) for key, tally in paired.items()},
        {found: patients for found, (_mean, patients) in alliance_by.items()},
        {key: len(tally.patients) for key, tally in signals.items()},
        {key: len(patients) for key, patients in risk_patients.items()},
        # The rows of the units whose comment texts are held back in the row's quarter.
        {
            key: True
            for key in rows
            if (key[0], key[2] if "Q" in key[2] else quarter_of(key[2])) in comments_held_back
        },
        # The counts inside the rows, tallied here; hiding them is the export's own rule.
        {
            found: {
                "reliable_improvement": tally.improved,
                "reliable_deterioration": tally.deteriorated,
                "recovery_eligible": len(tally.eligible) if tally.eligible is not None else 0,
            }
            for found, tally in change.items()
        },
        {
            key: {
                "at_caseness": len(tally.eligible),
                "reliable_improvement": tally.improved,
                "reliable_deterioration": tally.deteriorated,
            }
            for key, tally in paired.items()
        },
    )
    if collect is not None:
        # Suppressed later, together with the other period's rows (months and quarters).
        collect.append((rows, counts))
        return []
    suppress(rows, counts, outcome_instruments, by_month)
    return sorted(rows.values(), key=row_order)


def suppress(
    rows: dict[Key, AggregateRow],
    counts: tuple[Any, ...],
    outcome_instruments: Sequence[Instrument],
    by_month: bool,
) -> None:
    """Suppression is the export's own (it decides what is hidden, not what is counted)."""
    invited, change, comments, paired, alliance, signals, risk, held_back, inside, paired_inside = (
        counts
    )
    suppress_across_rows_and_totals(
        rows,
        invited,
        change,
        outcome_instruments,
        comments,
        paired,
        alliance,
        signals,
        by_month,
        risk,
        set(held_back),
        outcome_counts=inside,
        paired_counts=paired_inside,
    )


def row_order(row: AggregateRow) -> tuple[bool, str, bool, str, str]:
    """Units in code order, each unit's programmes before its total, the all-units total last."""
    return (
        row.unit_code == ALL_CODE,
        row.unit_code,
        row.programme_code == ALL_CODE,
        row.programme_code,
        row.period,
    )


def alliance_cell(found: tuple[float, int] | None) -> Cell:
    if found is None:
        return HIDDEN
    mean, patients = found
    return cell(round(mean, 2), patients)
