"""The SQL of the signal figures: signals raised in each period and how soon staff acted on
them, at every level of total, medians included (see :mod:`.statements` for the ideas)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, Select, case, func, literal, null, select, union_all

from fit_platform.db.models import Episode, Signal
from fit_platform.domain.signals import SignalCode
from fit_platform.services.export.levels import ALL_UNITS_TOTAL, ROW, UNIT_TOTAL
from fit_platform.services.export.medians import microseconds_between, middle_values
from fit_platform.services.export.periods import period_label, period_start
from fit_platform.services.export.signals import MEASURES
from fit_platform.services.export.statements import Range


def signal_levels(r: Range) -> Select[Any]:
    """Signals raised in each period at every level of total: the patients they were about,
    how many were raised, how many acknowledged, the patients with a risk answer acknowledged,
    and the two middle values (microseconds) of the time to acknowledge, to resolve and to
    acknowledge a risk answer, from which :func:`.medians.median_hours` takes each median."""
    raised = Signal.raised_at
    is_risk = Signal.code == SignalCode.RISK_ANSWER.value
    acknowledge = microseconds_between(r.dialect, raised, Signal.acknowledged_at)
    per_signal = r.in_unit(
        select(
            Episode.unit_id,
            Episode.programme_id,
            r.start(raised).label("period"),
            period_start(r.dialect, raised, "quarter").label("quarter"),
            Episode.patient_id,
            acknowledge.label("acknowledge"),
            microseconds_between(r.dialect, raised, Signal.resolved_at).label("resolve"),
            case((is_risk, acknowledge)).label("risk_acknowledge"),
        )
        .join(Episode, Episode.id == Signal.episode_id)
        .where(raised >= r.since, raised < r.until)
    ).cte("signal_waits")

    def level(number: int, keys: tuple[str, ...], quarter: bool) -> Select[Any]:
        group = (*keys, "quarter" if quarter else "period")
        source, middles = middle_values(r.dialect, per_signal, MEASURES, group)
        c = source.c
        label = period_label(r.dialect, c.quarter, "quarter") if quarter else r.label(c.period)
        return select(
            (c.unit_id if number < ALL_UNITS_TOTAL else null()).label("unit_id"),
            (c.programme_id if number == ROW else null()).label("programme_id"),
            label.label("period"),
            literal(number, Integer).label("level"),
            func.count(c.patient_id.distinct()).label("patients"),
            func.count().label("raised"),
            func.count(c.acknowledge).label("acknowledged"),
            func.count(case((c.risk_acknowledge.is_not(None), c.patient_id)).distinct()).label(
                "risk_patients"
            ),
            *middles,
        ).group_by(*(c[key] for key in group))

    parts = []
    for quarter in (False, True) if r.quarters else (False,):
        parts += [
            level(ROW, ("unit_id", "programme_id"), quarter),
            level(UNIT_TOTAL, ("unit_id",), quarter),
        ]
        if r.unit_id is None:
            parts.append(level(ALL_UNITS_TOTAL, (), quarter))
    return union_all(*parts)  # type: ignore[return-value]
