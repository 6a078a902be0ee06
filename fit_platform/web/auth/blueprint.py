"""Staff login (password, then a TOTP code when enrolled), logout, session extension,
password change and TOTP enrolment. URL map of the feature in one place."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from fit_platform.domain.codes import Role
from fit_platform.extensions import get_db, get_totp_box, limiter
from fit_platform.i18n import CHOSEN_LANGUAGE_KEY
from fit_platform.logging_setup import user_reference
from fit_platform.services import recovery_codes, totp
from fit_platform.services.staff_auth import (
    LoginOutcome,
    LoginResult,
    PasswordChangeOutcome,
    change_password,
    complete_totp_login,
    log_in,
    log_out,
)
from fit_platform.web.auth.forms import (
    CodeForm,
    LoginCodeForm,
    LoginForm,
    PasswordChangeForm,
    TotpReplaceForm,
)
from fit_platform.web.auth.session import (
    SESSION_ENDED_KEY,
    SESSION_KEY,
    UNSAVED_KEPT,
    UNSAVED_KEY,
    absolute_timeout,
    idle_timeout,
    login_required,
    settings,
    totp_required,
)
from fit_platform.web.clock import epoch_seconds, now
from fit_platform.web.kept_typing import note_kept_typing_at_login
from fit_platform.web.redirects import safe_next

bp = Blueprint("auth", __name__, url_prefix="/staff", template_folder="templates")
log = logging.getLogger(__name__)

PENDING_KEY = "pending_staff"
PENDING_UNTIL_KEY = "pending_until"
PENDING_NEXT_KEY = "pending_next"
TOTP_SETUP_KEY = "totp_setup_secret"
PENDING_SECONDS = 300
# A username to fill in on the next login page (after a new staff member set their password).
LOGIN_NAME_KEY = "login_name"


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login is a phishing tool.
    return safe_next(target, url_for("auth.home"))


def _fresh_session() -> None:
    """Empty the cookie session but keep the language the user chose."""
    language = session.get(CHOSEN_LANGUAGE_KEY)
    session.clear()
    if language:
        session[CHOSEN_LANGUAGE_KEY] = language


def _login_error() -> str:
    # One message for every refusal (unknown user, wrong password, too many attempts), so the
    # page never tells whether an account exists; see docs/security.md.
    return _(
        "Wrong username or password, or too many attempts in a short time. "
        "Check them, wait a minute and try again."
    )


def _unsaved_message(unsaved: str) -> str:
    # Said plainly: whether what was typed is kept for after the login (session.py).
    if unsaved == UNSAVED_KEPT:
        return str(
            _(
                "What you sent was NOT saved yet: your session had ended before it arrived. "
                "What you typed is kept: log in, and it is back in the form to check and save."
            )
        )
    return str(
        _(
            "What you sent was NOT saved: your session had ended before it arrived. "
            "Log in, then write it again and send it."
        )
    )


def _finish_login(result: LoginResult, next_target: str | None) -> Response:
    unsaved = session.get(UNSAVED_KEY, False)
    _fresh_session()  # no state carries over from before the login
    session[SESSION_KEY] = result.session_id
    if result.staff_id is not None:
        note_kept_typing_at_login(result.staff_id)
    target = _safe_next(next_target)
    if unsaved and unsaved != UNSAVED_KEPT:
        # Said again on the page the form was on, where it has to be written again (kept
        # typing is said there as it is given back, web/kept_typing.py).
        flash(_("What you sent before you logged in was NOT saved. Send it again."), "error")
    return redirect(target)


def _log_failed_login(username: str, outcome: str) -> None:
    """For the security team: who (as a keyed pseudonym, not the username) failed from where."""
    log.warning(
        "staff login failed",
        extra={
            "event": "login_failed",
            "outcome": outcome,
            "user_ref": user_reference(username, current_app.config["SECRET_KEY"]),
            "client": request.remote_addr,
        },
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login() -> str | Response | tuple[str, int]:
    form = LoginForm()
    error = None
    if request.method == "POST" and not settings().local_passwords:
        abort(404)  # this deployment logs staff in through its identity provider only
    if session.pop(SESSION_ENDED_KEY, False) and request.method == "GET":
        error = _("Your session has ended. Please log in again.")
    if session.get(UNSAVED_KEY) and request.method == "GET":
        error = _unsaved_message(str(session[UNSAVED_KEY]))
    login_name = session.pop(LOGIN_NAME_KEY, None)
    if login_name and request.method == "GET":
        form.username.data = str(login_name)
    if form.validate_on_submit():
        result = log_in(
            get_db(),
            form.username.data or "",
            form.password.data or "",
            client_address=request.remote_addr,
            idle=idle_timeout(),
            absolute=absolute_timeout(),
            now=now(),
        )
        if result.outcome is LoginOutcome.OK:
            return _finish_login(result, request.args.get("next"))
        if result.outcome is LoginOutcome.TOTP_REQUIRED:
            unsaved = session.get(UNSAVED_KEY)
            _fresh_session()
            if unsaved:
                session[UNSAVED_KEY] = unsaved
            session[PENDING_KEY] = result.staff_id
            session[PENDING_UNTIL_KEY] = epoch_seconds() + PENDING_SECONDS
            session[PENDING_NEXT_KEY] = _safe_next(request.args.get("next"))
            return redirect(url_for("auth.login_code"))
        error = _login_error()
        _log_failed_login(form.username.data or "", result.outcome.value)
    status = 200 if error is None or request.method == "GET" else 401
    provider_login.allow_provider_forms()
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def login_code() -> str | Response | tuple[str, int]:
    staff_id = session.get(PENDING_KEY)
    if not staff_id or session.get(PENDING_UNTIL_KEY, 0) < epoch_seconds():
        _fresh_session()
        flash(_("Log in with your password first."), "error")
        return redirect(url_for("auth.login"))
    form = LoginCodeForm()
    error = None
    if form.validate_on_submit():
        result = complete_totp_login(
            get_db(),
            int(staff_id),
            form.code.data or "",
            box=get_totp_box(),
            client_address=request.remote_addr,
            absolute=absolute_timeout(),
            now=now(),
        )
        if result.outcome is LoginOutcome.OK:
            return _finish_login(result, session.get(PENDING_NEXT_KEY))
        error = _(
            "That code is not valid, or there were too many attempts. "
            "Wait for a new code and try again."
        )
    status = 200 if error is None and not form.errors else 401
    return render_template("auth/code.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout() -> Response | str:
    session_id = session.get(SESSION_KEY)
    if session_id:
        log_out(get_db(), session_id, now=now())
    # After a login through the identity provider, its single sign-on session must end too,
    # or the next person at a shared computer is let in by the provider's button.
    at_provider = provider_login.provider_logout()
    _fresh_session()
    if at_provider is not None:
        g.staff = None  # this page is already outside the session: no menu, no timer
        return render_template("auth/logged_out.html", provider_logout=at_provider)
    flash(_("You are logged out."))
    return redirect(url_for("auth.login"))


@bp.route("/session/extend", methods=["POST"])
@login_required()
def extend_session() -> Response:
    # Loading the session for this request already moved its idle deadline on.
    flash(_("Your session is extended."))
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/")
@login_required()
def home() -> str | Response:
    """Where a login lands: the caseload for clinical staff (their patients come first, also
    when they administer too), the admin start page for administrators, the service
    developer's start page (the few figures that matter, per unit) for service developers."""
    if g.staff.has_role(Role.THERAPIST) or g.staff.has_role(Role.UNIT_LEAD):
        return redirect(url_for("clinician.caseload_page"))
    if g.staff.has_role(Role.ADMIN):
        return redirect(url_for("admin.index"))
    if g.staff.has_role(Role.SERVICE_DEVELOPER):
        return redirect(url_for("export.start"))
    return render_template("auth/home.html")


