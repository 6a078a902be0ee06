"""The privacy notice's facts that come from configuration, and the start-up warning when the
controller or the contact is missing (the notice then tells patients to ask their clinic)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fit_platform.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrivacyFacts:
    controller: str | None
    contact: str | None
    notice_url: str | None
    link_token_days: int
    outbox_days: int
    one_time_code_days: int
    access_log_years: int


def privacy_facts(settings: Settings) -> PrivacyFacts:
    return PrivacyFacts(
        controller=settings.privacy_controller,
        contact=settings.privacy_contact,
        notice_url=settings.privacy_notice_url,
        link_token_days=settings.retention_link_token_days,
        outbox_days=settings.retention_outbox_days,
        one_time_code_days=settings.retention_one_time_code_days,
        access_log_years=settings.retention_access_log_years,
    )


def warn_if_privacy_notice_incomplete(settings: Settings) -> bool:
    """Log a warning at a production start when the notice cannot name the data controller
    or whom to contact (GDPR art. 13 asks for both). True when it warned."""
    missing = [
        name
        for name, value in (
            ("FIT_PRIVACY_CONTROLLER", settings.privacy_controller),
            ("FIT_PRIVACY_CONTACT", settings.privacy_contact),
        )
        if not value
    ]
    if settings.environment != "production" or not missing:
        return False
    log.warning(
        "the privacy notice does not name the data controller or the contact: set %s",
        " and ".join(missing),
        extra={"event": "privacy_notice_incomplete", "missing": missing},
    )
    return True
