"""Staff login and logout. URL map of the feature in one place."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from fit_platform.extensions import get_db, limiter
from fit_platform.services.staff_auth import LoginOutcome, log_in, log_out
from fit_platform.web.auth.forms import LoginForm
from fit_platform.web.auth.session import (
    SESSION_KEY,
    absolute_timeout,
    idle_timeout,
    login_required,
)

bp = Blueprint("auth", __name__, url_prefix="/staff", template_folder="templates")


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login is a phishing tool.
    if not target or not target.startswith("/") or target.startswith("//"):
        return url_for("auth.home")
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else url_for("auth.home")


def _fresh_session() -> None:
    """Empty the cookie session but keep the language the user chose."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login() -> str | Response:
    form = LoginForm()
    error = None
    if g.get("session_expired"):
        error = _("Your session has ended. Please log in again.")
    if form.validate_on_submit():
        result = log_in(
            get_db(),
            form.username.data or "",
            form.password.data or "",
            idle=idle_timeout(),
            absolute=absolute_timeout(),
        )
        if result.outcome is LoginOutcome.OK:
            _fresh_session()  # no state carries over from before the login
            session[SESSION_KEY] = result.session_id
            return redirect(_safe_next(request.args.get("next")))
        if result.outcome is LoginOutcome.LOCKED:
            error = _("Too many failed attempts. The account is locked for 15 minutes.")
        else:
            error = _("Wrong username or password.")
    status = 200 if error is None or request.method == "GET" else 401
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    session_id = session.get(SESSION_KEY)
    if session_id:
        log_out(get_db(), session_id)
    _fresh_session()
    flash(_("You are logged out."))
    return redirect(url_for("auth.login"))


@bp.route("/")
@login_required()
def home() -> str:
    return render_template("auth/home.html")
