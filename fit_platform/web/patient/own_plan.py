"""The patient's own plan pages, on the patient blueprint:

    GET/POST /p/my-crisis-plan         the crisis plan in the patient's own words
    GET/POST /p/my-standing-choices    choices that hold across the service

Reached from the choices page. The same rule as the goals page decides who may open them: the
link opened in this browser must still be open, or the patient has just proved who they are
with a one-time code (a closed link in someone else's hands shows neither page). From a closed
link without that proof the page leads to the code step, which then opens the page asked for.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from fit_platform.domain.free_text import clean_free_text
from fit_platform.domain.own_plan import (
    CHOICE_TEXT_MAX,
    PLAN_PART_MAX,
    ChoiceEventKind,
    ChoiceKind,
    PlanPart,
)
from fit_platform.extensions import get_db, limiter
from fit_platform.services import own_plan
from fit_platform.services.answering import LinkContext, LinkStatus
from fit_platform.web.form_base import FitForm
from fit_platform.web.inputs import small_int
from fit_platform.web.length_check import LengthWithCount
from fit_platform.web.own_plan_labels import CHOICE_LABELS, PLAN_HINTS, PLAN_LABELS
from fit_platform.web.patient.blueprint import (
    Page,
    _now,
    _progress_patient,
    bp,
    needs_link,
    to_code_step,
)


def _clean(value: Any) -> Any:
    return clean_free_text(value) if isinstance(value, str) else value


def _plan_field(part: PlanPart) -> TextAreaField:
    return TextAreaField(
        PLAN_LABELS[part], filters=[_clean], validators=[LengthWithCount(max=PLAN_PART_MAX)]
    )


class CrisisPlanForm(FitForm):
    warning_signs = _plan_field(PlanPart.WARNING_SIGNS)
    what_helps = _plan_field(PlanPart.WHAT_HELPS)
    who_to_call = _plan_field(PlanPart.WHO_TO_CALL)
    staff_should = _plan_field(PlanPart.STAFF_SHOULD)
    staff_should_not = _plan_field(PlanPart.STAFF_SHOULD_NOT)


class NewChoiceForm(FitForm):
    kind = RadioField(
        _l("What do you choose?"),
        choices=[SelectChoice(kind.value, label) for kind, label in CHOICE_LABELS.items()],
        validators=[InputRequired(message=_l("Choose what your choice is about."))],
    )
    text = TextAreaField(
        _l("In your own words"),
        filters=[_clean],
        validators=[LengthWithCount(max=CHOICE_TEXT_MAX)],
    )


class ChoiceTextForm(FitForm):
    text = TextAreaField(
        _l("In your own words"),
        filters=[_clean],
        validators=[LengthWithCount(max=CHOICE_TEXT_MAX)],
    )


class WithdrawForm(FitForm):
    pass


def _may_open(ctx: LinkContext) -> bool:
    return ctx.status is LinkStatus.OPEN or _progress_patient() == ctx.patient_id


def _check_first(ctx: LinkContext, then: str) -> Page:
    """A closed link without a grant: the code step, then on to this page (as for goals).
    The rule stays the same; the patient is shown the way through it instead of a dead end."""
    assert ctx.patient_id is not None
    return to_code_step(ctx.patient_id, then)


def _choice_error(code: str) -> str:
    texts = {
        "text_required": _("Write in your own words what the choice is about."),
        "too_long": _("Write at most %(max)d characters.", max=CHOICE_TEXT_MAX),
        "too_many": _("You have many choices already. Change or withdraw one first."),
    }
    return texts.get(code, _("That did not work. Please try again."))


@bp.route("/my-crisis-plan", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
@needs_link()
def crisis_plan(ctx: LinkContext) -> Page:
    if not _may_open(ctx):
        return _check_first(ctx, "crisis_plan")
    assert ctx.patient_id is not None
    newest = own_plan.newest_plan(get_db(), ctx.patient_id)
    saved = None if newest is None or newest.emptied else newest
    if request.method == "POST":
        form = CrisisPlanForm()
        if form.validate_on_submit():
            text = own_plan.clean_plan({part: form[part.value].data or "" for part in PlanPart})
            own_plan.save_crisis_plan(get_db(), ctx.patient_id, text, _now())
            flash(
                _("Your crisis plan is saved.")
                if not text.is_empty
                else _("Your crisis plan is now empty. Earlier versions are kept.")
            )
            return redirect(url_for("patient.crisis_plan"))
        status = 422
    else:
        data = {part.value: saved.text.part(part) for part in PlanPart} if saved else {}
        form = CrisisPlanForm(formdata=None, data=data)
        status = 200
    return (
        render_template(
            "patient/own_crisis_plan_edit.html",
            ctx=ctx,
            form=form,
            newest=newest,
            parts=list(PlanPart),
            hints=PLAN_HINTS,
        ),
        status,
    )


@bp.route("/my-standing-choices", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
@needs_link()
def standing_choices(ctx: LinkContext) -> Page:
    if not _may_open(ctx):
        return _check_first(ctx, "standing_choices")
    patient_id = ctx.patient_id
    assert patient_id is not None
    new_form = NewChoiceForm(prefix="new")
    errors: dict[int, list[str]] = {}
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "")
        choice_id = request.form.get("choice", type=small_int)
        try:
            if action == "add" and new_form.validate_on_submit():
                own_plan.change_choice(
                    get_db(),
                    patient_id,
                    _now(),
                    event=ChoiceEventKind.RECORDED,
                    kind=ChoiceKind(new_form.kind.data),
                    text=new_form.text.data or "",
                )
                flash(_("Your choice is saved. It holds from now on."))
                return redirect(url_for("patient.standing_choices"))
            if action == "change" and choice_id is not None:
                edit = ChoiceTextForm(prefix=f"choice{choice_id}")
                if edit.validate_on_submit():
                    own_plan.change_choice(
                        get_db(),
                        patient_id,
                        _now(),
                        event=ChoiceEventKind.CHANGED,
                        choice_id=choice_id,
                        text=edit.text.data or "",
                    )
                    flash(_("Your choice is changed. The new words hold from now on."))
                    return redirect(url_for("patient.standing_choices"))
                errors[choice_id] = [str(e) for e in edit.text.errors]
            withdraw = WithdrawForm(prefix=f"withdraw{choice_id}")
            if action == "withdraw" and choice_id is not None and withdraw.validate_on_submit():
                own_plan.change_choice(
                    get_db(),
                    patient_id,
                    _now(),
                    event=ChoiceEventKind.WITHDRAWN,
                    choice_id=choice_id,
                )
                flash(_("Your choice is withdrawn. It no longer holds. Your history is kept."))
                return redirect(url_for("patient.standing_choices"))
            if action not in {"add", "change", "withdraw"}:
                abort(400)
        except own_plan.OwnPlanError as error:
            if error.code == "unknown_choice":
                abort(404)
            if action == "change" and choice_id is not None:
                errors[choice_id] = [_choice_error(error.code)]
            else:
                new_form.text.errors = [_choice_error(error.code)]
        status = 422
    current, withdrawn = own_plan.choice_history(get_db(), patient_id)
    return (
        render_template(
            "patient/own_standing_choices.html",
            ctx=ctx,
            new_form=new_form,
            labels=CHOICE_LABELS,
            withdrawn=withdrawn,
            choices=[
                (
                    choice,
                    ChoiceTextForm(
                        prefix=f"choice{choice.choice_id}",
                        formdata=None,
                        data={"text": choice.text},
                    ),
                    errors.get(choice.choice_id, []),
                )
                for choice in current
            ],
        ),
        status,
    )


@bp.context_processor
def _own_plan_for_templates() -> dict[str, Any]:
    """``own_crisis_plan(patient_id)`` for the help box (read only when a page shows it)."""

    def own_crisis_plan(patient_id: int | None) -> own_plan.SavedPlan | None:
        return own_plan.crisis_plan(get_db(), patient_id) if patient_id is not None else None

    return {
        "own_crisis_plan": own_crisis_plan,
        "own_plan_parts": list(PlanPart),
        "own_plan_labels": PLAN_LABELS,
    }
