"""Units and their programmes: list, create, edit what patients see and the quiet hours,
archive and bring back (docs/administration.md)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from fit_platform.domain.codes import Role, UnitKind
from fit_platform.extensions import get_db
from fit_platform.services.admin_refusal import AdminNotFound, AdminRefusal
from fit_platform.services.programmes_admin import (
    create_programme,
    programme_problems,
    rename_programme,
    set_programme_archived,
)
from fit_platform.services.units_admin import (
    UnitSettings,
    UnitSummary,
    create_unit,
    list_units,
    set_unit_archived,
    unit_settings_problems,
    unit_summary,
    update_unit,
)
from fit_platform.web.admin.blueprint import bp
from fit_platform.web.admin.forms import (
    UNIT_KIND_CHOICES,
    ConfirmForm,
    ProgrammeForm,
    RenameForm,
    UnitForm,
)
from fit_platform.web.admin.texts import admin_message
from fit_platform.web.auth.session import login_required
from fit_platform.web.clock import now as clock_now
from fit_platform.web.form_base import FitForm
from fit_platform.web.form_problems import show_problems, validate_all

admin_only = login_required(Role.ADMIN)
KIND_LABELS = {choice.value: choice.label for choice in UNIT_KIND_CHOICES}


def _settings_from(form: UnitForm) -> UnitSettings:
    return UnitSettings(
        code=form.code.data or "",
        name=form.name.data or "",
        # A kind not offered is the form's own error; the service's check does not read it.
        kind=UnitKind(form.kind.data) if form.kind.data in KIND_LABELS else UnitKind.OUTPATIENT,
        phone=form.phone.data,
        opening_hours=form.opening_hours.data,
        quiet_from=form.quiet_from.data or "",
        quiet_until=form.quiet_until.data or "",
        message_name=form.message_name.data,
        opening_hours_nn=form.opening_hours_nn.data,
        opening_hours_en=form.opening_hours_en.data,
    )


def refuse(form: FitForm, refusal: AdminRefusal) -> None:
    """Put each of the service's translated refusals on the form field it names."""
    show_problems(form, refusal.problems, admin_message)


@bp.route("/units", methods=["GET", "POST"])
@admin_only
def units() -> tuple[str, int] | Response:
    form = UnitForm(prefix="new")
    if validate_all(
        form, lambda: unit_settings_problems(get_db(), _settings_from(form), None), admin_message
    ):
        try:
            unit_id = create_unit(
                get_db(), staff_id=g.staff.staff_id, settings=_settings_from(form), now=clock_now()
            )
        except AdminRefusal as refusal:
            refuse(form, refusal)
        else:
            flash(_("The unit is created. Add its programmes and a schedule template next."))
            return redirect(url_for("admin.unit", unit_id=unit_id))
    return render_template(
        "admin/units.html", units=list_units(get_db()), form=form, kind_labels=KIND_LABELS
    ), (422 if form.errors else 200)


def _unit_or_404(unit_id: int) -> UnitSummary:
    try:
        return unit_summary(get_db(), unit_id)
    except AdminNotFound:
        abort(404)


def _unit_form(summary: UnitSummary, *, posted: bool = False) -> UnitForm:
    """The settings form: what was posted to it, else the stored settings (also when another
    form on the page was posted, so its fields never come back empty)."""
    if posted:
        return UnitForm(prefix="unit")
    settings = summary.settings
    return UnitForm(
        prefix="unit",
        formdata=None,
        data={
            "name": settings.name,
            "code": settings.code,
            "kind": settings.kind.value,
            "phone": settings.phone,
            "opening_hours": settings.opening_hours,
            "opening_hours_nn": settings.opening_hours_nn,
            "opening_hours_en": settings.opening_hours_en,
            "quiet_from": settings.quiet_from,
            "quiet_until": settings.quiet_until,
            "message_name": settings.message_name,
        },
    )


def _render_unit(
    summary: UnitSummary,
    *,
    unit_form: UnitForm | None = None,
    programme_form: ProgrammeForm | None = None,
    rename_forms: dict[int, RenameForm] | None = None,
) -> tuple[str, int]:
    unit_form = unit_form or _unit_form(summary)
    programme_form = programme_form or ProgrammeForm(prefix="programme", formdata=None)
    renames = {
        programme.id: RenameForm(
            prefix=f"rename-{programme.id}", formdata=None, data={"name": programme.name}
        )
        for programme in summary.programmes
    }
    renames.update(rename_forms or {})
    failed = unit_form.errors or programme_form.errors or any(f.errors for f in renames.values())
    return render_template(
        "admin/unit.html",
        unit=summary,
        unit_form=unit_form,
        programme_form=programme_form,
        rename_forms=renames,
        confirm_form=ConfirmForm(),
        kind_labels=KIND_LABELS,
    ), (422 if failed else 200)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@admin_only
