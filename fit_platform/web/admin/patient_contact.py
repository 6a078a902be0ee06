"""The administrator corrects a patient's contact details, reached from "A patient's data"
(found by unit and record id). The form and its handling are the therapist's page's
(web/episodes/contact.py); the service checks the admin role and that the patient has an
episode in the unit, logs the read and audits the change (services/contact_details.py).
"""

from __future__ import annotations

from flask import g, request, url_for

from fit_platform.domain.codes import Role
from fit_platform.services.contact_details import Reach
from fit_platform.web.admin.blueprint import bp
from fit_platform.web.admin.patient_data import _unit_arg
from fit_platform.web.auth.session import login_required
from fit_platform.web.episodes.contact import Page, contact_form_page


@bp.route("/patients/<int:patient_id>/contact", methods=["GET", "POST"])
@login_required(Role.ADMIN)
def patient_contact(patient_id: int) -> Page:
    unit_id = _unit_arg()
    # Back to the search that found the patient; url_for builds it, so it stays on this site.
    record_id = request.args.get("record_id", "")[:64]
    back = url_for("admin.patients", unit=unit_id, record_id=record_id or None)
    reach = Reach(staff_id=g.staff.staff_id, patient_id=patient_id, unit_id=unit_id)
    return contact_form_page(reach, back_url=back, done_url=back)
