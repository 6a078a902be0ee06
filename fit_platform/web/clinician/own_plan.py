"""The patient's own plan on the therapist side, on the clinician blueprint:

    POST /clinician/episodes/<id>/standing-choices   record or withdraw a standing choice
                                                     together with the patient
    GET  /clinician/episodes/<id>/crisis-plan-versions  every saved version of the crisis plan

The crisis plan and the standing choices are shown at the top of the pre-session view and in
the journal summary (`clinician/_own_plan.html`). Only the patient's own therapist records a
choice, and only with the patient: the form asks them to confirm that, and the row says
"recorded with the therapist" and who. A unit lead reads, never records.
"""

from __future__ import annotations

from typing import Any

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from fit_platform.domain.own_plan import ChoiceEventKind, ChoiceKind, PlanPart, RecordedBy
from fit_platform.extensions import get_db
from fit_platform.services import own_plan, plan_versions
from fit_platform.services.access_control import EpisodeClosed
from fit_platform.web import own_plan_labels
from fit_platform.web.clinician.blueprint import bp, clinical, presession_page_with
from fit_platform.web.clinician.forms import TherapistChoiceForm, TherapistWithdrawForm
from fit_platform.web.clinician.own_plan_shown import ADD_PREFIX, ChoiceProblem, ShownOwnPlanForms
from fit_platform.web.clock import now
from fit_platform.web.inputs import small_int
from fit_platform.web.said_here import flash_at


def _back(episode_id: int) -> Response:
    return redirect(url_for("clinician.presession_page", episode_id=episode_id) + "#own-plan")


@bp.route("/episodes/<int:episode_id>/standing-choices", methods=["POST"])
@clinical
def record_standing_choice(episode_id: int) -> Response | tuple[str, int]:
    view = own_plan.staff_view(get_db(), g.staff, episode_id, now(), log_read=False)
    if view is None:
        abort(404)
    if not view.may_record:
        abort(403)
    if not view.episode_active:
        raise EpisodeClosed(episode_id, view.ended_on)
    action = request.form.get("action", "")
    form = TherapistChoiceForm(prefix=ADD_PREFIX)
    try:
        if action == "add":
            if not form.validate_on_submit():
                return _sent_back(
                    episode_id,
                    form,
                    tuple(
                        (name, str(message))
                        for name, errors in form.errors.items()
                        for message in errors
                    ),
                )
            own_plan.change_choice(
                get_db(),
                view.patient_id,
                now(),
                event=ChoiceEventKind.RECORDED,
                kind=ChoiceKind(form.kind.data),
                text=form.text.data or "",
                recorded_by=RecordedBy.THERAPIST_WITH_PATIENT,
                staff_id=g.staff.staff_id,
            )
            flash_at("own-plan", _("The choice is recorded. It holds from now on."))
            return _back(episode_id)
        if action == "withdraw":
            choice_id = request.form.get("choice", type=small_int)
            withdraw = TherapistWithdrawForm(prefix=f"own-withdraw{choice_id}")
            if choice_id is None or not withdraw.validate_on_submit():
                flash_at(
                    "own-plan", _("Withdraw a choice only together with the patient."), error=True
                )
                return _back(episode_id)
            own_plan.change_choice(
                get_db(),
                view.patient_id,
                now(),
                event=ChoiceEventKind.WITHDRAWN,
                choice_id=choice_id,
                recorded_by=RecordedBy.THERAPIST_WITH_PATIENT,
                staff_id=g.staff.staff_id,
            )
            flash_at("own-plan", _("The choice is withdrawn. It no longer holds."))
            return _back(episode_id)
    except own_plan.OwnPlanError as error:
        if error.code == "unknown_choice":
            abort(404)
        messages = {
            "text_required": _("Write in the patient's own words what the choice is about."),
            "too_many": _("The patient has many choices already. Change or withdraw one first."),
            "too_long": _("The text is too long. Keep it under 500 characters."),
        }
        message = messages.get(error.code, _("That did not work. Please try again."))
        if action == "add":
            return _sent_back(episode_id, form, (("text", str(message)),))
        flash_at("own-plan", message, error=True)
        return _back(episode_id)
    abort(400)


def _sent_back(
    episode_id: int, form: TherapistChoiceForm, messages: tuple[tuple[str, str], ...]
) -> tuple[str, int]:
    """The pre-session view again with the choice as it was sent: a flash above a page opened
    at the top lost the words (and the form's checks once cut them at 500 characters)."""
    problem = ChoiceProblem(
        kind=form.kind.data if isinstance(form.kind.data, str) else None,
        text=form.text.data or "",
        messages=messages,
    )
    return presession_page_with(episode_id, choice_problem=problem), 422


@bp.route("/episodes/<int:episode_id>/crisis-plan-versions")
@clinical
def crisis_plan_versions(episode_id: int) -> str:
    """Every version the patient saved, newest first: what the plan said before, and a plan
    emptied by mistake. Same access rule as the pre-session view; each read is logged."""
    found = plan_versions.staff_versions(get_db(), g.staff, episode_id, now())
    if found is None:
        abort(404)
    return render_template("clinician/crisis_plan_versions.html", found=found)


@bp.context_processor
def _own_plan_for_templates() -> dict[str, Any]:
    return {
        "own_plan_labels": own_plan_labels,
        "own_plan_parts": list(PlanPart),
        "own_plan_forms": ShownOwnPlanForms,
    }
