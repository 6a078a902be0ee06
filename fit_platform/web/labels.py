"""Translated names for stable codes that several pages show."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from fit_platform.domain.codes import Role

ROLE_LABELS = {
    Role.THERAPIST: _l("Therapist"),
    Role.UNIT_LEAD: _l("Unit lead"),
    Role.ADMIN: _l("Administrator"),
    Role.SERVICE_DEVELOPER: _l("Service developer"),
}
