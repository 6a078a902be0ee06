"""Flask extensions, created unbound and attached in the app factory."""

from __future__ import annotations

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf import CSRFProtect

from fit_platform.context_objects import this_app
from fit_platform.db import Database
from fit_platform.services.secret_box import SecretBox

babel = Babel()  # type: ignore[no-untyped-call]  # Flask-Babel leaves it unannotated
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def get_db() -> Database:
    """The app's `Database`; views pass it to services."""
    database: Database = this_app().extensions["fit_db"]  # asked on every page
    return database


def get_totp_box() -> SecretBox:
    """The app's key(s) for TOTP secrets at rest; views pass it to the login services."""
    box: SecretBox = current_app.extensions["fit_totp_box"]
    return box
