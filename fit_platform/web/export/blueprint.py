"""De-identified aggregates per unit, programme and period, for service developers.

Only service developers and administrators may open these pages. Nothing on them identifies a
patient: the service returns counts, rates and means only, with small cells suppressed.
"""

from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, Response, abort, g, render_template, request
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fit_platform.db.models import Unit
from fit_platform.domain.codes import Role
from fit_platform.domain.comment_threshold import MIN_THERAPISTS_FOR_COMMENTS
from fit_platform.domain.instruments import default_instruments
from fit_platform.domain.small_cells import MIN_PATIENTS_PER_CELL, Cell
from fit_platform.extensions import get_db
from fit_platform.services.export import (
    ALL_CODE,
    NO_PROGRAMME,
    AggregateRow,
    Period,
    service_aggregates,
)
from fit_platform.services.export.periods import period_containing, whole_quarters_before
from fit_platform.services.export_audit import record_export
from fit_platform.services.export_files import (
    CODEBOOK_VERSION,
    Separator,
    aggregates_csv,
    aggregates_json,
)
from fit_platform.services.service_comments import (
    quarter_bounds,
    quarter_of_date,
    quarters_with_comments,
    read_comments,
)
from fit_platform.web.auth.session import login_required, settings
from fit_platform.web.clock import now as clock_now
from fit_platform.web.export.forms import ALL_UNITS, ExportFilterForm, ServiceCommentsForm
from fit_platform.web.labels import REASON_LABELS

bp = Blueprint("export", __name__, url_prefix="/export", template_folder="templates")

service_developers = login_required(Role.SERVICE_DEVELOPER, Role.ADMIN)

NO_PROGRAMME_LABEL = _l("No programme")


def _units() -> list[tuple[int, str]]:
    """Every unit, by name (case aside, then id), so every export page lists them in one order;
    sorted here, not in SQL, as SQLite and PostgreSQL collate names differently."""
    with get_db().session() as session:
        rows = [(row.id, row.name) for row in session.execute(select(Unit.id, Unit.name))]
    return sorted(rows, key=lambda unit: (unit[1].casefold(), unit[0]))


FILTERS = ("period", "start", "end", "unit")
# The figures page opens on a year of whole quarters.
DEFAULT_QUARTERS = 4


def _has_filters() -> bool:
    return any(name in request.args for name in FILTERS)


def _form() -> ExportFilterForm:
    # The reader's day in clinic time, from the app's clock (tests set it).
    today = clock_now().astimezone(settings().zone).date()
    form = ExportFilterForm(request.args, units=_units())
    if not _has_filters():
        # A year of whole quarters, ending with the last one: the quarter still filling up is
        # left out, as on the start page and the report, because an episode's change is
        # counted in the quarter of its latest score up to the range's end (docs/export.md),
        # so a range running to today would show the last whole quarter with other figures
        # than the start page's link "All figures for the quarter".
        form.start.data, form.end.data = whole_quarters_before(today, DEFAULT_QUARTERS)
    return form


def _rows(form: ExportFilterForm) -> list[AggregateRow]:
    period: Period = "month" if form.period.data == "month" else "quarter"
    unit = form.unit.data
    assert form.start.data is not None and form.end.data is not None
    return service_aggregates(
        get_db(),
        period=period,
        start=form.start.data,
        end=form.end.data,
        unit_id=None if unit == ALL_UNITS else int(unit),
        zone=settings().zone,
    )


def _page(form: ExportFilterForm, rows: list[AggregateRow] | None, status: int = 200) -> Response:
    locale = str(get_locale())
    instruments = default_instruments()

    def title(instrument_id: str) -> str:
        titles = instruments[instrument_id].title
        return titles.get(locale) or titles["en"]

    def number(value: Cell, digits: int = 0) -> str:
        assert value.value is not None
        return format_decimal(value.value, format="#,##0" + ("." + "0" * digits if digits else ""))

    def percent(value: Cell) -> str:
        assert value.value is not None
        return format_percent(value.value, format="#,##0 %")

    html = render_template(
        "export/aggregates.html",
        form=form,
        rows=rows,
        threshold=MIN_PATIENTS_PER_CELL,
        no_programme=NO_PROGRAMME,
        no_programme_label=NO_PROGRAMME_LABEL,
        all_code=ALL_CODE,
        reason_labels=REASON_LABELS,
        codebook_version=CODEBOOK_VERSION,
        title=title,
        number=number,
        percent=percent,
        csv_query=request.query_string.decode("ascii", "replace"),
        # The period not over yet: its rows say their figures are those so far.
        running=period_containing(
            "month" if form.period.data == "month" else "quarter",
            clock_now().astimezone(settings().zone).date(),
        ),
    )
    return Response(html, status=status, mimetype="text/html")


@bp.route("/")
@service_developers
def aggregates() -> Response:
    form = _form()
    if _has_filters() and not form.validate():
        return _page(form, None, status=400)
    return _page(form, _rows(form))


