"""Translated error pages: every failure gets a page with a status, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from fit_platform.db.failure import database_error, describe
from fit_platform.web.body_limits import too_large_message

log = logging.getLogger(__name__)

MESSAGES = {
    400: (
        _l("We could not use what was sent"),
        _l(
            "Something in what was sent was not valid, so nothing was saved from it. "
            "Go back and try again."
        ),
    ),
    403: (
        _l("You do not have access to this page"),
        _l(
            "Your role does not give access to this page. "
            "Contact your administrator if you think this is wrong."
        ),
    ),
    404: (
        _l("Page not found"),
        # The link under it says where to go: the start page, or back to the questionnaire.
        _l("We could not find the page you asked for. Check the address, or use the link below."),
    ),
    405: (
        _l("That is not possible here"),
        _l("This page cannot be used that way. Go back and try again."),
    ),
    410: (_l("This page is no longer available"), _l("The page has expired or has been closed.")),
    413: (_l("Too much data"), _l("What you sent was too large. Shorten the text and try again.")),
    429: (_l("Too many attempts"), _l("Please wait a few minutes before you try again.")),
    500: (
        _l("Something went wrong on our side"),
        _l("The error has been logged. Nothing you saved earlier is lost. Please try again later."),
    ),
    503: (
        _l("The service is unavailable for a moment"),
        _l(
            "We could not reach our database. Nothing you saved earlier is lost. "
            "Wait a minute, then try again."
        ),
    ),
}
# Seconds a client (or a patient) is asked to wait when the database is away for a moment.
DATABASE_RETRY_AFTER = "30"


def render_error(
    status: int, detail: str | None = None, back_to_form: str | None = None
) -> tuple[str, int]:
    """The error page; ``back_to_form``: the address of the form to go back to (its link
    replaces the start page's)."""
    title, message = MESSAGES.get(status, MESSAGES[500])
    return (
        render_template(
            "error.html",
            status=status,
            title=title,
            message=detail or message,
            patient_link=_has_patient_link(),
            back_to_form=back_to_form,
        ),
        status,
    )


def _has_patient_link() -> bool:
    """A browser that opened a patient's link: its way on is the questionnaire (`/p/`), not
    the start page with the staff login, which was the error page's only link."""
    from fit_platform.web.patient.blueprint import has_patient_link  # the patient pages' rule

    return has_patient_link()


def _administrator_on_clinical_page() -> str | None:
    """Why an administrator without a clinical role is refused a patient's treatment pages. A
    walk as the administrator met 403 on every /clinician page (registering, appointments,
    schedules) with "Contact your administrator if you think this is wrong"; the admin role
    never opens patients' records (docs/administration-staff.md), which the page now says."""
    from flask_babel import gettext

    from fit_platform.context_objects import this_g
    from fit_platform.domain.codes import Role

    staff = this_g().get("staff")
    if (
        staff is None
        or not staff.has_role(Role.ADMIN)
        or not request.path.startswith(("/clinician/", "/fhir/"))
    ):
        return None
    return gettext(
        "An administrator's role does not open patients' treatment pages: registering "
        "patients, appointments, schedules and the pre-session view are the therapists'. "
        "Someone who does both holds a therapist role as well (Staff accounts)."
    )


def _transferred_away_page() -> tuple[str, int] | None:
    from fit_platform.web.clinician.transferred import transferred_away_page  # staff pages only

    return transferred_away_page()


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(_error: CSRFError) -> tuple[str, int]:
        from flask_babel import gettext

        return render_error(
            400,
            gettext(
                "The form had expired or was sent from somewhere else. "
                "Nothing was saved from it. Open the page again and try again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        status = error.code or 500
        if status not in MESSAGES:
            status = 400 if 400 <= status < 500 else 500
        if status == 404 and (moved := _transferred_away_page()) is not None:
            # A former therapist's open page after a transfer: why, and what was typed.
            return moved
        if status == 403 and (words := _administrator_on_clinical_page()) is not None:
            return render_error(403, words)
        if status == 413 and (words := too_large_message(request)) is not None:
            # A page that takes a file says what its limit is, and leads back to its form.
            return render_error(413, words, back_to_form=request.path)
        return render_error(status)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error: Exception) -> tuple[str, int, dict[str, str]]:
        # The database restarting, failing over or refusing connections: the request's
        # transaction was rolled back, so nothing half-done was kept; the next request
        # gets a fresh connection (pool_pre_ping). Logged without the message, which may
        # quote SQL parameters.
        log.warning(
            "database unavailable",
            extra={
                "event": "database_unavailable",
                "error": type(getattr(error, "orig", None) or error).__name__,
                "path": request.path,
                "method": request.method,
            },
        )
        body, status = render_error(503)
        return body, status, {"Retry-After": DATABASE_RETRY_AFTER}

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[str, int]:
        failure = database_error(error)
        if failure is None:
            # Logged with its traceback (tokens redacted by the formatter): it is what fixes
            # a fault in our code. The user sees a page.
            log.exception("unhandled error", extra={"path": request.path, "method": request.method})
        else:
            # A database error (a constraint, a refused statement): the driver's message and
            # the traceback quote key values and parameters (`db/failure.py`), so it is
            # logged by class, reason, SQLSTATE and our innermost frame, as the scheduler does.
            facts = describe(failure, error)
            log.error(
                "unhandled error",
                extra={
                    "event": "unhandled_database_error",
                    "path": request.path,
                    "method": request.method,
                    "error": facts.error,
                    "reason": facts.reason,
                    "sqlstate": facts.sqlstate,
                    "where": facts.where,
                },
            )
        return render_error(InternalServerError.code)
