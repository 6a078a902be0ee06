"""The admin audit trail: every administrator's change, newest first, one page at a time."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l

from fit_platform.domain.codes import Role
from fit_platform.extensions import get_db
from fit_platform.services.admin_audit import admin_changes
from fit_platform.web.admin.blueprint import bp
from fit_platform.web.auth.session import login_required

PAGE_SIZE = 50

# What each audited action is called on the page; an action without a label shows its code.
ACTION_LABELS = {
    "staff_created": _l("Staff member created"),
    "identity_linked": _l("Login identity linked"),
    "identity_unlinked": _l("Login identity removed"),
    "staff_invited": _l("Staff member invited"),
    "staff_invited_again": _l("New invitation sent"),
    "invitation_accepted": _l("Invitation accepted, password set"),
    "password_link_sent": _l("Link to choose a new password sent"),
    "password_set_by_link": _l("New password chosen through a link"),
    "invitation_withdrawn": _l("Invitation withdrawn"),
    "role_added": _l("Role added"),
    "role_removed": _l("Role removed"),
    "staff_deactivated": _l("Account deactivated"),
    "staff_reactivated": _l("Account reactivated"),
    "second_factor_reset": _l("Second factor reset"),
    "access_log_exported": _l("Access log exported"),
    "patient_data_exported": _l("Patient's data downloaded (right of access)"),
    "patient_feedback_erased": _l("Patient's feedback data erased"),
    "patient_contact_corrected": _l("Patient's contact details corrected"),
    "unit_created": _l("Unit created"),
    "unit_changed": _l("Unit changed"),
    "unit_archived": _l("Unit archived"),
    "unit_restored": _l("Unit brought back"),
    "programme_created": _l("Programme created"),
    "programme_renamed": _l("Programme renamed"),
    "programme_archived": _l("Programme archived"),
    "programme_restored": _l("Programme brought back"),
    "schedule_template_created": _l("Schedule template created"),
    "schedule_template_renamed": _l("Schedule template renamed"),
    "schedule_rule_added": _l("Rule added to a schedule template"),
    "schedule_rule_changed": _l("Schedule template rule changed"),
    "episode_transferred": _l("Episode transferred to another therapist"),
    "episode_closed": _l("Episode closed"),
    "unit_instrument_enabled": _l("Questionnaire enabled for a unit"),
    "unit_instrument_disabled": _l("Questionnaire disabled for a unit"),
}


@bp.route("/audit")
@login_required(Role.ADMIN)
def audit() -> str:
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    changes, total = admin_changes(get_db(), limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    return render_template(
        "admin/audit.html",
        changes=changes,
        page=number,
        has_next=number * PAGE_SIZE < total,
        total=total,
        action_labels=ACTION_LABELS,
    )
