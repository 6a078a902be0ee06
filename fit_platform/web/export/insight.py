"""The service developer's start page and the printable trend report.

Start page (``/export/start``): per unit, the last whole quarter's few figures that matter —
response rate, reliable improvement, alliance, time to act on a risk answer — with links to the
trends and to every figure. Report (``/export/report``): the chosen unit (or all units) over a
range of months or quarters, one SVG chart per figure with its one-sentence summary and a data
table, laid out for A4 when printed. Both read the same suppressed aggregates as the export
(one call of :func:`service_aggregates` per page), so they can show nothing the export hides.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Response, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from fit_platform.db.models import Unit
from fit_platform.domain.small_cells import MIN_PATIENTS_PER_CELL, Cell
from fit_platform.extensions import get_db
from fit_platform.services.export import (
    ALL_CODE,
    AggregateRow,
    Period,
    previous_period,
    service_aggregates,
)
from fit_platform.services.export.periods import period_containing, whole_quarters_before
from fit_platform.services.export.trends import (
    MEASURES,
    Measure,
    main_instruments,
    measure_cell,
    periods_between,
    total_rows,
    unit_trends,
)
from fit_platform.web.auth.session import settings
from fit_platform.web.clock import now
from fit_platform.web.export.blueprint import _units, bp, service_developers
from fit_platform.web.export.forms import ALL_UNITS, ExportFilterForm
from fit_platform.web.export.trend_charts import (
    MEASURE_LABELS,
    instrument_short,
    shown_value,
    trend_view,
)

REPORT_FILTERS = ("period", "start", "end", "unit")
# The report opens on two years of quarters: enough periods to see a direction.
DEFAULT_QUARTERS = 8


def today() -> dt.date:
    return now().astimezone(settings().zone).date()


@dataclass(frozen=True)
class Figure:
    measure: Measure
    label: str
    value: str  # as shown, or why it is not
    state: str  # shown | suppressed | no_data
    note: str  # the questionnaire it is on, when there is one


@dataclass(frozen=True)
class UnitCard:
    unit_id: int | None  # None: all units together
    name: str
    figures: list[Figure]


def _figure(
    row: AggregateRow | None, measure: Measure, instruments: dict[Measure, str | None]
) -> Figure:
    instrument_id = instruments.get(measure)
    cell = measure_cell(row, measure, instrument_id) if row is not None else None
    if cell is None or (not cell.suppressed and cell.value is None):
        value, state = _("no data"), "no_data"
    elif cell.secondary:
        value, state = _("hidden"), "suppressed"
    elif cell.suppressed:
        value = _("fewer than %(threshold)s", threshold=MIN_PATIENTS_PER_CELL)
        state = "suppressed"
    else:
        value, state = shown_value(measure, float(_number(cell))), "shown"
    return Figure(
        measure, str(MEASURE_LABELS[measure]), value, state, instrument_short(instrument_id)
    )


def _number(cell: Cell) -> float:
    assert cell.value is not None
    return float(cell.value)


@bp.route("/start")
@service_developers
def start() -> Response:
    """Where service developers begin: the last whole quarter, unit by unit."""
    first, last = previous_period("quarter", today())
    rows = service_aggregates(
        get_db(), period="quarter", start=first, end=last, zone=settings().zone
    )
    units = _units()
    cards = []
    for unit_id, name, code in [(None, _("All units"), None), *_unit_codes(units)]:
        totals = total_rows(rows, code)
        outcome_id, alliance_id = main_instruments(totals)
        instruments = {Measure.RELIABLE_IMPROVEMENT: outcome_id, Measure.ALLIANCE: alliance_id}
        row = totals[0] if totals else None
        cards.append(
            UnitCard(unit_id, name, [_figure(row, measure, instruments) for measure in MEASURES])
        )
    report_start = whole_quarters_before(today(), DEFAULT_QUARTERS)[0]
    html = render_template(
        "export/start.html",
        cards=cards,
        quarter=rows[0].period if rows else period_containing("quarter", first),
        first=first,
        last=last,
        report_start=report_start,
        threshold=MIN_PATIENTS_PER_CELL,
    )
    return Response(html, mimetype="text/html")


def _unit_codes(units: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
    with get_db().session() as session:
        codes = {unit_id: code for unit_id, code in session.execute(select(Unit.id, Unit.code))}
    return [(unit_id, name, codes[unit_id]) for unit_id, name in units]


def _report_form() -> ExportFilterForm:
    form = ExportFilterForm(request.args, units=_units())
    # No dates at all (a link with only the unit, say): the default range, as without any
    # filter; "Enter a start date." answered a link that asked for no date.
    if not (request.args.get("start") or request.args.get("end")):
        form.start.data, form.end.data = whole_quarters_before(today(), DEFAULT_QUARTERS)
        form.start.raw_data = [form.start.data.isoformat()]
        form.end.raw_data = [form.end.data.isoformat()]
    return form


@bp.route("/report")
@service_developers
def report() -> Response:
    """Trends of the chosen unit (or all units) over the chosen range, printable on A4."""
    form = _report_form()
    chosen = any(name in request.args for name in REPORT_FILTERS)
    if chosen and not form.validate():
        html = render_template("export/report.html", form=form, views=None, unit_label="")
        return Response(html, status=400, mimetype="text/html")
    assert form.start.data is not None and form.end.data is not None
    period: Period = "month" if form.period.data == "month" else "quarter"
    unit_id = None if form.unit.data == ALL_UNITS else int(form.unit.data)
    rows = service_aggregates(
        get_db(),
        period=period,
        start=form.start.data,
        end=form.end.data,
        unit_id=unit_id,
        zone=settings().zone,
    )
    if unit_id is None:
        unit_label, unit_code = _("all units"), None
    else:
        [(_id, unit_label, unit_code)] = [
            entry for entry in _unit_codes(_units()) if entry[0] == unit_id
        ]
    trends = unit_trends(
        rows,
        unit_code=unit_code,
        unit_name=unit_label,
        periods=periods_between(period, form.start.data, form.end.data),
    )
    running = period_containing(period, today())
    views = [
        trend_view(trend, unit_label, f"trend-{trend.measure.value}", running) for trend in trends
    ]
    figures_link = url_for(
        "export.aggregates",
        period=period,
        start=form.start.data.isoformat(),
        end=form.end.data.isoformat(),
        unit="" if unit_id is None else unit_id,
    )
    html = render_template(
        "export/report.html",
        form=form,
        views=views,
        unit_label=unit_label,
        all_units=unit_code is None,
        all_code=ALL_CODE,
        start=form.start.data,
        end=form.end.data,
        period=period,
        figures_link=figures_link,
        threshold=MIN_PATIENTS_PER_CELL,
        printed=today(),
    )
    return Response(html, mimetype="text/html")
