"""Every level of total of an export statement: its rows (a unit's programme), each unit's
total and the all-units total, in one ``UNION ALL`` (``level`` 0, 1, 2), by month and, when the
range asks for it, by quarter too (`statements.py` builds what goes in).

Figures are summed once per row and added up per level (a sum of a level is the sum of its
rows' sums); patients are counted from rows of one patient each, grouped per level, since a
patient in two programmes of a unit counts once in the unit's total and a quarter's patients
cannot be added up from its months.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, Select, and_, func, literal, null, select, union_all

from fit_platform.services.export.periods import period_label, quarter_of_month

if TYPE_CHECKING:
    from fit_platform.services.export.statements import Range

# The level of a row from the database: a unit's programme (or no programme), the unit's
# total, the all-units total.
ROW, UNIT_TOTAL, ALL_UNITS_TOTAL = 0, 1, 2


def levels_of_total(
    r: Range,
    per_patient: Any,
    row_figures: Any,
    figures: tuple[str, ...],
    *,
    counted: tuple[str, ...] = (),
    distinct: tuple[str, ...] = (),
    by_quarter: dict[str, str] | None = None,
) -> Select[Any]:
    """Rows, unit totals and (for all units) the all-units total.

    Patients come from ``per_patient``, one row per patient in a row (unit, programme,
    period and the ``counted`` columns, such as the instrument), so a patient in two
    programmes of a unit is two rows there and one patient in the unit's total; ``distinct``
    columns there hold the patient or NULL (a flag), counted like the patients. The summed
    ``figures`` come from ``row_figures``, one row per row of the export: a sum of a level is
    the sum of its rows' sums, so only the patients are counted from the per-patient rows,
    which carry no figures (summing a dozen figures per patient at every level cost more than
    half of the invitation statement once months and quarters were both counted). With
    ``r.quarters`` every level comes by quarter as well, a ``distinct`` column read from the
    column ``by_quarter`` names for it (a flag that depends on the quarter, not the month).

    No DISTINCT aggregate: a level first groups the per-patient rows by its key and the
    patient (one row per patient), then counts those rows; both are hash aggregates, where
    a count of distinct patients sorted every per-patient row with all its figures."""
    c = per_patient.c
    f = row_figures.c

    def level(number: int, keys: list[str], quarter: bool) -> Select[Any]:
        group = [*keys, *counted]
        if quarter:
            source = by_quarter or {}
            period = quarter_of_month(r.dialect, c.period)
        else:
            source, period = {}, c.period
        if number == ROW and not quarter:
            patients: Any = per_patient  # one row per patient already
        else:
            patients = (
                select(
                    *(c[key] for key in group),
                    period.label("period"),
                    c.patient_id,
                    *(func.max(c[source.get(name, name)]).label(name) for name in distinct),
                )
                .group_by(*(c[key] for key in group), period, c.patient_id)
                .subquery()
            )
        p = patients.c
        counts = (
            select(
                *(p[key] for key in group),
                p.period,
                func.count().label("patients"),
                *(func.count(p[name]).label(name) for name in distinct),
            )
            .group_by(*(p[key] for key in group), p.period)
            .subquery()
        )
        figure_period = quarter_of_month(r.dialect, f.period) if quarter else f.period
        sums = (
            select(
                *(f[key] for key in group),
                figure_period.label("period"),
                *(func.sum(f[name]).label(name) for name in figures),
            )
            .group_by(*(f[key] for key in group), figure_period)
            .subquery()
        )
        k, s = counts.c, sums.c
        same_row = and_(
            *(k[key].is_not_distinct_from(s[key]) for key in group), k.period == s.period
        )
        label = period_label(r.dialect, k.period, "quarter") if quarter else r.label(k.period)
        return select(
            (k.unit_id if number < ALL_UNITS_TOTAL else null()).label("unit_id"),
            (k.programme_id if number == ROW else null()).label("programme_id"),
            label.label("period"),
            literal(number, Integer).label("level"),
            *(k[name] for name in counted),
            k.patients,
            *(k[name] for name in distinct),
            *(s[name] for name in figures),
        ).select_from(counts.join(sums, same_row))

    parts = []
    for quarter in (False, True) if r.quarters else (False,):
        parts += [
            level(ROW, ["unit_id", "programme_id"], quarter),
            level(UNIT_TOTAL, ["unit_id"], quarter),
        ]
        if r.unit_id is None:
            parts.append(level(ALL_UNITS_TOTAL, [], quarter))
    return union_all(*parts)  # type: ignore[return-value]