def unit(unit_id: int) -> tuple[str, int] | Response:
    summary = _unit_or_404(unit_id)
    form = _unit_form(summary, posted=request.method == "POST")
    if validate_all(
        form, lambda: unit_settings_problems(get_db(), _settings_from(form), unit_id), admin_message
    ):
        try:
            changed = update_unit(
                get_db(),
                staff_id=g.staff.staff_id,
                unit_id=unit_id,
                settings=_settings_from(form),
                now=clock_now(),
            )
        except AdminRefusal as refusal:
            refuse(form, refusal)
        else:
            flash(_("The unit is saved.") if changed else _("Nothing was changed."))
            return redirect(url_for("admin.unit", unit_id=unit_id))
    return _render_unit(summary, unit_form=form)


@bp.route("/units/<int:unit_id>/archive", methods=["POST"])
@admin_only
def archive_unit(unit_id: int) -> Response:
    return _set_archived(unit_id, archived=True)


@bp.route("/units/<int:unit_id>/restore", methods=["POST"])
@admin_only
def restore_unit(unit_id: int) -> Response:
    return _set_archived(unit_id, archived=False)


def _set_archived(unit_id: int, *, archived: bool) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        cancelled = set_unit_archived(
            get_db(), staff_id=g.staff.staff_id, unit_id=unit_id, archived=archived, now=clock_now()
        )
    except AdminNotFound:
        abort(404)
    if archived:
        flash(
            _(
                "The unit is archived. It takes no new patients and sends nothing new; "
                "%(count)s unanswered questionnaires were cancelled.",
                count=cancelled,
            )
        )
    else:
        flash(_("The unit is in use again."))
    return redirect(url_for("admin.unit", unit_id=unit_id))


@bp.route("/units/<int:unit_id>/programmes", methods=["POST"])
@admin_only
def add_programme(unit_id: int) -> tuple[str, int] | Response:
    summary = _unit_or_404(unit_id)
    form = ProgrammeForm(prefix="programme")
    if validate_all(
        form,
        lambda: programme_problems(
            get_db(), unit_id=unit_id, code=form.code.data or "", name=form.name.data or ""
        ),
        admin_message,
    ):
        try:
            create_programme(
                get_db(),
                staff_id=g.staff.staff_id,
                unit_id=unit_id,
                code=form.code.data or "",
                name=form.name.data or "",
                now=clock_now(),
            )
        except AdminRefusal as refusal:
            refuse(form, refusal)
        else:
            flash(_("The programme is added."))
            return redirect(url_for("admin.unit", unit_id=unit_id))
    return _render_unit(summary, programme_form=form)


@bp.route("/units/<int:unit_id>/programmes/<int:programme_id>/rename", methods=["POST"])
@admin_only
def rename_programme_page(unit_id: int, programme_id: int) -> tuple[str, int] | Response:
    summary = _unit_or_404(unit_id)
    if programme_id not in {programme.id for programme in summary.programmes}:
        abort(404)
    form = RenameForm(prefix=f"rename-{programme_id}")
    if form.validate_on_submit():
        try:
            rename_programme(
                get_db(),
                staff_id=g.staff.staff_id,
                programme_id=programme_id,
                name=form.name.data or "",
                now=clock_now(),
            )
        except AdminRefusal as refusal:
            refuse(form, refusal)
        else:
            flash(_("The programme is renamed."))
            return redirect(url_for("admin.unit", unit_id=unit_id))
    return _render_unit(summary, rename_forms={programme_id: form})


@bp.route("/units/<int:unit_id>/programmes/<int:programme_id>/archive", methods=["POST"])
@admin_only
def archive_programme(unit_id: int, programme_id: int) -> Response:
    return _set_programme_archived(unit_id, programme_id, archived=True)


@bp.route("/units/<int:unit_id>/programmes/<int:programme_id>/restore", methods=["POST"])
@admin_only
def restore_programme(unit_id: int, programme_id: int) -> Response:
    return _set_programme_archived(unit_id, programme_id, archived=False)


def _set_programme_archived(unit_id: int, programme_id: int, *, archived: bool) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    summary = _unit_or_404(unit_id)
    if programme_id not in {programme.id for programme in summary.programmes}:
        abort(404)
    set_programme_archived(
        get_db(),
        staff_id=g.staff.staff_id,
        programme_id=programme_id,
        archived=archived,
        now=clock_now(),
    )
    flash(_("The programme is archived.") if archived else _("The programme is in use again."))
    return redirect(url_for("admin.unit", unit_id=unit_id))
