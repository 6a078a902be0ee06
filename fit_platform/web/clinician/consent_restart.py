"""The therapist starts the patient's questionnaires again, on the clinician blueprint:

    POST /clinician/episodes/<id>/consent/restart

Offered in the pre-session view's consent panel while the patient has stopped or paused, to
the patient's own therapist only (`clinician/_consent_restart.html`); the rules are the
service's (`services/consent_restart.py`).
"""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
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
    # The page's top, where the confirmation (or the refusal) is: sent to the consent panel
    # at the foot of the view, the therapist saw the panel and not what was said.
    back = url_for("clinician.presession_page", episode_id=episode_id)
    form = RestartFeedbackForm(prefix="restart")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(back)
    try:
        restarted = restart_feedback(
            get_db(),
            staff_id=g.staff.staff_id,
            episode_id=episode_id,
            now=now(),
            zone=current_app.config["FIT_SETTINGS"].zone,
            min_window=current_app.config["FIT_SETTINGS"].min_answer_window,
        )
    except RestartNotFound:
        abort(404)
    if restarted is None:
        flash(_("The patient's questionnaires were already on. Nothing was changed."))
        return redirect(back)
    said = (
        _("Questionnaires are started again. The patient gets the next one on the plan.")
        if restarted.kind is ConsentEventKind.RESTARTED
        else _("The pause is ended. The patient gets the next questionnaire on the plan.")
    )
    if restarted.reopened:
        # Her old link works again: without this she would wait for a new message that is
        # not coming (the questionnaire she holds is the one for her next session).
        said += " " + ngettext(
            "A questionnaire the pause or stop had closed is open again: she can answer it "
            "from the link she already has (or it is sent at its own time, if it had not "
            "gone yet).",
            "%(num)d questionnaires the pause or stop had closed are open again: she can "
            "answer them from the links she already has (or they are sent at their own time, "
            "if they had not gone yet).",
            restarted.reopened,
        )
    flash(said)
    return redirect(back)
