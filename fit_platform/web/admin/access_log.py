"""Access review (Normen): search the access log, see flagged reads, export as CSV.

Filters travel in the query string (nothing changes by looking); the CSV export is a POST,
because it writes an admin audit row (services/access_review.py)."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as WerkzeugResponse

from fit_platform.domain.codes import Role
from fit_platform.extensions import get_db
from fit_platform.services.access_review import (
    AccessQuery,
    AccessRow,
    export_access,
    readers,
    search_access,
)
from fit_platform.services.csv_cells import safe_cell
from fit_platform.web.access_labels import staff_action
from fit_platform.web.admin.blueprint import bp
from fit_platform.web.admin.staff_forms import ROLE_NAMES, AccessFilterForm, ActionForm
from fit_platform.web.auth.session import login_required
from fit_platform.web.clock import now

PAGE_SIZE = 50
FILTERS = ("patient", "staff", "start", "end", "flagged")


def _zone() -> Any:
    return current_app.config["FIT_SETTINGS"].zone


def _filters(source: MultiDict[str, str]) -> tuple[AccessFilterForm, AccessQuery | None]:
    wanted = [(key, value) for key, value in source.items(multi=True) if key in FILTERS]
    form = AccessFilterForm(formdata=MultiDict(wanted))
    form.set_staff(readers(get_db()))
    if not form.validate():
        return form, None
    if form.start.data and form.end.data and form.end.data < form.start.data:
        form.end.errors = [_end_before_start()]
        return form, None
    staff = form.staff.data
    return form, AccessQuery(
        patient_ref=(form.patient.data or "").strip() or None,
        staff_id=staff if isinstance(staff, int) and staff > 0 else None,
        date_from=form.start.data,
        date_to=form.end.data,
        flagged_only=bool(form.flagged.data),
    )


def _end_before_start() -> str:
    return _("The end date is before the start date.")


@bp.route("/access-log")
@login_required(Role.ADMIN)
def access_log() -> tuple[str, int]:
    form, query = _filters(request.args)
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    rows: list[AccessRow] = []
    total = 0
    if query is not None:
        rows, total = search_access(
            get_db(), query, _zone(), limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
        )
    # Any: url_for takes the values as Any, and typed ones would be checked against its flags.
    kept: dict[str, Any] = {key: request.args.get(key) for key in FILTERS if request.args.get(key)}
    return render_template(
        "admin/access_log.html",
        form=form,
        rows=rows,
        total=total,
        page=number,
        has_next=number * PAGE_SIZE < total,
        newer_url=url_for("admin.access_log", page=number - 1, **kept),
        older_url=url_for("admin.access_log", page=number + 1, **kept),
        kept=kept,
        export_form=ActionForm(),
        role_names=ROLE_NAMES,
        action_label=staff_action,
        zone=_zone(),
    ), (200 if query is not None else 400)


@bp.route("/access-log/export", methods=["POST"])
@login_required(Role.ADMIN)
def access_log_export() -> Response | WerkzeugResponse:
    if not ActionForm().validate_on_submit():
        abort(400)
    _form, query = _filters(request.form)
    if query is None:
        kept: dict[str, Any] = {
            key: request.form.get(key) for key in FILTERS if request.form.get(key)
        }
        return redirect(url_for("admin.access_log", **kept))
    zone = _zone()
    rows = export_access(get_db(), g.staff.staff_id, query, zone, now())
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        ["time_local", "time_utc", "staff_id", "staff_name", "role", "unit", "patient_record",
         "action", "outside_own_patients"]
    )  # fmt: skip
    for row in rows:
        writer.writerow(
            [
                row.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                row.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                row.staff_id,
                safe_cell(row.staff_name),
                row.role.value,
                safe_cell(row.unit_name or ""),
                safe_cell(row.patient_ref),
                row.action,
                "yes" if row.flagged else "no",
            ]
        )
    stamp = now().astimezone(zone).strftime("%Y%m%d-%H%M")
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="access-log-{stamp}.csv"'},
    )
