"""Administration: what the platform runs with.

One blueprint; each section is a module of its own that adds its routes to `bp` (imported at
the end of this file): the start page here, the instrument library, the admin audit trail,
units and programmes (`units.py`), schedule templates (`schedule_templates.py`), a unit's open
episodes (`episodes.py`).
Every admin route requires the admin role (403 otherwise) and never shows a patient's answers.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from fit_platform.domain.codes import Role
from fit_platform.extensions import get_db
from fit_platform.services.unattended import unattended_by_unit
from fit_platform.web.auth.session import login_required

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.route("/")
@login_required(Role.ADMIN)
def index() -> str:
    """The administrator's start page: every admin section, with what it is for, and first
    the units with open episodes that have no active therapist (counts, no patient)."""
    return render_template("admin/index.html", unattended=unattended_by_unit(get_db()))


# The sections register their routes on `bp` when imported.
from fit_platform.web.admin import (  # noqa: E402, F401
    access_log,
    audit,
    episodes,
    identities,
    instruments,
    patient_contact,
    patient_data,
    schedule_templates,
    staff,
    staff_deactivate,
    unit_archive,
    units,
)
