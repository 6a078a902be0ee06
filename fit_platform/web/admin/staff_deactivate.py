"""Deactivating a staff account, with a step first that shows what the person leaves behind.

The step lists, per unit, the open episodes the person is responsible for and their open
signals (counts and a link to the unit's episodes page; no patient on this page), and offers
to move them all to another active behandler of the unit. Deactivating with episodes left is
still possible: they are marked as having no active behandler and the unit's leads see them
(`services/unattended.py`, `docs/administration-staff.md`).
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from fit_platform.domain.codes import Role
from fit_platform.extensions import get_db
from fit_platform.services import staff_admin
from fit_platform.services.admin_refusal import AdminNotFound, AdminRefusal
from fit_platform.services.staff_admin import AccountStatus
from fit_platform.services.staff_handover import (
    UnitLeftBehind,
    hand_over,
    left_behind,
    only_lead_of,
)
from fit_platform.services.staff_invites import StaffChangeRefused
from fit_platform.web.admin.blueprint import bp
from fit_platform.web.admin.staff import _done, _refused
from fit_platform.web.admin.staff_forms import ActionForm, HandOverForm
from fit_platform.web.admin.texts import ADMIN_ERRORS
from fit_platform.web.auth.session import login_required
from fit_platform.web.clock import now


def _hand_over_form(unit: UnitLeftBehind, formdata: bool = False) -> HandOverForm:
    prefix = f"handover-{unit.unit_id}"
    form = HandOverForm(prefix=prefix) if formdata else HandOverForm(prefix=prefix, formdata=None)
    form.therapist.choices = [
        SelectChoice(str(colleague.staff_id), colleague.name) for colleague in unit.colleagues
    ]
    return form


def _confirm_page(
    staff_id: int, failed: tuple[int, HandOverForm] | None = None
) -> tuple[str, int] | Response:
    person = staff_admin.staff_detail(get_db(), staff_id, now())
    if person is None:
        abort(404)
    if person.status is not AccountStatus.ACTIVE:
        return redirect(url_for("admin.staff_detail", staff_id=staff_id))
    units = left_behind(get_db(), staff_id)
    forms = {unit.unit_id: _hand_over_form(unit) for unit in units}
    if failed is not None:
        forms[failed[0]] = failed[1]
    return render_template(
        "admin/staff_deactivate.html",
        person=person,
        units=units,
        hand_over_forms=forms,
        leads_alone=only_lead_of(get_db(), staff_id),
        action_form=ActionForm(),
        is_self=staff_id == g.staff.staff_id,
    ), (422 if failed else 200)


@bp.route("/staff/<int:staff_id>/deactivate", methods=["GET"])
@login_required(Role.ADMIN)
def staff_deactivate_confirm(staff_id: int) -> tuple[str, int] | Response:
    return _confirm_page(staff_id)


@bp.route("/staff/<int:staff_id>/deactivate", methods=["POST"])
@login_required(Role.ADMIN)
def staff_deactivate(staff_id: int) -> Response | tuple[str, int]:
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        staff_admin.deactivate(get_db(), g.staff.staff_id, staff_id, now())
    except StaffChangeRefused as refused:
        return _refused(staff_id, refused)
    message = _("The account is deactivated and every session of it has ended.")
    left = sum(unit.episodes for unit in left_behind(get_db(), staff_id))
    if not left:
        return _done(staff_id, message)
    flash(message)
    flash(
        ngettext(
            "%(num)d open episode has no active therapist now. The unit lead sees it, and "
            "a new risk signal at once. Transfer it on the unit's episodes page.",
            "%(num)d open episodes have no active therapist now. The unit lead sees them, and "
            "a new risk signal at once. Transfer them on the unit's episodes page.",
            left,
        ),
        "error",
    )
    return redirect(url_for("admin.staff_detail", staff_id=staff_id))


@bp.route("/staff/<int:staff_id>/hand-over/<int:unit_id>", methods=["POST"])
@login_required(Role.ADMIN)
def staff_hand_over(staff_id: int, unit_id: int) -> Response | tuple[str, int]:
    unit = next((u for u in left_behind(get_db(), staff_id) if u.unit_id == unit_id), None)
    if unit is None:
        # Nothing of this person's is open there (moved meanwhile, or a wrong address).
        flash(_("Nothing to transfer: the list below is up to date."), "error")
        return redirect(url_for("admin.staff_deactivate_confirm", staff_id=staff_id))
    form = _hand_over_form(unit, formdata=True)
    if form.validate_on_submit():
        try:
            moved = hand_over(
                get_db(),
                admin_id=g.staff.staff_id,
                staff_id=staff_id,
                unit_id=unit_id,
                to_staff_id=form.therapist.data,
                now=now(),
            )
        except AdminNotFound:
            abort(404)
        except AdminRefusal as refusal:
            form.therapist.errors = [str(ADMIN_ERRORS.get(refusal.code, ADMIN_ERRORS["unknown"]))]
        else:
            flash(
                ngettext(
                    "%(num)d episode is transferred. The new therapist sees it from now on.",
                    "%(num)d episodes are transferred. The new therapist sees them from now on.",
                    moved,
                )
            )
            return redirect(url_for("admin.staff_deactivate_confirm", staff_id=staff_id))
    return _confirm_page(staff_id, (unit_id, form))
