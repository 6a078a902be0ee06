"""A patient's data for the administrator: find by unit and record id, download everything as
JSON (right of access), erase the feedback data (docs/privacy.md).

The pages show who the patient is and how much is held, never answers or comments; the
content leaves only in the export file. Every find, export and erasure is access-logged and
the export and erasure are audited (services/patient_data.py).
"""

from __future__ import annotations

import json

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from fit_platform.domain.codes import Role
from fit_platform.extensions import get_db
from fit_platform.services import patient_data
from fit_platform.services.patient_data import ErasureError
from fit_platform.services.patient_export import export_patient
from fit_platform.web.admin.blueprint import bp
from fit_platform.web.admin.patient_data_forms import EraseForm, ExportForm, FindPatientForm
from fit_platform.web.admin.patient_export_text import name_codes
from fit_platform.web.auth.session import login_required
from fit_platform.web.clock import now
from fit_platform.web.labels import CONSENT_STATE


def _count_labels() -> dict[str, str]:
    """What the summary's counts are called, in the order shown."""
    return {
        "responses": _("Questionnaire answers"),
        "answers": _("Answers to single questions"),
        "comments": _("Comments"),
        "goals": _("Goals"),
        "session_topics": _("Topics for the next session"),
        "decisions": _("Shared decisions"),
        "signals": _("Signals"),
        "link_tokens": _("Questionnaire links"),
        "one_time_codes": _("One-time codes"),
        "crisis_plan_versions": _("Versions of the crisis plan"),
        "standing_choice_events": _("Standing choices (every change)"),
    }


def _unit_arg() -> int:
    """The unit from the address or form; anything that cannot be a unit id is a 404."""
    raw = request.values.get("unit", "")
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) < 2**31:
        abort(404)
    return int(raw)


@bp.route("/patients")
@login_required(Role.ADMIN)
def patients() -> tuple[str, int] | str:
    db = get_db()
    form = FindPatientForm(request.args)
    form.unit.choices = [(unit.id, unit.name) for unit in patient_data.units(db)]
    searched = "record_id" in request.args or "unit" in request.args
    summary = None
    status = 200
    if searched:
        if form.validate():
            summary = patient_data.find_patient(
                db,
                unit_id=form.unit.data,
                external_id=form.record_id.data or "",
                staff_id=g.staff.staff_id,
                now=now(),
            )
            if summary is None:
                status = 404
        else:
            status = 400
    html = render_template(
        "admin/patients.html",
        form=form,
        searched=searched and status != 400,
        summary=summary,
        export_form=ExportForm(),
        count_labels=_count_labels(),
        consent_labels=CONSENT_STATE,
    )
    return html, status


@bp.route("/patients/<int:patient_id>/export", methods=["POST"])
@login_required(Role.ADMIN)
def patient_export(patient_id: int) -> Response:
    form = ExportForm()
    if not form.validate_on_submit():
        abort(400)
    data = export_patient(
        get_db(),
        patient_id=patient_id,
        unit_id=_unit_arg(),
        staff_id=g.staff.staff_id,
        now=now(),
    )
    if data is None:
        abort(404)
    name_codes(data)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    stamp = now().strftime("%Y%m%d")
    # The file name carries the platform's own id, never the record id or the name.
    response.headers["Content-Disposition"] = (
        f'attachment; filename="patient-{patient_id}-data-{stamp}.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/patients/<int:patient_id>/erase", methods=["GET", "POST"])
@login_required(Role.ADMIN)
def patient_erase(patient_id: int) -> Response | tuple[str, int] | str:
    db = get_db()
    unit_id = _unit_arg()
    form = EraseForm()
    status = 200
    if form.validate_on_submit():
        try:
            patient_data.erase_feedback(
                db,
                patient_id=patient_id,
                unit_id=unit_id,
                staff_id=g.staff.staff_id,
                confirmation=form.confirmation.data or "",
                reason=form.reason.data or "",
                now=now(),
                zone=current_app.config["FIT_SETTINGS"].zone,
            )
        except ErasureError as error:
            if error.code == "not_found":
                abort(404)
            if error.code == "confirmation":
                form.confirmation.errors = [
                    _("This is not the patient's record id. Nothing was erased.")
                ]
            else:
                form.reason.errors = [_("Give the reason for the erasure.")]
            status = 400
        else:
            flash(
                _("The patient's feedback data is erased. The admin audit trail has a row for it.")
            )
            # The confirmation matched, so it is the record id to show the patient again by.
            record_id = (form.confirmation.data or "").strip()
            return redirect(url_for("admin.patients", unit=unit_id, record_id=record_id))
    elif request.method == "POST":
        status = 400
    summary = patient_data.summary_for_erasure(
        db, patient_id=patient_id, unit_id=unit_id, staff_id=g.staff.staff_id, now=now()
    )
    if summary is None:
        abort(404)
    html = render_template(
        "admin/patient_erase.html",
        form=form,
        summary=summary,
        count_labels=_count_labels(),
    )
    return html, status