@bp.route("/aggregates.csv")
@service_developers
def aggregates_download() -> Response:
    form = _form()
    if _has_filters() and not form.validate():
        return _page(form, None, status=400)
    separator: Separator = "comma" if form.separator.data == "comma" else "semicolon"
    rows = _rows(form)
    _audit(form, f"csv-{separator}", len(rows))
    response = Response(aggregates_csv(rows, separator), mimetype="text/csv")
    return _attachment(response, form, "csv")


@bp.route("/aggregates.json")
@service_developers
def aggregates_json_download() -> Response:
    form = _form()
    if _has_filters() and not form.validate():
        return _page(form, None, status=400)
    choice = {
        "period": str(form.period.data),
        "start": str(form.start.data),
        "end": str(form.end.data),
        "unit": "all" if form.unit.data == ALL_UNITS else str(form.unit.data),
    }
    rows = _rows(form)
    _audit(form, "json", len(rows))
    body = json.dumps(aggregates_json(rows, choice=choice), ensure_ascii=False, indent=1)
    return _attachment(Response(body, mimetype="application/json"), form, "json")


def _audit(form: ExportFilterForm, file_format: str, rows: int) -> None:
    assert form.start.data is not None and form.end.data is not None
    record_export(
        get_db(),
        staff_id=g.staff.staff_id,
        file_format=file_format,
        period=str(form.period.data),
        start=form.start.data,
        end=form.end.data,
        unit_id=None if form.unit.data == ALL_UNITS else int(form.unit.data),
        rows=rows,
        now=clock_now(),
    )


def _attachment(response: Response, form: ExportFilterForm, extension: str) -> Response:
    filename = f"aggregates-{form.period.data}-{form.start.data}-{form.end.data}.{extension}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/comments")
@service_developers
def comments() -> Response:
    """Comments patients sent to the service only, per unit (or pooled) and quarter.

    Anyone who also holds a clinical role is refused: a therapist or unit lead could match a
    text to a patient they know, and the patient was told their therapist would not see it.
    Texts are shown only for ended quarters and where enough patients and therapists stand
    behind them (``services.service_comments.read_comments``); every reading is recorded in
    the export audit (format ``comments``, with the number of texts shown).
    """
    if g.staff.has_role(Role.THERAPIST) or g.staff.has_role(Role.UNIT_LEAD):
        abort(403)
    units = _units()
    quarters = quarters_with_comments(get_db())
    current = quarter_of_date(clock_now().astimezone(settings().zone).date())
    # Only the running quarter to offer: the page says no ended quarter has any, rather than
    # leave the reader to wonder why the one quarter listed cannot be read yet.
    none_ended = all(quarter == current for quarter in quarters)
    if current not in quarters:
        quarters = sorted([*quarters, current], reverse=True)
    form = ServiceCommentsForm(request.args, units=units, quarters=quarters)
    chosen = "unit" in request.args or "quarter" in request.args
    if not chosen:
        # The newest quarter whose texts can be read (it has ended), else the current one.
        form.quarter.data = next((q for q in quarters if q != current), current)
        form.unit.data = units[0][0] if units else None
    status = 200
    reading = None
    if chosen and not form.validate():
        status = 400
    elif units:
        unit_id = None if form.unit.data == ALL_UNITS else int(form.unit.data)
        quarter = str(form.quarter.data)
        reading = read_comments(get_db(), unit_id, quarter, settings().zone, clock_now())
        _audit_reading(unit_id, quarter, len(reading.comments))
    unit_name = dict(units).get(form.unit.data) if reading is not None else None
    html = render_template(
        "export/service_comments.html",
        form=form,
        reading=reading,
        unit_name=unit_name,
        quarter=form.quarter.data,
        min_patients=MIN_PATIENTS_PER_CELL,
        min_therapists=MIN_THERAPISTS_FOR_COMMENTS,
        all_units=ALL_UNITS,
        title=_instrument_title,
        none_ended=none_ended,
    )
    return Response(html, status=status, mimetype="text/html")


def _audit_reading(unit_id: int | None, quarter: str, texts: int) -> None:
    """Patients' own words were read (or held back): who, which unit and quarter, how many."""
    zone = settings().zone
    start, end = quarter_bounds(quarter, zone)
    record_export(
        get_db(),
        staff_id=g.staff.staff_id,
        file_format="comments",
        period="quarter",
        start=start.astimezone(zone).date(),
        end=(end.astimezone(zone) - dt.timedelta(days=1)).date(),
        unit_id=unit_id,
        rows=texts,
        now=clock_now(),
    )


def _instrument_title(instrument_id: str) -> str:
    instrument = default_instruments().get(instrument_id)
    if instrument is None:
        return instrument_id
    return instrument.title.get(str(get_locale())) or instrument.title["en"]


# The start page, the trend report and the codebook add their routes to `bp`.
from fit_platform.web.export import codebook, insight  # noqa: E402, F401
