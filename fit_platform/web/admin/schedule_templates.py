"""Schedule templates: the plan a new episode of a unit or programme copies, with a preview of
the dates a new episode would get. The rule form is the episode schedule's own
(`web/episodes/schedule.py`), so both pages accept and refuse exactly the same rules."""

from __future__ import annotations

from collections.abc import Sequence

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from fit_platform.db.models import Programme, SchedulePlan, Unit
from fit_platform.domain.codes import ScheduleTrigger
from fit_platform.domain.instrument_language import text_in
from fit_platform.domain.instruments import Instrument, default_instruments
from fit_platform.domain.schedule_preview import LateSend, example_course, late_send
from fit_platform.domain.unit_triggers import trigger_runs_at
from fit_platform.extensions import get_db
from fit_platform.services.admin_refusal import AdminNotFound, AdminRefusal
from fit_platform.services.episode_schedule import InvalidRule
from fit_platform.services.schedule_templates import (
    TemplateDetail,
    create_template,
    list_templates,
    preview,
    rename_template,
    save_template_rule,
    template_detail,
    template_problems,
)
from fit_platform.services.unit_instruments import for_schedules_of_unit
from fit_platform.web.admin.blueprint import bp
from fit_platform.web.admin.forms import RenameForm, TemplateForm
from fit_platform.web.admin.texts import admin_message
from fit_platform.web.admin.units import admin_only, refuse
from fit_platform.web.clock import now as clock_now
from fit_platform.web.episodes.forms import TRIGGER_CHOICES, RuleForm
from fit_platform.web.episodes.schedule import change_from, get_locale_code, rule_form
from fit_platform.web.episodes.texts import show_rule_errors
from fit_platform.web.form_problems import validate_all


def _owner_choices() -> tuple[list[SelectChoice], list[SelectChoice]]:
    """Units in use, each followed by its programmes in use ("unit:<id>", "programme:<id>"),
    leaving out those that have a template: a second one is always refused, so offering them
    only led to an error (the list above links to the template they have). Returns those offered
    and those left out."""
    choices: list[SelectChoice] = []
    left_out: list[SelectChoice] = []
    with get_db().session() as session:
        taken = {
            (unit_id, programme_id)
            for unit_id, programme_id in session.execute(
                select(SchedulePlan.unit_id, SchedulePlan.programme_id).where(
                    SchedulePlan.episode_id.is_(None)
                )
            )
        }
        units = session.scalars(
            select(Unit).where(Unit.archived_at.is_(None)).order_by(Unit.name)
        ).all()
        programmes = session.scalars(
            select(Programme).where(Programme.archived_at.is_(None)).order_by(Programme.name)
        ).all()
        for unit in units:
            whole = SelectChoice(f"unit:{unit.id}", _("%(unit)s (whole unit)", unit=unit.name))
            (left_out if (unit.id, None) in taken else choices).append(whole)
            for programme in programmes:
                if programme.unit_id != unit.id:
                    continue
                choice = SelectChoice(
                    f"programme:{programme.id}",
                    _("%(unit)s: %(programme)s", unit=unit.name, programme=programme.name),
                )
                (left_out if (unit.id, programme.id) in taken else choices).append(choice)
    return choices, left_out


def _owner(value: str | None) -> tuple[int | None, int | None]:
    """The (unit id, programme id) a chosen owner stands for; no unit when `value` is not one
    of the form's choices or its programme is gone."""
    kind, _sep, raw_id = (value or "").partition(":")
    if kind not in ("unit", "programme") or not raw_id.isdigit():
        return None, None
    if kind == "unit":
        return int(raw_id), None
    with get_db().session() as session:
        programme = session.get(Programme, int(raw_id))
        return (programme.unit_id, programme.id) if programme is not None else (None, None)


@bp.route("/schedule-templates", methods=["GET", "POST"])
@admin_only
def schedule_templates() -> tuple[str, int] | Response:
    form = TemplateForm()
    offered, left_out = _owner_choices()
    # An owner left out may still be posted (an old tab): the service refuses it with "there is a
    # template for this already", clearer than the form's "not a valid choice".
    form.owner.choices = offered + left_out
    postable = {choice.value for choice in form.owner.choices}

    def chosen_owner() -> tuple[int | None, int | None]:
        return _owner(form.owner.data if form.owner.data in postable else None)

    def problems() -> list[tuple[str, str]]:
        unit_id, programme_id = chosen_owner()
        return template_problems(
            get_db(), unit_id=unit_id, programme_id=programme_id, name=form.name.data or ""
        )

    submitted = validate_all(form, problems, admin_message)
    form.owner.choices = offered
    if submitted:
        unit_id, programme_id = chosen_owner()
        try:
            if unit_id is None:
                raise AdminRefusal("owner", "unknown")
            template_id = create_template(
                get_db(),
                staff_id=g.staff.staff_id,
                unit_id=unit_id,
                programme_id=programme_id,
                name=form.name.data or "",
                now=clock_now(),
            )
        except AdminRefusal as refusal:
            refuse(form, refusal)
        else:
            flash(_("The template is created. Add its rules next."))
            return redirect(url_for("admin.schedule_template", template_id=template_id))
    return render_template(
        "admin/schedule_templates.html", templates=list_templates(get_db()), form=form
    ), (422 if form.errors else 200)


