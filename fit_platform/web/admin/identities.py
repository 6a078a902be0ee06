"""Link staff accounts to their identity at the OpenID Connect provider (docs/identity.md)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from fit_platform.db.models import Staff
from fit_platform.domain.codes import Role
from fit_platform.extensions import get_db
from fit_platform.services.staff_identities import (
    LinkRefused,
    identity_links,
    link_identity,
    unlink_identity,
)
from fit_platform.web.admin.blueprint import bp
from fit_platform.web.admin.identity_forms import IdentityLinkForm, UnlinkForm
from fit_platform.web.auth.session import login_required, settings
from fit_platform.web.clock import now

REFUSALS = {
    "no_subject": _l("Enter the subject (sub) the provider gives this person."),
    "too_long": _l("The subject is too long (at most 255 characters)."),
    "no_staff": _l("Choose a staff member from the list."),
    "taken": _l("This identity is already linked to a staff account."),
}


def _staff_choices() -> list[tuple[int, str]]:
    with get_db().session() as session:
        rows = session.execute(
            select(Staff.id, Staff.display_name, Staff.username).order_by(Staff.display_name)
        ).all()
    return [(staff_id, f"{name} ({username})") for staff_id, name, username in rows]


@bp.route("/identities", methods=["GET", "POST"])
@login_required(Role.ADMIN)
def identities() -> str | Response | tuple[str, int]:
    config = settings()
    form = IdentityLinkForm()
    form.staff_id.choices = _staff_choices()
    status = 200
    if request.method == "POST":
        if config.oidc_issuer is None:
            abort(404)
        if form.validate_on_submit():
            try:
                link_identity(
                    get_db(),
                    admin_id=g.staff.staff_id,
                    staff_id=int(form.staff_id.data),
                    issuer=config.oidc_issuer,
                    subject=form.subject.data or "",
                    now=now(),
                )
            except LinkRefused as refused:
                form.subject.errors = [str(REFUSALS[refused.code])]
            else:
                flash(_("The login identity is linked."))
                return redirect(url_for("admin.identities"))
        status = 400
    return render_template(
        "admin/identities.html",
        form=form,
        links=identity_links(get_db()),
        unlink_form=UnlinkForm(),
        issuer=config.oidc_issuer,
        provider_name=config.oidc_provider_name,
    ), status


@bp.route("/identities/<int:link_id>/remove", methods=["POST"])
@login_required(Role.ADMIN)
def remove_identity(link_id: int) -> Response:
    if not UnlinkForm().validate_on_submit():
        abort(400)
    if not unlink_identity(get_db(), admin_id=g.staff.staff_id, link_id=link_id, now=now()):
        abort(404)
    flash(
        _(
            "The login identity is removed. The person can no longer log in with it, and any "
            "session the person has open is ended."
        )
    )
    return redirect(url_for("admin.identities"))
