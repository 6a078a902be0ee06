"""The admin audit trail: every administrator's change, newest first, one page at a time,
with its codes in words (web/admin/audit_labels.py)."""

from __future__ import annotations

from flask import render_template, request

from fit_platform.domain.codes import Role
from fit_platform.extensions import get_db
from fit_platform.services.admin_audit import admin_changes
from fit_platform.web.admin.audit_labels import (
    ACTION_LABELS,
    shown_details,
    shown_target,
)
from fit_platform.web.admin.blueprint import bp
from fit_platform.web.auth.session import login_required

PAGE_SIZE = 50


@bp.route("/audit")
@login_required(Role.ADMIN)
def audit() -> str:
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    found = admin_changes(get_db(), limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    return render_template(
        "admin/audit.html",
        changes=found.changes,
        page=number,
        has_next=number * PAGE_SIZE < found.total,
        total=found.total,
        unit_names=found.unit_names,
        target_names=found.target_names,
        staff_names=found.staff_names,
        action_labels=ACTION_LABELS,
        shown_details=shown_details,
        shown_target=shown_target,
    )