@bp.route("/account")
@login_required()
def account() -> str:
    codes_left = (
        recovery_codes.remaining(get_db(), g.staff.staff_id) if g.staff.totp_enrolled else None
    )
    return render_template("auth/account.html", codes_left=codes_left)


@bp.route("/password", methods=["GET", "POST"])
@login_required()
@limiter.limit("10 per minute", methods=["POST"])
def password() -> str | Response | tuple[str, int]:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        outcome = change_password(
            get_db(),
            g.staff.staff_id,
            form.current.data or "",
            form.new.data or "",
            keep_session_row_id=g.staff.session_row_id,
            now=now(),
        )
        if outcome is PasswordChangeOutcome.OK:
            flash(_("Your password is changed. You are logged out everywhere else."))
            return redirect(url_for("auth.account"))
        messages = {
            PasswordChangeOutcome.WRONG_CURRENT: (
                form.current,
                _("The current password is not right."),
            ),
            PasswordChangeOutcome.TOO_SHORT: (
                form.new,
                _("Use at least 12 characters. A few words in a row is easy to remember."),
            ),
            PasswordChangeOutcome.TOO_COMMON: (
                form.new,
                _("That password is too common. Choose another."),
            ),
            PasswordChangeOutcome.SAME_AS_USERNAME: (
                form.new,
                _("The password must not be your username."),
            ),
        }
        field, message = messages[outcome]
        field.errors = [message]
    status = 400 if form.errors else 200
    return render_template("auth/password.html", form=form), status


@bp.route("/totp", methods=["GET", "POST"])
@login_required()
@limiter.limit("5 per minute", methods=["POST"])
def totp_setup() -> str | Response | tuple[str, int]:
    # The new secret waits in the signed session cookie until the user proves their app has it.
    secret = session.get(TOTP_SETUP_KEY)
    if not secret:
        secret = totp.new_secret()
        session[TOTP_SETUP_KEY] = secret
    replacing = g.staff.totp_enrolled
    form = TotpReplaceForm() if replacing else CodeForm()
    if form.validate_on_submit():
        confirm = form if isinstance(form, TotpReplaceForm) else None
        result = totp.enrol(
            get_db(),
            g.staff.staff_id,
            secret,
            form.code.data or "",
            box=get_totp_box(),
            password=(confirm.password.data or "") if confirm else "",
            current_code=(confirm.current_code.data or "") if confirm else "",
            client_address=request.remote_addr,
            now=now(),
        )
        if result.outcome is totp.EnrolOutcome.ENROLLED:
            session.pop(TOTP_SETUP_KEY, None)
            # Shown in this response only (no redirect, nothing stored in clear to show later).
            return render_template(
                "auth/recovery_codes.html", codes=result.recovery_codes, next=url_for("auth.home")
            )
        if result.outcome is totp.EnrolOutcome.WRONG_NEW_CODE:
            form.code.errors = [
                _("That code is not valid. Check the time on your phone and try again.")
            ]
        elif confirm is not None:
            confirm.current_code.errors = [
                _(
                    "The password or the code from the app you use now is not right, or there "
                    "were too many attempts. Wait a minute and try again."
                )
            ]
    uri = totp.provisioning_uri(secret, g.staff.display_name)
    status = 400 if form.errors else 200
    return render_template(
        "auth/totp_setup.html",
        form=form,
        qr=totp.qr_data_uri(uri),
        secret_groups=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        required=totp_required(g.staff),
        replacing=replacing,
    ), status


# Login through the OpenID Connect provider and the set-password page of an invitation add
# their routes to `bp` when imported.
from fit_platform.web.auth import invite, provider_login  # noqa: E402, F401
