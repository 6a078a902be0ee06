"""What the admin audit trail shows for its stored codes: the action, the kind of thing
changed, each detail's name, and its value (Yes/No, a local date and time, a role's name,
the unit's name, and the words the admin forms use for a unit kind, a rule's trigger and
weekdays, an episode's status, a patient's language and channel).

The rows keep stable codes and ISO times (services/admin_audit.py); only the page translates
them, in the reader's language and the service's time zone. A code without a label here is
shown as stored, so a change recorded by a newer release is never hidden.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms.fields.choices import SelectChoice

from fit_platform.domain.codes import Role
from fit_platform.services.admin_audit import ROLE_AT_UNIT, STAFF_ID_LISTS
from fit_platform.web.admin.forms import UNIT_KIND_CHOICES
from fit_platform.web.admin.staff_forms import ROLE_NAMES
from fit_platform.web.episodes.forms import (
    CHANNEL_CHOICES,
    LANGUAGE_CHOICES,
    TRIGGER_CHOICES,
    WEEKDAY_CHOICES,
)
from fit_platform.web.formatting import format_date, format_datetime
from fit_platform.web.labels import EPISODE_STATUS

# What each audited action is called on the page; an action without a label shows its code.
ACTION_LABELS = {
    "staff_created": _l("Staff member created"),
    "identity_linked": _l("Login identity linked"),
    "identity_unlinked": _l("Login identity removed"),
    "staff_invited": _l("Staff member invited"),
    "staff_invited_again": _l("New invitation sent"),
    "invitation_accepted": _l("Invitation accepted, password set"),
    "password_link_sent": _l("Link to choose a new password sent"),
    "password_set_by_link": _l("New password chosen through a link"),
    "invitation_withdrawn": _l("Invitation withdrawn"),
    "role_added": _l("Role added"),
    "role_removed": _l("Role removed"),
    "staff_deactivated": _l("Account deactivated"),
    "staff_reactivated": _l("Account reactivated"),
    "second_factor_reset": _l("Second factor reset"),
    "access_log_exported": _l("Access log exported"),
    "patient_data_exported": _l("Patient's data downloaded (right of access)"),
    "patient_feedback_erased": _l("Patient's feedback data erased"),
    "patient_contact_corrected": _l("Patient's contact details corrected"),
    "unit_created": _l("Unit created"),
    "unit_changed": _l("Unit changed"),
    "unit_archived": _l("Unit archived"),
    "unit_restored": _l("Unit brought back"),
    "programme_created": _l("Programme created"),
    "programme_renamed": _l("Programme renamed"),
    "programme_archived": _l("Programme archived"),
    "programme_restored": _l("Programme brought back"),
    "schedule_template_created": _l("Schedule template created"),
    "schedule_template_renamed": _l("Schedule template renamed"),
    "schedule_rule_added": _l("Rule added to a schedule template"),
    "schedule_rule_changed": _l("Schedule template rule changed"),
    "episode_transferred": _l("Episode transferred to another therapist"),
    "episode_closed": _l("Episode closed"),
    "unit_instrument_enabled": _l("Questionnaire enabled for a unit"),
    "unit_instrument_disabled": _l("Questionnaire disabled for a unit"),
}

TARGET_LABELS = {
    "staff": _l("Staff member"),
    "unit": _l("Unit"),
    "programme": _l("Programme"),
    "schedule_plan": _l("Schedule template"),
    "episode": _l("Episode"),
    "patient": _l("Patient"),
    "access_log": _l("Access log"),
}

# Every detail key the services write (grep `record_admin_change`); the value's own words
# (a name, a code) stay as stored.
FIELD_LABELS = {
    # staff accounts, invitations and links
    "username": _l("Username"),
    "display_name": _l("Name"),
    "roles": _l("Roles"),
    "role": _l("Role"),
    "is_active": _l("Account active"),
    "sessions_ended": _l("Sessions ended"),
    "invitation_expires_at": _l("Invitation works until"),
    "link_expires_at": _l("Link works until"),
    "printed_for_operator": _l("Link printed for the operator (no e-mail)"),
    "second_factor": _l("Second factor set up"),
    "recovery_codes_left": _l("Recovery codes left"),
    "issuer": _l("Identity provider"),
    "subject": _l("Identity at the provider"),
    # units and programmes
    "code": _l("Code"),
    "name": _l("Name"),
    "kind": _l("Kind"),
    "phone": _l("Phone"),
    "opening_hours": _l("Opening hours (bokmål)"),
    "opening_hours_nn": _l("Opening hours (nynorsk)"),
    "opening_hours_en": _l("Opening hours (English)"),
    "quiet_from": _l("Quiet hours from"),
    "quiet_until": _l("Quiet hours until"),
    "message_name": _l("Sender name in messages"),
    "archived": _l("Archived"),
    "invitations_cancelled": _l("Invitations cancelled"),
    "appointments_cancelled": _l("Appointments cancelled"),
    # Closing an episode with a risk answer nobody had acknowledged (services/episode_close.py).
    "risk_followed_up": _l("Confirmed that the therapist followed up a risk answer"),
    "unit_id": _l("Unit"),
    "programme_id": _l("Programme id"),
    "instrument": _l("Questionnaire"),
    "enabled": _l("Enabled"),
    # schedule templates
    "rule_id": _l("Rule id"),
    "instrument_id": _l("Questionnaire"),
    "trigger": _l("When it is sent"),
    "offset_hours": _l("Hours before or after"),
    "weekdays": _l("Weekdays"),
    "send_time": _l("Send time"),
    "window_hours": _l("Hours to answer"),
    "reminder_after_hours": _l("Reminder after hours"),
    "min_interval_hours": _l("Hours at least between"),
    "active": _l("In use"),
    # episodes
    "responsible_staff_ids": _l("Responsible therapist"),
    "status": _l("Status"),
    "ended_on": _l("Ended on"),
    # a patient's data and contact details (counts and words, never the data itself)
    "episodes": _l("Episodes"),
    "responses": _l("Responses"),
    "answers": _l("Answers"),
    "comments": _l("Comments"),
    "decisions": _l("Shared decisions"),
    "goals": _l("Goals"),
    "signals": _l("Signals"),
    "session_topics": _l("Session topics"),
    "link_tokens": _l("Links"),
    "one_time_codes": _l("One-time codes"),
    "consent_events": _l("Consent events"),
    "access_log_rows": _l("Access log rows"),
    "feedback_erased_at": _l("Erased at"),
    "cancelled_invitations": _l("Invitations cancelled"),
    "cancelled_messages": _l("Messages cancelled"),
    "national_id": _l("National identity number"),
    "email": _l("E-mail"),
    "language": _l("Language"),
    "channel": _l("Channel"),
    # an access-log export
    "patient": _l("Patient"),
    "staff_id": _l("Staff id"),
    "from": _l("From"),
    "to": _l("To"),
    "flagged_only": _l("Only flagged readings"),
    "rows": _l("Rows"),
}


def _labels(choices: Iterable[SelectChoice]) -> dict[str, Any]:
    return {choice.value: choice.label for choice in choices}


# A detail's stored code in the words of the form that sets it, so the trail reads like the
# page the change was made on. A value without a label here is shown as stored.
VALUE_LABELS: dict[str, dict[str, Any]] = {
    "kind": _labels(UNIT_KIND_CHOICES),
    "trigger": _labels(TRIGGER_CHOICES),
    "language": _labels(LANGUAGE_CHOICES),
    "channel": _labels(CHANNEL_CHOICES),
    "status": {status.value: label for status, label in EPISODE_STATUS.items()},
}
_WEEKDAYS = _labels(WEEKDAY_CHOICES)

_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ROLES = {role.value: role for role in Role}


@dataclass(frozen=True)
class ShownDetail:
    label: str
    value: str
    # The stored key, shown beside an unknown one so nothing is hidden or guessed.
    code: str | None


def _role_value(text: str, unit_names: Mapping[int, str]) -> str | None:
    found = ROLE_AT_UNIT.fullmatch(text)
    # `create-admin` wrote the bare role of its service-wide administrator until the
    # thirty-sixth session ("admin"); such rows read as the role@all it now writes.
    role = _ROLES.get(found["role"] if found is not None else text)
    if role is None:
        return None
    name = str(ROLE_NAMES[role])
    if found is None or found["unit"] == "all":
        return _("%(role)s, all units", role=name)
    unit_name = unit_names.get(int(found["unit"]))
    if unit_name is None:  # a unit no longer there: its id, as stored
        return _("%(role)s, unit %(unit)s", role=name, unit=found["unit"])
    return _("%(role)s, %(unit)s", role=name, unit=unit_name)


def _weekdays(text: str) -> str | None:
    days = [_WEEKDAYS.get(day.strip()) for day in text.split(",")]
    if not days or None in days:
        return None
    return ", ".join(str(day) for day in days)


def shown_value(
    key: str,
    value: Any,
    unit_names: Mapping[int, str] | None = None,
    staff_names: Mapping[int, str] | None = None,
) -> str:
    """One stored detail value as the reader should see it; `unit_names` and `staff_names`
    (by id) name the units and staff the page's changes refer to (services/admin_audit.py
    reads them for the page)."""
    names = unit_names or {}
    if key == STAFF_ID_LISTS and isinstance(value, int) and staff_names and value in staff_names:
        return staff_names[value]
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if value is None or value == "":
        return "–"
    if isinstance(value, list):
        return ", ".join(shown_value(key, item, names, staff_names) for item in value)
    if key == "unit_id" and isinstance(value, int):
        return names.get(value, str(value))
    if isinstance(value, str):
        label = VALUE_LABELS.get(key, {}).get(value)
        if label is not None:
            return str(label)
        if key == "weekdays":
            return _weekdays(value) or value
        if _ISO_DATETIME.match(value):
            try:
                return format_datetime(dt.datetime.fromisoformat(value), "short")
            except ValueError:
                return value
        if _ISO_DATE.fullmatch(value):
            try:
                return format_date(dt.date.fromisoformat(value), "short")
            except ValueError:
                return value
        if key in ("role", "roles"):
            return _role_value(value, names) or value
    return str(value)


def shown_details(
    fields: Mapping[str, Any],
    unit_names: Mapping[int, str] | None = None,
    staff_names: Mapping[int, str] | None = None,
) -> list[ShownDetail]:
    """The before or after fields of one change, labelled, in the order they were stored."""
    shown = []
    for key, value in fields.items():
        label = FIELD_LABELS.get(key)
        shown.append(
            ShownDetail(
                str(label) if label is not None else key,
                shown_value(key, value, unit_names, staff_names),
                None if label is not None else key,
            )
        )
    return shown


def shown_target(
    kind: str,
    target_id: int | None,
    unit_names: Mapping[int, str] | None = None,
    target_names: Mapping[tuple[str, int], str] | None = None,
) -> Markup:
    """'Unit DPS Nord', 'Programme Angstgruppe', 'Staff member Kari Vest': the kind of thing
    changed, translated, and its name where the trail has one (`target_names`, `unit_names`),
    else its id ('Episode 12')."""
    label = TARGET_LABELS.get(kind)
    name = escape(str(label) if label is not None else kind)
    if target_id is None:
        return name
    if kind == "unit" and unit_names and target_id in unit_names:
        return Markup("{} {}").format(name, unit_names[target_id])
    if target_names and (kind, target_id) in target_names:
        return Markup("{} {}").format(name, target_names[(kind, target_id)])
    return Markup("{} {}").format(name, target_id)
