"""Patients' later visits to their progress page through ID-porten (when FIT_IDPORTEN_* is set).

    POST /p/idporten            start: to ID-porten with state, nonce, PKCE and acr_values
    GET  /p/idporten/callback   back from ID-porten: check, match the `pid`, open the progress
    (logging out, also of ID-porten: web/patient/logout.py)

The button sits beside the one-time code (the code stays for those without ID-porten) and on
`/p/progress` when no link is open in the browser. A match gives exactly the grant a correct
one-time code gives (`_grant_progress`, 30 minutes). Every refusal is a calm page with one
translated message and a log line with a code, never the number; a login that matches no
patient with an open episode gets one neutral message, whatever the reason (docs/identity.md).
"""

from __future__ import annotations

import logging

from flask import abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from fit_platform.domain.national_id import InvalidNationalId
from fit_platform.extensions import get_db, limiter
from fit_platform.security import allow_form_action_to
from fit_platform.services import patient_sessions
from fit_platform.services.identity_providers import AuthorizationRequest
from fit_platform.services.idporten_login import IdPortenLogin
from fit_platform.services.link_context import LinkStatus
from fit_platform.services.oidc_login import OidcConfig, OidcFailed
from fit_platform.services.patient_identity import LoginMatch, NationalIdPolicy, patient_for_login
from fit_platform.web.clock import epoch_seconds
from fit_platform.web.patient import forms
from fit_platform.web.patient.blueprint import (
    AFTER_CODE_KEY,
    CODE_KEY,
    CONSENT_CANCELLED_KEY,
    CONSENT_DONE_KEY,
    LINK_KEY,
    _bound_context,
    _grant_progress,
    _language,
    after_the_code_step,
    bp,
)

log = logging.getLogger(__name__)

PENDING_KEY = "p_idporten_pending"
PENDING_SECONDS = 600
# Set by a login through ID-porten: "Log out" then offers ID-porten's logout too
# (web/patient/logout.py).
LOGGED_IN_KEY = "p_idporten"


def idporten() -> IdPortenLogin | None:
    settings = current_app.config["FIT_SETTINGS"]
    if not settings.idporten_enabled:
        return None
    return IdPortenLogin(
        OidcConfig(
            settings.idporten_issuer,
            settings.idporten_client_id,
            settings.idporten_client_secret,
            settings.idporten_scopes,
        ),
        settings.idporten_acr_values,
    )


def offer_idporten() -> forms.IdPortenForm | None:
    """The button's form when ID-porten is configured; lets this page's form lead there."""
    settings = current_app.config["FIT_SETTINGS"]
    if not settings.idporten_enabled:
        return None
    login = idporten()
    assert login is not None
    allow_form_action_to(*login.provider.browser_origins())
    return forms.IdPortenForm(prefix="idporten")


def login_page(message: str | None = None, status: int = 200) -> tuple[str, int]:
    """The progress page's way in without a link: ID-porten, with a message after a refusal."""
    return (
        render_template("patient/idporten.html", idporten_form=offer_idporten(), message=message),
        status,
    )


def _callback_url() -> str:
    return url_for("patient.idporten_callback", _external=True)


@bp.post("/idporten")
@limiter.limit("20 per minute")
def idporten_login() -> Response | tuple[str, int]:
    login = idporten()
    if login is None:
        abort(404)
    if not forms.IdPortenForm(prefix="idporten").validate_on_submit():
        abort(400)
    language = _language().value
    try:
        pending = login.authorization_url(_callback_url(), language)
    except OidcFailed as failed:
        log.warning(
            "id-porten login could not start",
            extra={"event": "idporten_failed", "code": failed.code},
        )
        return login_page(_unavailable(), 503)
    session[PENDING_KEY] = {
        "state": pending.state,
        "nonce": pending.nonce,
        "verifier": pending.code_verifier,
        "until": epoch_seconds() + PENDING_SECONDS,
        "lang": language,
    }
    response = Response(status=303)
    response.headers["Location"] = pending.url
    return response


def _unavailable() -> str:
    return str(_("ID-porten could not be reached. Please try again in a few minutes."))


@bp.get("/idporten/callback")
@limiter.limit("20 per minute")
def idporten_callback() -> Response | tuple[str, int]:
    login = idporten()
    if login is None:
        abort(404)
    pending = session.pop(PENDING_KEY, None)
    if not isinstance(pending, dict) or int(pending.get("until", 0)) < epoch_seconds():
        return login_page(
            _("The login took too long or was started in another window. Please try again."), 400
        )
    g.patient_language = pending.get("lang")
    kept = AuthorizationRequest("", pending["state"], pending["nonce"], pending["verifier"])
    try:
        pid = login.verified_pid(kept, request.args.to_dict(), _callback_url())
    except OidcFailed as failed:
        log.warning(
            "id-porten login failed", extra={"event": "idporten_failed", "code": failed.code}
        )
        if failed.code == "unavailable":
            return login_page(_unavailable(), 503)
        if failed.code == "acr":
            return login_page(
                _(
                    "Health information needs a more secure login. Please log in again and "
                    "choose BankID, Buypass or Commfides, or MinID with a code."
                ),
                401,
            )
        return login_page(_("The login with ID-porten did not succeed. Please try again."), 401)
    return _open_progress(pid)


def _open_progress(pid: str) -> Response | tuple[str, int]:
    settings = current_app.config["FIT_SETTINGS"]
    policy = NationalIdPolicy(settings.patient_id_hash_key, settings.national_id_test_numbers)
    ctx = _bound_context()
    if ctx is not None and ctx.status is LinkStatus.ENDED:
        ctx = None  # its keys are forgotten; the login stands on its own
    try:
        match = patient_for_login(get_db(), policy, pid, ctx.patient_id if ctx else None)
    except InvalidNationalId as invalid:
        log.warning(
            "id-porten login: pid refused",
            extra={"event": "idporten_failed", "code": f"pid_{invalid.problem.value}"},
        )
        match = None
    if match is None or match.outcome is not LoginMatch.FOUND or match.patient_id is None:
        # One answer for every "no": the page may be seen by others, and it must not tell
        # them whether this person was ever a patient here.
        return login_page(
            _(
                "We found no ongoing treatment with questionnaires for you here. If you are in "
                "treatment with us, open the link in the latest message from your clinic, or "
                "ask your clinic."
            ),
            403,
        )
    if ctx is not None and ctx.patient_id != match.patient_id:
        # Another person's link in this browser: it is forgotten, not mixed with this login.
        session.pop(LINK_KEY, None)
    for key in (CODE_KEY, CONSENT_DONE_KEY, CONSENT_CANCELLED_KEY):
        session.pop(key, None)
    _grant_progress(
        match.patient_id,
        patient_sessions.session_generation(get_db(), match.patient_id) or 0,
    )
    session[LOGGED_IN_KEY] = True
    log.info(
        "id-porten login", extra={"event": "idporten_login_ok", "patient_id": match.patient_id}
    )
    if ctx is not None and ctx.patient_id == match.patient_id:
        # Asked for from this patient's link (goals, crisis plan): on to that page.
        return after_the_code_step()
    session.pop(AFTER_CODE_KEY, None)
    return redirect(url_for("patient.progress_view"))
