"""The application factory, split into named steps so each concern is found in one place."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from types import FunctionType
from typing import Any

from flask import Flask

from fit_platform import i18n
from fit_platform.config import Settings, load_settings, warn_if_insecure_http
from fit_platform.context_objects import this_g, this_request
from fit_platform.db import (
    Database,
    append_only,  # noqa: F401 - installs the append-only guard
)
from fit_platform.extensions import babel, csrf, limiter
from fit_platform.logging_setup import configure_logging
from fit_platform.security import configure_security
from fit_platform.services.secret_box import SecretBox
from fit_platform.web.body_limits import DEFAULT_BODY_BYTES, PlatformRequest

log = logging.getLogger(__name__)


class FitFlask(Flask):
    """Flask, with the coroutine check of each view and hook made once per function.

    Flask asks `inspect.iscoroutinefunction` about every hook and the view on every request
    (14 times on a patient page), and the answer never changes for a function. Only plain
    functions are remembered (the views and hooks, a fixed set), so bound methods or
    partials made per call cannot grow the dictionary. `ensure_sync` is the method Flask
    documents for overriding.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync_functions: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if type(func) is not FunctionType:
            return super().ensure_sync(func)
        checked = self._sync_functions.get(func)
        if checked is None:
            checked = self._sync_functions[func] = super().ensure_sync(func)
        return checked

    request_class = PlatformRequest  # each page's body limit (`web/body_limits.py`)


def create_app(settings: Settings | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    settings = settings or load_settings(overrides=overrides)
    app = FitFlask(__name__, instance_path=str(settings.instance_path))
    configure_app(app, settings)
    configure_proxies(app, settings)
    configure_logging(settings.log_level)
    warn_if_insecure_http(settings, "web")
    configure_observability(app, settings)
    configure_database(app, settings)
    configure_instruments(settings.instruments_dir)
    configure_extensions(app, settings)
    configure_security(app)
    configure_blueprints(app)
    configure_errors(app)
    configure_template_context(app)
    return app


def configure_app(app: Flask, settings: Settings) -> None:
    from fit_platform.web.cookie_session import EncryptedCookieSessionInterface

    # The cookie session is encrypted, not only signed: it carries patient and link ids.
    app.session_interface = EncryptedCookieSessionInterface()
    app.config.update(
        FIT_SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        TESTING=settings.environment == "test",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
        MAX_CONTENT_LENGTH=DEFAULT_BODY_BYTES,  # a page that takes a file: web/body_limits.py
        MAX_FORM_MEMORY_SIZE=DEFAULT_BODY_BYTES,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        # Over https Flask-WTF would also demand a same-site Referer, which browsers never
        # send: every page says `Referrer-Policy: no-referrer` (link tokens must not leak).
        # The CSRF token and the SameSite=Lax session cookie are the protection.
        WTF_CSRF_SSL_STRICT=False,
        BABEL_DEFAULT_LOCALE=i18n.DEFAULT,
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
        BABEL_TRANSLATION_DIRECTORIES=str(i18n.TRANSLATIONS_DIR),
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
        RATELIMIT_ENABLED=settings.ratelimit_enabled,
        RATELIMIT_HEADERS_ENABLED=True,
    )


def configure_proxies(app: Flask, settings: Settings) -> None:
    """Behind N trusted reverse proxies, take the client address, scheme and host from the
    headers they set (Werkzeug's ProxyFix), so rate limits count per client, HSTS is sent
    over https and logs show the client. With 0 (the default) the headers are ignored:
    anyone could forge them when no proxy strips them."""
    if settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]


def configure_observability(app: Flask, settings: Settings) -> None:
    """Request ids and metrics first, so every later hook's log lines carry the id; and a
    warning at start when no message channel is configured or the privacy notice cannot name
    the data controller and the contact."""
    from fit_platform.messaging.setup import warn_if_no_channels
    from fit_platform.web.ops.observability import install
    from fit_platform.web.public.privacy_notice import warn_if_privacy_notice_incomplete

    install(app)
    warn_if_no_channels(settings, "web")
    warn_if_privacy_notice_incomplete(settings)


def configure_database(app: Flask, settings: Settings) -> None:
    # Web workers ping a pooled connection only after it sat idle (see db/session.py).
    app.extensions["fit_db"] = Database(settings.database_url, ping="idle")
    app.extensions["fit_totp_box"] = SecretBox(settings.totp_encryption_key)


def configure_instruments(instruments_dir: Path | None) -> None:
    """Load the shipped instruments and the service's own folder (`FIT_INSTRUMENTS_DIR`):
    the web app at start, and every `fit-platform` command (the scheduler too) before it runs.
    A bad file there is logged naming the file and the field and left out; the admin
    Instruments page shows the same problem. The service starts with the others."""
    from fit_platform.domain.instruments import configure_extra_dirs

    library = configure_extra_dirs([instruments_dir] if instruments_dir else [])
    for problem in library.problems:
        log.error(
            "instrument definition not loaded",
            extra={"file": problem.path, "field": problem.field, "problem": problem.problem},
        )


