"""The therapist starts the patient's questionnaires again, on the clinician blueprint:

    POST /clinician/episodes/<id>/consent/restart

Offered in the pre-session view's consent panel while the patient has stopped or paused, to
the patient's own therapist only (`clinician/_consent_restart.html`); the rules are the
service's (`services/consent_restart.py`).
"""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from fit_platform.domain.codes import ConsentEventKind, Role
from fit_platform.extensions import get_db
from fit_platform.services.consent_restart import RestartNotFound, restart_feedback
from fit_platform.web.auth.session import login_required
from fit_platform.web.clinician.blueprint import bp
from fit_platform.web.clinician.forms import RestartFeedbackForm
from fit_platform.web.clock import now


@bp.route("/episodes/<int:episode_id>/consent/restart", methods=["POST"])
@login_required(Role.THERAPIST)
def restart_questionnaires(episode_id: int) -> Response:
    back = url_for("clinician.presession_page", episode_id=episode_id) + "#consent-heading"
    form = RestartFeedbackForm(prefix="restart")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(back)
    try:
        kind = restart_feedback(
            get_db(),
            staff_id=g.staff.staff_id,
            episode_id=episode_id,
            now=now(),
            zone=current_app.config["FIT_SETTINGS"].zone,
        )
    except RestartNotFound:
        abort(404)
    if kind is ConsentEventKind.RESTARTED:
        flash(_("Questionnaires are started again. The patient gets the next one on the plan."))
    elif kind is ConsentEventKind.RESUMED:
        flash(_("The pause is ended. The patient gets the next questionnaire on the plan."))
    else:
        flash(_("The patient's questionnaires were already on. Nothing was changed."))
    return redirect(back)
