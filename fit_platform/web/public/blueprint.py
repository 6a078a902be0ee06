"""Public pages: the start page, the language switch and the privacy notice."""

from __future__ import annotations

import functools
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from fit_platform.i18n import CHOSEN_LANGUAGE_KEY, SUPPORTED
from fit_platform.web.public.privacy_notice import privacy_facts
from fit_platform.web.redirects import safe_next

bp = Blueprint("public", __name__, template_folder="templates")


@bp.route("/")
def index() -> str:
    return render_template("public/index.html")


@bp.route("/privacy")
def privacy() -> str:
    """The privacy notice: controller, contact and retention come from configuration."""
    from fit_platform.web.patient.blueprint import has_patient_link

    return render_template(
        "public/privacy.html",
        facts=privacy_facts(current_app.config["FIT_SETTINGS"]),
        patient_link=has_patient_link(),
    )


@bp.route("/language/<code>")
def choose_language(code: str) -> Response:
    if code not in SUPPORTED:
        abort(404)
    session[CHOSEN_LANGUAGE_KEY] = code
    return redirect(safe_next(request.args.get("next"), url_for("public.index")))


@bp.route("/healthz")
def health() -> dict[str, str]:
    return {"status": "ok"}


@bp.route("/favicon.ico")
def favicon() -> Response:
    """The icon for clients that ask at the conventional address without reading the page's
    `<link rel="icon">` (which points at the same file in /static): without it every such
    request was a 404 counted in the metrics' 4xx. Cached like a static file."""
    static = current_app.static_folder
    assert static is not None
    # From memory, not as a file response: a client that drops the response unread (a link
    # checker, a test client) would otherwise leave the file open. It is under a kilobyte.
    response = Response(_favicon_svg(static), mimetype="image/svg+xml")
    response.cache_control.public = True
    response.cache_control.max_age = FAVICON_MAX_AGE
    return response


@functools.cache
def _favicon_svg(static: str) -> bytes:
    return (Path(static) / "img" / "favicon.svg").read_bytes()


FAVICON_MAX_AGE = 7 * 24 * 3600
