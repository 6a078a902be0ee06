"""The set-password page a new staff member reaches from their invitation e-mail.

GET shows the form and never spends the link (mail scanners open links first); a POST with a
password that passes the web's password rule spends it and activates the account. The token
is in the path, so it is redacted from every log line (logging_setup.py) and the page sends
no referrer and is not cached (security.py)."""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from fit_platform.extensions import get_db, limiter
from fit_platform.services.staff_link_use import InviteState, accept_invite, look_up_invite
from fit_platform.web.auth.blueprint import LOGIN_NAME_KEY, bp
from fit_platform.web.auth.forms import SetPasswordForm
from fit_platform.web.clock import now


def _closed(state: InviteState) -> tuple[str, int]:
    return render_template("auth/invite_closed.html", state=state.value), (
        404 if state is InviteState.UNKNOWN else 410
    )


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def set_password(token: str) -> str | Response | tuple[str, int]:
    invite = look_up_invite(get_db(), token, now())
    if invite.state is not InviteState.OPEN:
        return _closed(invite.state)
    form = SetPasswordForm()
    if form.validate_on_submit():
        outcome = accept_invite(get_db(), token, form.new.data or "", now())
        if outcome is InviteState.OPEN:
            flash(_("Your password is set. Log in with your e-mail address and the new password."))
            # The login form opens with the username filled in (the cookie session is
            # encrypted; never in the URL, where it would reach the access log).
            session[LOGIN_NAME_KEY] = invite.username
            return redirect(url_for("auth.login"))
        if isinstance(outcome, InviteState):
            return _closed(outcome)
        messages = {
            "too_short": _("Use at least 12 characters. A few words in a row is easy to remember."),
            "too_common": _("That password is too common. Choose another."),
            "same_as_username": _("The password must not be your username."),
        }
        form.new.errors = [messages.get(outcome, _("Choose another password."))]
    status = 400 if form.errors else 200
    return render_template("auth/invite.html", form=form, invite=invite), status
