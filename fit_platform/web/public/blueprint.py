"""Public pages: the start page, the language switch and how answers are used."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from fit_platform.i18n import SUPPORTED
from fit_platform.web.redirects import safe_next

bp = Blueprint("public", __name__, template_folder="templates")


@bp.route("/")
def index() -> str:
    return render_template("public/index.html")


@bp.route("/privacy")
def privacy() -> str:
    return render_template("public/privacy.html")


@bp.route("/language/<code>")
def choose_language(code: str) -> Response:
    if code not in SUPPORTED:
        abort(404)
    session["lang"] = code
    return redirect(safe_next(request.args.get("next"), url_for("public.index")))


@bp.route("/healthz")
def health() -> dict[str, str]:
    return {"status": "ok"}
