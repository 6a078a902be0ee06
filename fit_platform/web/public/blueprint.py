"""Public pages: the start page, the language switch and the privacy notice."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from fit_platform.i18n import SUPPORTED
from fit_platform.web.public.privacy_notice import privacy_facts
from fit_platform.web.redirects import safe_next

bp = Blueprint("public", __name__, template_folder="templates")


@bp.route("/")
def index() -> str:
    return render_template("public/index.html")


@bp.route("/privacy")
def privacy() -> str:
    """The privacy notice: controller, contact and retention come from configuration."""
    return render_template(
        "public/privacy.html", facts=privacy_facts(current_app.config["FIT_SETTINGS"])
    )


@bp.route("/language/<code>")
def choose_language(code: str) -> Response:
    if code not in SUPPORTED:
        abort(404)
    session["lang"] = code
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
    return send_from_directory(
        static, "img/favicon.svg", mimetype="image/svg+xml", max_age=FAVICON_MAX_AGE
    )


FAVICON_MAX_AGE = 7 * 24 * 3600
