"""Attach the logged-in staff member (if any) to `g` for the request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from fit_platform.config import Settings
from fit_platform.context_objects import this_request, this_session
from fit_platform.domain.codes import Role
from fit_platform.extensions import get_db
from fit_platform.services.staff_auth import resume_session
from fit_platform.web.clock import now
from fit_platform.web.kept_typing import keep_posted_typing
from fit_platform.web.redirects import this_page

SESSION_KEY = "sid"
SESSION_ENDED_KEY = "session_ended"
# Set when a form (any non-GET request) arrived without a valid session: what it carried was
# not saved, and the login page and the page after login say so. Only this flag is in the
# cookie, never the text itself (free clinical text has no place in the cookie or in a log;
# the long forms' text is kept in the database for its writer, web/kept_typing.py).
UNSAVED_KEY = "unsaved_form"
# What became of a form refused because the session had ended (the value under UNSAVED_KEY).
UNSAVED_LOST = "lost"
UNSAVED_KEPT = "kept"
# Pages a therapist who must still set up TOTP may open.
TOTP_EXEMPT = frozenset({"auth.totp_setup", "auth.logout", "auth.extend_session"})


def settings() -> Settings:
    value: Settings = current_app.config["FIT_SETTINGS"]
    return value


def idle_timeout() -> dt.timedelta:
    return dt.timedelta(minutes=settings().session_idle_minutes)


def absolute_timeout() -> dt.timedelta:
    return dt.timedelta(hours=settings().session_absolute_hours)


def load_staff_session() -> None:
    g.staff = None
    # Files, not pages: fetching an icon must not count as the staff member being active.
    path = this_request().path
    if path.startswith("/static/") or path == "/favicon.ico":
        return
    session_id = this_session().get(SESSION_KEY)
    if not session_id:
        return
    # The page clock, as at login: the session bar's "ends at" and the idle limit are read
    # from the same time as everything else the page says.
    identity = resume_session(get_db(), session_id, idle=idle_timeout(), now=now())
    if identity is None:
        session.pop(SESSION_KEY, None)
        # Whose session it was, if a refused form's typing is to be kept for them.
        g.ended_session_id = session_id
        # Remembered until the login page has said so (the user is redirected there first).
        session[SESSION_ENDED_KEY] = True
        g.session_expired = True
        return
    g.staff = identity


def login_required(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Require a logged-in staff member, holding one of `roles` when any are given."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.get("staff") is None:
                return _to_login()
            if _must_enrol_totp() and request.endpoint not in TOTP_EXEMPT:
                return redirect(url_for("auth.totp_setup"))
            if roles and not any(g.staff.has_role(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _to_login() -> Response:
    """To the login page, with `next=` the page to come back to after it.

    A GET comes back to itself (without a bare "?" when it had no query). A form's URL is
    no page to come back to (the browser would GET a POST-only route and meet a 405): the
    user is brought back to the page the form was on (read from the form's own URL, see
    :func:`fit_platform.web.redirects.form_page`; never from the Referer, which our pages do
    not send and anyone can forge) and told that nothing was saved, and whether what was typed
    is kept for them (the long forms of `web/kept_typing.py`) or must be written again.
    """
    if request.endpoint == "auth.extend_session":
        # "Extend session" carries nothing to lose; its own page is in the form (checked at login).
        return redirect(url_for("auth.login", next=request.form.get("next")))
    if request.method not in ("GET", "HEAD"):
        page = this_page()
        # The typing of a long form is kept for the same person's next login
        # (`web/kept_typing.py`); the login page says which it was.
        session[UNSAVED_KEY] = UNSAVED_KEPT if keep_posted_typing(page) else UNSAVED_LOST
        return redirect(url_for("auth.login", next=page))
    return redirect(url_for("auth.login", next=this_page()))


def totp_required(staff: Any) -> bool:
    """The service requires a second factor of this person (FIT_REQUIRE_TOTP_FOR_THERAPISTS,
    FIT_REQUIRE_TOTP_FOR_ADMINS), whether or not they have one."""
    chosen = settings()
    return bool(
        (chosen.require_totp_for_therapists and staff.has_role(Role.THERAPIST))
        or (chosen.require_totp_for_admins and staff.has_role(Role.ADMIN))
    )


def _must_enrol_totp() -> bool:
    staff = g.staff
    return totp_required(staff) and not staff.totp_enrolled
