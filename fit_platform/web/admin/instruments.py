"""The instrument library: what is installed, whether it may be sent, and which units use it.

The page lists every loaded definition (version, licence, item-text status, each language's
status, and for a draft why it cannot be scheduled), the files of the service's own folder
that could not be loaded (file and field), and per unit a switch for each schedulable
instrument. Each switch is a POST that writes an admin audit row.
"""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from fit_platform.domain.codes import Role
from fit_platform.domain.instrument_language import text_in
from fit_platform.domain.instruments import (
    ContentStatus,
    Instrument,
    TranslationStatus,
    instrument_library,
)
from fit_platform.domain.schedulability import NotSchedulable, why_not_schedulable
from fit_platform.extensions import get_db
from fit_platform.i18n import labels_as_text
from fit_platform.services.unit_instruments import (
    CannotEnable,
    UnitNotFound,
    set_enabled,
    units_with_instruments,
)
from fit_platform.web.admin.blueprint import bp
from fit_platform.web.auth.session import login_required
from fit_platform.web.clock import now
from fit_platform.web.labels import LANGUAGE_LABELS
from fit_platform.web.said_here import flash_at

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
NOT_SCHEDULABLE = {
    NotSchedulable.DRAFT: _l(
        "No: this definition is a draft. Its wording or answer scale is not yet checked "
        "against the publication, so it is never sent to patients and cannot be enabled."
    ),
    NotSchedulable.RETIRED: _l("No: this definition is retired and is never sent to patients."),
    NotSchedulable.UNKNOWN: _l("No: not installed."),
}
# A draft that is a test form (contentStatus "demo", such as VAS-demo) has no publication to be
# checked against: it is refused because it is a test form, and the page says so.
TEST_FORM_NOT_SCHEDULABLE = _l(
    "No: this is a test form with made-up items for trying the platform out, not a"
    " questionnaire from a publication, so it is never sent to patients and cannot be enabled."
)
TEST_FORM_CANNOT_ENABLE = _l("A test form cannot be enabled: it is never sent to patients.")


def _is_test_form(instrument: Instrument | None) -> bool:
    return instrument is not None and instrument.content_status is ContentStatus.DEMO


def _not_schedulable(instrument: Instrument, reason: NotSchedulable) -> str:
    if reason is NotSchedulable.DRAFT and _is_test_form(instrument):
        return str(TEST_FORM_NOT_SCHEDULABLE)
    return str(NOT_SCHEDULABLE[reason])


CANNOT_ENABLE = {
    NotSchedulable.DRAFT: _l("A draft questionnaire cannot be enabled."),
    NotSchedulable.RETIRED: _l("A retired questionnaire cannot be enabled."),
    NotSchedulable.UNKNOWN: _l("There is no such questionnaire."),
}


@bp.route("/instruments")
@login_required(Role.ADMIN)
def instruments() -> str:
    library = instrument_library()
    installed = sorted(library.instruments.values(), key=lambda instrument: instrument.id)
    locale = str(get_locale())
    reasons = {i.id: reason for i in installed if (reason := why_not_schedulable(i))}
    return render_template(
        "admin/instruments.html",
        library=installed,
        problems=library.problems,
        extra_dirs=library.extra_dirs,
        locale=locale,
        language_labels=labels_as_text(LANGUAGE_LABELS),
        content_status=CONTENT_STATUS,
        translation_status=TRANSLATION_STATUS,
        kinds=KIND,
        not_schedulable={
            i.id: _not_schedulable(i, reasons[i.id]) for i in installed if i.id in reasons
        },
        schedulable=[i for i in installed if i.id not in reasons],
        titles={i.id: text_in(i.title, locale) for i in installed},
        units=units_with_instruments(get_db()),
    )


@bp.route("/instruments/units/<int:unit_id>/<instrument_id>", methods=["POST"])
@login_required(Role.ADMIN)
def switch_unit_instrument(unit_id: int, instrument_id: str) -> Response:
    """Enable (`enabled=1`) or disable (`enabled=0`) one instrument for one unit."""
    wanted = request.form.get("enabled")
    if wanted not in ("0", "1") or len(instrument_id) > 64:
        abort(400)
    try:
        changed = set_enabled(
            get_db(),
            staff_id=g.staff.staff_id,
            unit_id=unit_id,
            instrument_id=instrument_id,
            enabled=wanted == "1",
            now=now(),
        )
    except UnitNotFound:
        abort(404)
    except CannotEnable as refusal:
        test_form = refusal.reason is NotSchedulable.DRAFT and _is_test_form(
            instrument_library().instruments.get(instrument_id)
        )
        flash_at(
            f"unit-{unit_id}",
            str(TEST_FORM_CANNOT_ENABLE if test_form else CANNOT_ENABLE[refusal.reason]),
            error=True,
        )
    else:
        # Said at the unit's table, where the page opens after the switch.
        flash_at(
            f"unit-{unit_id}",
            _("Saved. The change is recorded in the admin audit trail.")
            if changed
            else _("Nothing to change: it was already so."),
        )
    return redirect(url_for("admin.instruments", _anchor=f"unit-{unit_id}"))
