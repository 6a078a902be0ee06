"""Stable codes shared by every layer: stored in the database, never shown untranslated."""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    BOKMAAL = "nb"
    NYNORSK = "nn"
    ENGLISH = "en"


class UnitKind(StrEnum):
    OUTPATIENT = "outpatient"  # DPS poliklinikk
    DAY_PROGRAMME = "day_programme"  # dagtilbud


class Role(StrEnum):
    ADMIN = "admin"
    THERAPIST = "therapist"
    UNIT_LEAD = "unit_lead"
    SERVICE_DEVELOPER = "service_developer"


# Administrators and service developers work for the whole service: no admin or export page is
# cut to a unit, so "administrator of one unit" opened every unit's patients (and a service
# developer "of one unit" every unit's comments). Such a role is no longer given, and one held
# from an earlier version gives no access (`role_grants_access`): closed, not wider than meant.
SERVICE_WIDE_ROLES = frozenset({Role.ADMIN, Role.SERVICE_DEVELOPER})


def role_grants_access(role: Role, unit_id: int | None) -> bool:
    """False for a service-wide role held for one unit (see `SERVICE_WIDE_ROLES`)."""
    return role not in SERVICE_WIDE_ROLES or unit_id is None


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class ConsentState(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    STOPPED = "stopped"


class ConsentEventKind(StrEnum):
    DECLINED_INVITATION = "declined_invitation"
    PAUSED = "paused"
    RESUMED = "resumed"
    STOPPED = "stopped"
    RESTARTED = "restarted"
    CHANNEL_CHANGED = "channel_changed"
    FREQUENCY_REDUCED = "frequency_reduced"


class EpisodeStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class AppointmentStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class ScheduleTrigger(StrEnum):
    BEFORE_APPOINTMENT = "before_appointment"
    AFTER_APPOINTMENT = "after_appointment"
    WEEKLY = "weekly"
    DAILY = "daily"
    FIRST_SESSION = "first_session"
    LAST_SESSION = "last_session"


class InvitationState(StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    OPENED = "opened"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    DECLINED = "declined"


class MessageKind(StrEnum):
    INVITATION = "invitation"
    REMINDER = "reminder"
    ONE_TIME_CODE = "one_time_code"
    CONSENT_CONFIRMATION = "consent_confirmation"
    # To a new staff member: the single-use link that sets their password.
    STAFF_INVITE = "staff_invite"


class OutboxState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ResponseStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class CommentVisibility(StrEnum):
    THERAPIST = "therapist"
    SERVICE_ONLY = "service_only"


class CommentSource(StrEnum):
    """Where the patient wrote a comment that their therapist reads."""

    FINISH = "finish"  # the last page, sent with the answers
    RESULT = "result"  # the thank-you page, about the result


class Actor(StrEnum):
    PATIENT = "patient"
    STAFF = "staff"
    SYSTEM = "system"
