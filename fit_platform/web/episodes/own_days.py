"""The patient's own days in a day programme, chosen with the therapist, on the episodes
blueprint:

    GET/POST /clinician/episodes/<id>/own-days

Only the episode's therapists (unit leads read the pre-session view; they do not plan
schedules); anyone else gets 404. Reads and changes are access-logged by the service. An
ended episode's days, or those at an archived unit, are shown without the form, and a posted
one is refused.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from fit_platform.domain.codes import Role
from fit_platform.domain.own_plan import RecordedBy
from fit_platform.extensions import get_db
from fit_platform.services import own_days
from fit_platform.services.access_control import EpisodeClosed
from fit_platform.web.auth.session import login_required
from fit_platform.web.clock import now
from fit_platform.web.episode_closed import closed_message
from fit_platform.web.episodes.blueprint import bp
from fit_platform.web.own_days_form import day_list, own_days_form


def _refused_archived(episode_id: int) -> Response:
    """An archived unit sends nothing: the patient's days are read, not changed."""
    flash(
        _("The patient's days were not changed: the unit is archived and sends nothing."), "error"
    )
    return redirect(url_for("episodes.own_days_page", episode_id=episode_id), code=303)


@bp.route("/episodes/<int:episode_id>/own-days", methods=["GET", "POST"])
@login_required(Role.THERAPIST)
def own_days_page(episode_id: int) -> str | Response | tuple[str, int]:
    state = own_days.therapist_own_days(get_db(), g.staff.staff_id, episode_id, now=now())
    if state is None:
        abort(404)
    if not state.episode_active and request.method == "POST":
        # The same answer as every other change on an ended episode, before the form's own
        # checks: the page it came from is read-only now.
        raise EpisodeClosed(episode_id, state.ended_on)
    if state.unit_archived and request.method == "POST":
        # Refused like the schedule page (episodes/schedule.py), before the form's checks.
        return _refused_archived(episode_id)
    form = own_days_form(state.programme_days, state.own_days, request.method == "POST")
    status = 200
    if request.method == "POST" and state.applies:
        if form.validate_on_submit():
            try:
                own_days.set_own_days(
                    get_db(),
                    episode_id,
                    frozenset(form.days.data or ()),
                    now(),
                    by=RecordedBy.THERAPIST_WITH_PATIENT,
                    staff_id=g.staff.staff_id,
                )
            except own_days.OwnDaysError as error:
                if error.code == "not_found":
                    abort(404)
                if error.code == "unit_archived":
                    return _refused_archived(episode_id)
                form.days.errors = [
                    _("Choose only days the programme runs.")
                    if error.code == "outside_programme"
                    else _("Choose at least one day.")
                    if error.code == "no_day"
                    else _("The episode has ended.")
                ]
            else:
                flash(_("The patient's days are saved. Questionnaires follow them from now on."))
                return redirect(url_for("episodes.own_days_page", episode_id=episode_id))
        status = 422
    return (
        render_template(
            "episodes/own_days.html",
            episode_id=episode_id,
            state=state,
            form=form,
            programme=day_list(state.programme_days),
            mine=day_list(state.own_days),
            closed_message=None if state.episode_active else closed_message(state.ended_on),
        ),
        status,
    )
