"""Administration: what the platform runs with.

One blueprint; each section is a module of its own that adds its routes to `bp` (imported at
the end of this file): the start page here, the instrument library, the admin audit trail,
units and programmes (`units.py`), schedule templates (`schedule_templates.py`), a unit's open
episodes (`episodes.py`).
Every admin route requires the admin role (403 otherwise) and never shows a patient's answers.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from fit_platform.domain.codes import Role
from fit_platform.domain.instruments import ContentStatus, TranslationStatus, default_instruments
from fit_platform.i18n import LANGUAGE_NAMES
from fit_platform.web.auth.session import login_required

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

CONTENT_STATUS = {
    ContentStatus.VERIFIED_AGAINST_SOURCE: _l("Checked against the published source"),
    ContentStatus.SECONDARY_SOURCE_UNVERIFIED: _l(
        "From a secondary source, not yet checked against the publication"
    ),
    ContentStatus.DEMO: _l("Test instrument, not for clinical use"),
}
TRANSLATION_STATUS = {
    TranslationStatus.OFFICIAL: _l("Official text"),
    TranslationStatus.UNVALIDATED: _l("Working translation, not validated"),
}
KIND = {"outcome": _l("Outcome"), "alliance": _l("Alliance")}


@bp.route("/")
@login_required(Role.ADMIN)
def index() -> str:
    """The administrator's start page: every admin section, with what it is for."""
    return render_template("admin/index.html")


@bp.route("/instruments")
@login_required(Role.ADMIN)
def instruments() -> str:
    library = sorted(default_instruments().values(), key=lambda instrument: instrument.id)
    return render_template(
        "admin/instruments.html",
        library=library,
        locale=str(get_locale()),
        language_names=LANGUAGE_NAMES,
        content_status=CONTENT_STATUS,
        translation_status=TRANSLATION_STATUS,
        kinds=KIND,
    )


# The sections register their routes on `bp` when imported.
from fit_platform.web.admin import (  # noqa: E402, F401
    access_log,
    audit,
    episodes,
    identities,
    patient_data,
    schedule_templates,
    staff,
    units,
)
