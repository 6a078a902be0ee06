"""The patient's goals for treatment, in their own words (a route on the patient blueprint,
blueprint.py). From a link that has closed, through the same code step as the progress page.

    GET/POST /p/goals          add, change or remove a goal
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from fit_platform.extensions import get_db
from fit_platform.services import progress
from fit_platform.services.answering import LinkContext, LinkStatus
from fit_platform.web.inputs import small_int
from fit_platform.web.patient import forms
from fit_platform.web.patient.blueprint import (
    Page,
    _now,
    _progress_patient,
    bp,
    needs_link,
    to_code_step,
)
from fit_platform.web.patient.readers import therapist_reads


@bp.route("/goals", methods=["GET", "POST"])
@needs_link()
def goals(ctx: LinkContext) -> Page:
    patient_id = ctx.patient_id
    assert patient_id is not None
    if ctx.status is not LinkStatus.OPEN and _progress_patient() != patient_id:
        # Goals can be changed at any time, as the page says: from a link that has closed,
        # through the same code step that keeps the progress page private.
        return to_code_step(patient_id, "goals")
    new_form = forms.GoalForm(prefix="new")
    status = 200
    errors: dict[int, list[str]] = {}
    if request.method == "POST":
        action = request.form.get("action", "")
        goal_id = request.form.get("goal", type=small_int)
        try:
            if action == "add" and new_form.validate_on_submit():
                progress.save_goal(
                    get_db(),
                    patient_id,
                    new_form.text.data or "",
                    _now(),
                    form_nonce=new_form.form_nonce.data,
                )
                flash(_("Your goal is saved."))
                return redirect(url_for("patient.goals"))
            if action == "edit" and goal_id is not None:
                edit = forms.GoalForm(prefix=f"goal{goal_id}")
                if edit.validate_on_submit():
                    progress.save_goal(
                        get_db(), patient_id, edit.text.data or "", _now(), goal_id=goal_id
                    )
                    flash(_("Your goal is saved."))
                    return redirect(url_for("patient.goals"))
                errors[goal_id] = [str(e) for e in edit.text.errors]
            archive = forms.ArchiveGoalForm(prefix=f"archive{goal_id}")
            if action == "archive" and goal_id is not None and archive.validate_on_submit():
                progress.archive_goal(get_db(), patient_id, goal_id, _now())
                flash(
                    _(
                        "The goal is removed from your list and from what your therapist "
                        "reads before your sessions."
                    )
                    if therapist_reads(ctx)
                    else _(
                        "The goal is removed from your list and from what your clinic reads "
                        "before your sessions."
                    )
                )
                return redirect(url_for("patient.goals"))
        except progress.GoalError as error:
            if error.code == "too_many":
                new_form.text.errors = [_("You have many goals already. Change or remove one.")]
            elif error.code == "empty":
                message = _("Write your goal first.")
                if action == "edit" and goal_id is not None:
                    errors[goal_id] = [message]
                else:
                    new_form.text.errors = [message]
            else:
                abort(404)
        status = 422
    current = progress.current_goals(get_db(), patient_id)
    return (
        render_template(
            "patient/goals.html",
            ctx=ctx,
            new_form=new_form,
            goals=[
                (
                    goal,
                    forms.GoalForm(
                        prefix=f"goal{goal.id}", formdata=None, data={"text": goal.text}
                    ),
                    errors.get(goal.id, []),
                )
                for goal in current
            ],
            archive_form=forms.ArchiveGoalForm(),
        ),
        status,
    )
