"""Staff accounts: the list, invitations by e-mail, roles per unit, deactivation and
reactivation, and resetting a lost second factor (with a reason). Every change is in the admin
audit trail (services/staff_admin.py, services/staff_invites.py)."""

from __future__ import annotations

from collections.abc import Iterable

from flask import abort, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from fit_platform.domain.codes import Channel, OutboxState, Role
from fit_platform.extensions import get_db
from fit_platform.messaging.setup import configured_channels
from fit_platform.services import staff_admin, staff_invites
from fit_platform.services.staff_admin import AccountStatus
from fit_platform.services.staff_handover import left_behind, only_lead_by_role
from fit_platform.services.staff_invites import StaffChangeRefused
from fit_platform.web.admin.blueprint import bp
from fit_platform.web.admin.staff_forms import (
    ROLE_NAMES,
    ActionForm,
    InviteForm,
    ReasonForm,
    RoleForm,
)
from fit_platform.web.auth.session import login_required
from fit_platform.web.clock import now
from fit_platform.web.form_problems import show_problems, validate_all

STATUS_NAMES = {
    AccountStatus.ACTIVE: _l("Active"),
    AccountStatus.INVITED: _l("Invited, has not set a password yet"),
    AccountStatus.INVITATION_LAPSED: _l("Invitation expired or withdrawn"),
    AccountStatus.DEACTIVATED: _l("Deactivated"),
}
MAIL_STATE = {
    OutboxState.QUEUED: _l("waiting to be sent"),
    OutboxState.SENDING: _l("being sent"),
    OutboxState.SENT: _l("sent"),
    OutboxState.FAILED: _l("could not be sent: check the e-mail settings and invite again"),
    OutboxState.CANCELLED: _l("not sent"),
}


def _refusal(code: str) -> str:
    messages = {
        "invalid_email": _("That is not a valid e-mail address."),
        "no_name": _("Enter the person's name."),
        "exists": _("There is already an account with that e-mail address. Nothing was saved."),
        "unit_required": _("Therapists and unit leads work in a unit: choose one."),
        "service_wide_role": _(
            "Administrators and service developers work for the whole service: choose “All "
            "units”. Nothing was saved."
        ),
        "no_such_unit": _("That unit does not exist. Choose one from the list."),
        "unit_archived": _(
            "That unit is archived: it takes no new staff. Choose a unit in use, or bring the "
            "unit back first."
        ),
        "role_exists": _("The person already has that role in that unit."),
        "responsible_here": _(
            "This person is still responsible for open episodes in that unit. Transfer them "
            "to another therapist first, on the unit's episodes page. Nothing was changed."
        ),
        "last_admin": _(
            "This is the last active administrator. Give someone else the administrator "
            "role first, so the service is never left without one."
        ),
        "self": _("You cannot do this to your own account. Ask another administrator."),
        "already_inactive": _("The account is not active."),
        "already_active": _("The account is already active."),
        "never_activated": _(
            "This person has never set a password. Send a new invitation instead."
        ),
        "already_activated": _("This person has set a password already."),
        "reason_required": _("Write why the second factor is reset."),
        "reason_too_long": _("Write at most 500 characters."),
        "no_second_factor": _("This person has no second factor to reset."),
        "not_found": _("That was not found. The page may be out of date."),
    }
    return messages.get(code, _("That change could not be made."))


# The invitation form's field for each reason the service refuses it with.
INVITE_FIELDS = {
    "invalid_email": "email",
    "exists": "email",
    "no_name": "display_name",
    "unit_required": "unit",
    "service_wide_role": "unit",
    "no_such_unit": "unit",
    "unit_archived": "unit",
}


def _on_fields(codes: Iterable[str]) -> list[tuple[str, str]]:
    return [(INVITE_FIELDS.get(code, "email"), code) for code in codes]


def _on_role_fields(codes: Iterable[str]) -> list[tuple[str, str]]:
    """The "Add a role" form's field for each reason: the unit's, else the role's."""
    return [("unit" if INVITE_FIELDS.get(code) == "unit" else "role", code) for code in codes]


def _mail_is_set_up() -> bool:
    """Invitations and new-password links go by e-mail only: without a relay they never leave."""
    return Channel.EMAIL in configured_channels(current_app.config["FIT_SETTINGS"])


def _unit_choices(*, archived: bool) -> list[tuple[int, str]]:
    """The units to choose from: for a new person the units in use; for another role of
    someone already here the archived ones too, marked (someone must be able to take over an
    archived unit's open episodes)."""
    return [
        (unit.id, _("%(unit)s (archived)", unit=unit.name) if unit.archived else unit.name)
        for unit in staff_admin.units(get_db())
        if archived or not unit.archived
    ]


