"""A patient ends their visit: "Log out" on the progress page.

    POST /p/logout       end the patient's browser sessions on the server (a copy of this
                         cookie is refused from now on) and forget this browser's link,
                         code and progress grant; after an
                         ID-porten login, a page with a button that ends ID-porten's
                         session too
    GET  /p/logged-out   where the patient lands (from us, or back from ID-porten)

Why it matters: a patient may look at their progress on a shared or family device. Without
this, the 30-minute grant stays in the browser, and ID-porten's single sign-on session stays
open as well: the next person at that browser who presses "Log in with ID-porten" here, or at
any other public service, would be let in as the patient without a password. Digdir asks every
ID-porten client to support logout (OpenID Connect RP-Initiated Logout; docs/identity.md).
"""

from __future__ import annotations

import logging

from flask import abort, render_template, session, url_for
from werkzeug.wrappers import Response

from fit_platform.extensions import get_db
from fit_platform.services import answering, patient_sessions
from fit_platform.web import clock as web_clock
from fit_platform.web.patient import forms
from fit_platform.web.patient.blueprint import (
    LINK_KEY,
    PROGRESS_KEY,
    bp,
    forget_the_patient,
)
from fit_platform.web.patient.idporten import LOGGED_IN_KEY, idporten
from fit_platform.web.provider_logout import ProviderLogout

log = logging.getLogger(__name__)


def _the_patient() -> int | None:
    """Whose browser this is: the progress grant's patient, else the opened link's."""
    grant = session.get(PROGRESS_KEY)
    if isinstance(grant, list) and grant and type(grant[0]) is int:
        return grant[0]
    link = session.get(LINK_KEY)
    if isinstance(link, list) and link and type(link[0]) is int:
        ctx = answering.load_context(get_db(), link[0], web_clock.now())
        return ctx.patient_id
    return None


def _forget_the_patient() -> int | None:
    """End the patient's sessions on the server, then empty this browser's keys. A copy of
    the cookie taken before (a shared computer, a synced browser) is refused from now on: the
    patient's session generation it holds is no longer the current one."""
    patient_id = _the_patient()
    if patient_id is not None:
        patient_sessions.end_patient_sessions(get_db(), patient_id, web_clock.now())
    forget_the_patient()
    return patient_id


@bp.post("/logout")
def log_out() -> Response | str:
    if not forms.LogoutForm(prefix="logout").validate_on_submit():
        abort(400)
    through_idporten = session.get(LOGGED_IN_KEY) is True
    patient_id = _forget_the_patient()
    login = idporten()
    at_idporten = None
    if login is not None and through_idporten:
        at_idporten = login.provider.end_session_url(url_for("patient.logged_out", _external=True))
    log.info(
        "patient logged out",
        extra={
            "event": "patient_logout",
            "patient_id": patient_id,
            "idporten": at_idporten is not None,
        },
    )
    if at_idporten is None or login is None:
        response = Response(status=303)
        response.headers["Location"] = url_for("patient.logged_out")
        return response
    # Our part is done; the page offers ID-porten's, as a button the patient presses.
    return render_template(
        "patient/logged_out.html", provider_logout=ProviderLogout(login.name, at_idporten)
    )


@bp.get("/logged-out")
def logged_out() -> str:
    return render_template("patient/logged_out.html", provider_logout=None)
