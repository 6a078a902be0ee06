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