def configure_extensions(app: Flask, settings: Settings) -> None:
    # Flask-Babel leaves init_app unannotated.
    babel.init_app(app, locale_selector=i18n.select_babel_locale)  # type: ignore[no-untyped-call]
    i18n.install_catalogue_cache(app, babel)
    csrf.init_app(app)
    limiter.init_app(app)


def configure_blueprints(app: Flask) -> None:
    from fit_platform.web.admin.blueprint import bp as admin_bp
    from fit_platform.web.auth.blueprint import bp as auth_bp
    from fit_platform.web.auth.session import load_staff_session
    from fit_platform.web.clinician import consent_restart as _consent_restart_routes  # noqa: F401
    from fit_platform.web.clinician import decision_changes as _decision_change_routes  # noqa: F401
    from fit_platform.web.clinician import own_plan as _own_plan_staff_routes  # noqa: F401
    from fit_platform.web.clinician.blueprint import bp as clinician_bp
    from fit_platform.web.episodes import own_days as _own_days_staff_routes  # noqa: F401
    from fit_platform.web.episodes.blueprint import bp as episodes_bp
    from fit_platform.web.export.blueprint import bp as export_bp
    from fit_platform.web.fhir.blueprint import bp as fhir_bp
    from fit_platform.web.groups.blueprint import bp as groups_bp
    from fit_platform.web.inputs import IdConverter
    from fit_platform.web.ops.blueprint import bp as ops_bp
    from fit_platform.web.patient import own_days as _own_days_routes  # noqa: F401
    from fit_platform.web.patient import own_plan as _own_plan_routes  # noqa: F401
    from fit_platform.web.patient import plan_versions as _plan_versions_routes  # noqa: F401
    from fit_platform.web.patient.blueprint import bp as patient_bp
    from fit_platform.web.public.blueprint import bp as public_bp
    from fit_platform.web.static_css import serve_minified_css

    app.url_map.converters["int"] = IdConverter  # before any rule uses it
    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(episodes_bp)
    app.register_blueprint(clinician_bp)
    app.register_blueprint(groups_bp)
    app.register_blueprint(patient_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(export_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(fhir_bp)
    app.before_request(load_staff_session)
    serve_minified_css(app)


def configure_errors(app: Flask) -> None:
    from fit_platform.web.episode_closed import register_episode_closed_handler
    from fit_platform.web.errors import register_error_handlers

    register_error_handlers(app)
    register_episode_closed_handler(app)


def configure_template_context(app: Flask) -> None:
    from fit_platform.messaging.addresses import readable_phone
    from fit_platform.web import journal_text, said_here
    from fit_platform.web.abbreviations import keep_short_names
    from fit_platform.web.formatting import (
        format_date,
        format_datetime,
        format_number,
        format_time,
    )
    from fit_platform.web.long_words import wrap_long_words
    from fit_platform.web.pause_end import pause_end
    from fit_platform.web.redirects import language_page, this_page
    from fit_platform.web.staff_nav import offers_groups

    # Ours replace Flask-Babel's filters of the same names: British English, not US.
    app.jinja_env.filters["dateformat"] = format_date
    app.jinja_env.filters["datetimeformat"] = format_datetime
    app.jinja_env.filters["timeformat"] = format_time
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["pause_end"] = pause_end
    app.jinja_env.filters["keep_short_names"] = keep_short_names
    app.jinja_env.filters["wrap_long_words"] = wrap_long_words
    app.jinja_env.filters["phone"] = readable_phone
    app.jinja_env.filters["as_sentence"] = journal_text.as_sentence
    app.jinja_env.filters["continued"] = journal_text.continued
    # Asked only while the staff navigation is drawn (it may need one query).
    app.jinja_env.globals["offers_groups"] = offers_groups
    # The page "Extend session" comes back to (no bare "?"; a form's page after a POST).
    app.jinja_env.globals["this_page"] = this_page
    app.jinja_env.globals["is_said_here"] = said_here.is_said_here
    app.jinja_env.globals["messages_at"] = said_here.messages_at
    # Where the language links lead: this page, or after a form's POST the form's page.
    app.jinja_env.globals["language_page"] = language_page

    @app.context_processor
    def inject_layout_values() -> dict[str, Any]:
        return {
            "current_locale": str(i18n.get_locale()),
            "language_names": i18n.LANGUAGE_NAMES,
            "language_switch_prefix": i18n.language_switch_prefix,
            "current_staff": this_g().get("staff"),
            **i18n.template_gettext(i18n.get_translations()),
        }

    @app.before_request
    def remember_explicit_language() -> None:
        # The switcher is a plain link (?lang=nn), so it works without JavaScript.
        i18n.choose_language(this_request().args.get("lang"))
