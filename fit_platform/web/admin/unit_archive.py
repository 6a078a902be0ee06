"""The step before archiving a unit with open episodes: what it leaves behind (counts and a
link to the unit's episodes page, no patient), then the archive button. Like deactivating a
behandler (`staff_deactivate.py`): the unit page's button leads here when episodes are open;
the archiving itself stays `units.archive_unit` (docs/administration.md)."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from werkzeug.wrappers import Response

from fit_platform.extensions import get_db
from fit_platform.services.unit_archive_preview import archive_preview
from fit_platform.web.admin.blueprint import bp
from fit_platform.web.admin.forms import ConfirmForm
from fit_platform.web.admin.units import _unit_or_404, admin_only


@bp.route("/units/<int:unit_id>/archive", methods=["GET"])
@admin_only
def archive_unit_confirm(unit_id: int) -> str | Response:
    unit = _unit_or_404(unit_id)
    if unit.archived:
        return redirect(url_for("admin.unit", unit_id=unit_id))
    return render_template(
        "admin/unit_archive.html",
        unit=unit,
        preview=archive_preview(get_db(), unit_id),
        confirm_form=ConfirmForm(),
    )