@bp.route("/staff")
@login_required(Role.ADMIN)
def staff_list() -> str:
    return render_template(
        "admin/staff_list.html",
        people=staff_admin.list_staff(get_db(), now()),
        status_names=STATUS_NAMES,
        role_names=ROLE_NAMES,
        mail_is_set_up=_mail_is_set_up(),
    )


@bp.route("/staff/invite", methods=["GET", "POST"])
@login_required(Role.ADMIN)
def staff_invite() -> str | Response | tuple[str, int]:
    form = InviteForm()
    form.set_units(_unit_choices(archived=False), fresh=not form.is_submitted())

    def problems() -> list[tuple[str, str]]:
        return _on_fields(
            staff_invites.invite_problems(
                get_db(),
                email=form.email.data or "",
                display_name=form.display_name.data or "",
                role=form.role.data,
                unit_id=form.unit.data,
            )
        )

    if validate_all(form, problems, _refusal, fallback="email"):
        assert form.role.data is not None  # the form's own check (`validate_role`)
        try:
            staff_id = staff_invites.invite_staff(
                get_db(),
                g.staff.staff_id,
                email=form.email.data or "",
                display_name=form.display_name.data or "",
                role=form.role.data,
                unit_id=form.unit.data,
                now=now(),
                form_nonce=form.form_nonce.data,
            )
        except StaffChangeRefused as refused:
            show_problems(form, _on_fields(refused.codes), _refusal, fallback="email")
        else:
            if _mail_is_set_up():
                flash(_("The invitation is on its way by e-mail. The link works for 72 hours."))
            else:
                flash(
                    _(
                        "The account is made, but no invitation can be sent: e-mail is not "
                        "set up for this service. Whoever runs the service can print a "
                        "one-time link for the person with the command shown below."
                    ),
                    "error",
                )
            return redirect(url_for("admin.staff_detail", staff_id=staff_id))
    status = 400 if form.errors else 200
    return render_template(
        "admin/staff_invite.html", form=form, mail_is_set_up=_mail_is_set_up()
    ), status