def _offered(detail: TemplateDetail) -> list[Instrument]:
    """The instruments the template's unit has enabled and that may be scheduled."""
    with get_db().session() as session:
        return for_schedules_of_unit(session, detail.summary.unit_id)


def _detail_or_404(template_id: int) -> TemplateDetail:
    try:
        return template_detail(get_db(), template_id)
    except AdminNotFound:
        abort(404)


@bp.route("/schedule-templates/<int:template_id>", methods=["GET", "POST"])
@bp.route("/schedule-templates/<int:template_id>/rules/<int:rule_id>", methods=["POST"])
@admin_only
def schedule_template(template_id: int, rule_id: int | None = None) -> tuple[str, int] | Response:
    detail = _detail_or_404(template_id)
    offered = _offered(detail)
    prefix = f"rule-{rule_id}" if rule_id is not None else "new"
    kind = detail.unit_kind
    posted = rule_form(offered, prefix=prefix, unit_kind=kind, template=True)
    if request.method == "POST" and posted.validate_on_submit():
        try:
            save_template_rule(
                get_db(),
                staff_id=g.staff.staff_id,
                template_id=template_id,
                rule_id=rule_id,
                change=change_from(posted),
                now=clock_now(),
            )
        except AdminNotFound:
            abort(404)
        except InvalidRule as error:
            show_rule_errors(posted, error.codes)
        else:
            flash(_("The template is saved. Episodes registered from now on get it."))
            return redirect(url_for("admin.schedule_template", template_id=template_id))
    forms: list[tuple[object, RuleForm]] = [
        (
            row,
            posted
            if prefix == f"rule-{row.id}"
            else rule_form(offered, row, f"rule-{row.id}", unit_kind=kind, template=True),
        )
        for row in detail.rules
    ]
    new_form = posted if prefix == "new" else rule_form(offered, unit_kind=kind, template=True)
    return _render_template_page(detail, forms, new_form)


@bp.route("/schedule-templates/<int:template_id>/rename", methods=["POST"])
@admin_only
def rename_schedule_template(template_id: int) -> tuple[str, int] | Response:
    detail = _detail_or_404(template_id)
    form = RenameForm(prefix="template")
    if form.validate_on_submit():
        try:
            rename_template(
                get_db(),
                staff_id=g.staff.staff_id,
                template_id=template_id,
                name=form.name.data or "",
                now=clock_now(),
            )
        except AdminRefusal as refusal:
            refuse(form, refusal)
        else:
            flash(_("The template is renamed."))
            return redirect(url_for("admin.schedule_template", template_id=template_id))
    offered = _offered(detail)
    kind = detail.unit_kind
    forms = [
        (row, rule_form(offered, row, f"rule-{row.id}", unit_kind=kind, template=True))
        for row in detail.rules
    ]
    return _render_template_page(
        detail, forms, rule_form(offered, unit_kind=kind, template=True), rename_form=form
    )


def _render_template_page(
    detail: TemplateDetail,
    forms: Sequence[tuple[object, RuleForm]],
    new_form: RuleForm,
    rename_form: RenameForm | None = None,
) -> tuple[str, int]:
    zone = current_app.config["FIT_SETTINGS"].zone
    now = clock_now()
    course = example_course(now, zone)
    rename_form = rename_form or RenameForm(
        prefix="template", formdata=None, data={"name": detail.summary.name}
    )
    failed = bool(new_form.errors or rename_form.errors or any(f.errors for _r, f in forms))
    enabled = {instrument.id for instrument in _offered(detail)}
    return render_template(
        "admin/schedule_template.html",
        detail=detail,
        forms=forms,
        new_form=new_form,
        rename_form=rename_form,
        course=course,
        late_send=lambda item: late_send(item, course),
        late_words={
            LateSend.AT_REGISTRATION: _("at registration: its planned time has passed"),
            LateSend.AFTER_QUIET_HOURS: _(
                "late: its planned time had passed at registration, and it waits for the "
                "end of the quiet hours"
            ),
        },
        # What a patient registered now gets: not a rule whose questionnaire the unit has
        # switched off since (`schedule_plans.copy_template_to_episode` leaves it out).
        preview=preview(
            [row for row in detail.rules if row.instrument_id in enabled],
            now=now,
            zone=zone,
            quiet_from=detail.quiet_from,
            quiet_until=detail.quiet_until,
            unit_kind=detail.unit_kind,
        ),
        trigger_labels={choice.value: choice.label for choice in TRIGGER_CHOICES},
        unit_runs_daily=trigger_runs_at(ScheduleTrigger.DAILY, detail.unit_kind),
        instrument_titles={
            instrument.id: text_in(instrument.title, get_locale_code())
            for instrument in default_instruments().values()
        },
    ), (422 if failed else 200)
