"""Staff login through the OpenID Connect provider (when `FIT_OIDC_ISSUER` is set).

The login page's button posts here (with the CSRF token), we send the browser to the provider
with state, nonce and a PKCE challenge kept in the sealed cookie session for ten minutes, and
the provider sends it back to the callback. Every failure ends on the login page with one
calm message and a log line with its code, never a stack trace.
"""

from __future__ import annotations

import logging

from flask import abort, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from fit_platform.extensions import get_db, limiter
from fit_platform.security import allow_form_action_to
from fit_platform.services.identity_providers import AuthorizationRequest
from fit_platform.services.oidc_login import OidcConfig, OidcFailed, OidcProvider, log_in_linked
from fit_platform.services.staff_auth import LoginOutcome
from fit_platform.web.auth.blueprint import _finish_login, _fresh_session, _safe_next, bp
from fit_platform.web.auth.forms import LoginForm
from fit_platform.web.auth.session import UNSAVED_KEY, absolute_timeout, settings
from fit_platform.web.clock import epoch_seconds, now
from fit_platform.web.provider_logout import ProviderLogout

log = logging.getLogger(__name__)

PENDING_KEY = "oidc_pending"
PENDING_SECONDS = 600
# Set by a login through the provider: "Log out" then offers the provider's logout too.
LOGGED_IN_KEY = "oidc_login"


def provider() -> OidcProvider | None:
    config = settings()
    if not config.oidc_issuer or not config.oidc_client_id or not config.oidc_client_secret:
        return None
    return OidcProvider(
        OidcConfig(
            config.oidc_issuer, config.oidc_client_id, config.oidc_client_secret, config.oidc_scopes
        ),
        config.oidc_provider_name,
    )


def _callback_url() -> str:
    return url_for("auth.provider_callback", _external=True)


def allow_provider_forms() -> None:
    """Let the page's login button lead on to the provider; browsers check a form's redirect
    against the page's CSP."""
    found = provider()
    if found is not None:
        allow_form_action_to(*found.browser_origins())


def provider_logout() -> ProviderLogout | None:
    """After a login through the provider, its own logout (which sends the browser back to
    our login page); None otherwise, or when the provider cannot be reached (our own session
    has ended anyway)."""
    found = provider()
    if found is None or session.get(LOGGED_IN_KEY) is not True:
        return None
    url = found.end_session_url(url_for("auth.login", _external=True))
    return ProviderLogout(found.name, url) if url is not None else None


def _refused(message: str, status: int) -> tuple[str, int]:
    allow_provider_forms()
    return render_template("auth/login.html", form=LoginForm(), error=message), status


@bp.route("/login/provider", methods=["POST"])
@limiter.limit("20 per minute")
def provider_login() -> Response | tuple[str, int]:
    found = provider()
    if found is None:
        abort(404)
    try:
        pending = found.authorization_url(_callback_url())
    except OidcFailed as failed:
        log.warning(
            "provider login could not start", extra={"event": "oidc_failed", "code": failed.code}
        )
        return _refused(
            _(
                "%(provider)s could not be reached. Please try again in a few minutes.",
                provider=found.name,
            ),
            503,
        )
    # A form refused because the session had ended (lost or kept), said after the login.
    unsaved = session.get(UNSAVED_KEY)
    _fresh_session()
    session[PENDING_KEY] = {
        "unsaved": unsaved,
        "state": pending.state,
        "nonce": pending.nonce,
        "verifier": pending.code_verifier,
        "until": epoch_seconds() + PENDING_SECONDS,
        "next": _safe_next(request.args.get("next")),
    }
    response = Response(status=303)
    response.headers["Location"] = pending.url
    return response


@bp.route("/login/provider/callback")
@limiter.limit("20 per minute")
def provider_callback() -> Response | tuple[str, int]:
    found = provider()
    if found is None:
        abort(404)
    pending = session.pop(PENDING_KEY, None)
    if not isinstance(pending, dict) or int(pending.get("until", 0)) < epoch_seconds():
        return _refused(
            _("The login took too long or was started in another window. Please try again."), 400
        )
    request_kept = AuthorizationRequest("", pending["state"], pending["nonce"], pending["verifier"])
    try:
        identity = found.complete(request_kept, request.args.to_dict(), _callback_url())
    except OidcFailed as failed:
        log.warning("provider login failed", extra={"event": "oidc_failed", "code": failed.code})
        return _refused(
            _(
                "The login with %(provider)s did not succeed. Please try again.",
                provider=found.name,
            ),
            401,
        )
    result = log_in_linked(get_db(), identity, absolute=absolute_timeout(), now=now())
    if result.outcome is LoginOutcome.OK:
        if pending.get("unsaved"):
            session[UNSAVED_KEY] = pending["unsaved"]
        finished = _finish_login(result, pending.get("next"))
        session[LOGGED_IN_KEY] = True
        return finished
    return _refused(
        _(
            "Your %(provider)s login is not linked to an active staff account here. "
            "Ask your administrator to link it, and give them this identity: %(subject)s",
            provider=found.name,
            subject=identity.subject,
        ),
        403,
    )