def _detail_page(
    staff_id: int,
    *,
    role_form: RoleForm | None = None,
    reason_form: ReasonForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    person = staff_admin.staff_detail(get_db(), staff_id, now())
    if person is None:
        abort(404)
    fresh = role_form is None
    role_form = role_form or RoleForm(formdata=None)
    role_form.set_units(_unit_choices(archived=True), fresh=fresh)
    return render_template(
        "admin/staff_detail.html",
        person=person,
        role_form=role_form,
        reason_form=reason_form or ReasonForm(formdata=None),
        action_form=ActionForm(),
        status_names=STATUS_NAMES,
        role_names=ROLE_NAMES,
        mail_state=MAIL_STATE,
        mail_states=OutboxState,
        statuses=AccountStatus,
        is_self=staff_id == g.staff.staff_id,
        mail_is_set_up=_mail_is_set_up(),
        local_passwords=current_app.config["FIT_SETTINGS"].local_passwords,
        # A deactivated person's open episodes have no active therapist until transferred.
        left_behind=left_behind(get_db(), staff_id)
        if person.status is AccountStatus.DEACTIVATED
        else [],
    ), status


@bp.route("/staff/<int:staff_id>")
@login_required(Role.ADMIN)
def staff_detail(staff_id: int) -> tuple[str, int]:
    return _detail_page(staff_id)


def _done(staff_id: int, message: str) -> Response:
    flash(message)
    return redirect(url_for("admin.staff_detail", staff_id=staff_id))


def _refused(staff_id: int, refused: StaffChangeRefused) -> Response | tuple[str, int]:
    if refused.code == "not_found" and staff_admin.staff_detail(get_db(), staff_id, now()) is None:
        abort(404)
    flash(_refusal(refused.code), "error")
    return redirect(url_for("admin.staff_detail", staff_id=staff_id))


@bp.route("/staff/<int:staff_id>/roles", methods=["POST"])
@login_required(Role.ADMIN)
def staff_add_role(staff_id: int) -> Response | tuple[str, int]:
    form = RoleForm()
    form.set_units(_unit_choices(archived=True))

    def problems() -> list[tuple[str, str]]:
        return _on_role_fields(
            staff_admin.new_role_problems(get_db(), staff_id, form.role.data, form.unit.data)
        )

    if not validate_all(form, problems, _refusal, fallback="role"):
        return _detail_page(staff_id, role_form=form, status=400)
    assert form.role.data is not None  # the form's own check (`validate_role`)
    try:
        staff_admin.add_role(
            get_db(), g.staff.staff_id, staff_id, form.role.data, form.unit.data, now()
        )
    except StaffChangeRefused as refused:
        if refused.code == "not_found":
            abort(404)
        show_problems(form, _on_role_fields(refused.codes), _refusal, fallback="role")
        return _detail_page(staff_id, role_form=form, status=400)
    return _done(staff_id, _("The role is added."))


@bp.route("/staff/<int:staff_id>/roles/<int:role_id>/remove", methods=["POST"])
@login_required(Role.ADMIN)
def staff_remove_role(staff_id: int, role_id: int) -> Response | tuple[str, int]:
    if not ActionForm().validate_on_submit():
        abort(400)
    # The unit's only lead: what then reaches nobody is said, as on the deactivation step.
    alone = only_lead_by_role(get_db(), staff_id, role_id)
    try:
        staff_admin.remove_role(get_db(), g.staff.staff_id, staff_id, role_id, now())
    except StaffChangeRefused as refused:
        return _refused(staff_id, refused)
    if alone is not None:
        flash(
            _(
                "%(unit)s has no active lead now: a risk signal nobody acknowledges in time "
                "reaches nobody there, and a patient with no active therapist is seen by "
                "nobody. Give someone the unit lead role.",
                unit=alone.unit_name,
            ),
            "error",
        )
    return _done(staff_id, _("The role is removed."))


@bp.route("/staff/<int:staff_id>/reactivate", methods=["POST"])
@login_required(Role.ADMIN)
def staff_reactivate(staff_id: int) -> Response | tuple[str, int]:
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        staff_admin.reactivate(get_db(), g.staff.staff_id, staff_id, now())
    except StaffChangeRefused as refused:
        return _refused(staff_id, refused)
    return _done(staff_id, _("The account is active again."))


@bp.route("/staff/<int:staff_id>/invite-again", methods=["POST"])
@login_required(Role.ADMIN)
def staff_invite_again(staff_id: int) -> Response | tuple[str, int]:
    if not ActionForm().validate_on_submit():
        abort(400)
    if not _mail_is_set_up():
        # The page offers no such button then; a crafted POST would queue a mail that never
        # leaves and withdraw a link the operator may have printed already.
        flash(_("No invitation can be sent: e-mail is not set up for this service."), "error")
        return redirect(url_for("admin.staff_detail", staff_id=staff_id))
    try:
        staff_invites.invite_again(get_db(), g.staff.staff_id, staff_id, now=now())
    except StaffChangeRefused as refused:
        return _refused(staff_id, refused)
    return _done(staff_id, _("A new invitation is on its way. Earlier links no longer work."))


@bp.route("/staff/<int:staff_id>/password-link", methods=["POST"])
@login_required(Role.ADMIN)
def staff_send_password_link(staff_id: int) -> Response | tuple[str, int]:
    if not ActionForm().validate_on_submit():
        abort(400)
    if not current_app.config["FIT_SETTINGS"].local_passwords:
        # Staff log in only through the identity provider: a password would open nothing.
        abort(404)
    if not _mail_is_set_up():
        flash(_("No link can be sent: e-mail is not set up for this service."), "error")
        return redirect(url_for("admin.staff_detail", staff_id=staff_id))
    try:
        staff_invites.send_password_link(get_db(), g.staff.staff_id, staff_id, now=now())
    except StaffChangeRefused as refused:
        return _refused(staff_id, refused)
    return _done(
        staff_id,
        _(
            "A link to choose a new password is on its way by e-mail. The old password works "
            "until the new one is chosen."
        ),
    )


@bp.route("/staff/<int:staff_id>/second-factor-reset", methods=["POST"])
@login_required(Role.ADMIN)
def staff_reset_second_factor(staff_id: int) -> Response | tuple[str, int]:
    form = ReasonForm()
    if not form.validate_on_submit():
        return _detail_page(staff_id, reason_form=form, status=400)
    try:
        staff_admin.reset_second_factor(
            get_db(), g.staff.staff_id, staff_id, form.reason.data or "", now()
        )
    except StaffChangeRefused as refused:
        if refused.code in ("reason_required", "reason_too_long"):
            form.reason.errors = [_refusal(refused.code)]
            return _detail_page(staff_id, reason_form=form, status=400)
        return _refused(staff_id, refused)
    return _done(
        staff_id,
        _(
            "The second factor and the recovery codes are removed and every session has "
            "ended. The person logs in with their password and sets up the app again."
        ),
    )
