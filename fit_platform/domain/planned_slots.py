"""Whether a questionnaire planned and not sent yet still fits its rule after a change.

The schedule page promises that a change applies from the next questionnaire, and a
questionnaire planned and waiting to be sent (until quiet hours end, or while the message
gateway is down) is that next one. When the therapist changes its rule, or the patient her
own programme days, the service cancels each planned one the plan no longer asks for, and the
scheduler's next tick plans what the changed plan asks for (`services/plan_changes.py`).

"Still asks for" means: the same questionnaire, the same kind of occasion, and for a day rule a
day the rule (and the patient's own days, for a daily rule) still covers. A changed send time,
offset, window or reminder leaves a planned one as it is: it is for an occasion the plan still
has, and it is already due (planned ahead only for quiet hours or a gateway outage).
"""

from __future__ import annotations

from datetime import date

from fit_platform.domain.schedule_model import (
    APPOINTMENT_SLOT_PREFIX,
    APPOINTMENT_TRIGGERS,
    DAY_SLOT_PREFIX,
    ScheduleRule,
    Trigger,
)


def still_asked_for(
    rule: ScheduleRule,
    instrument_id: str,
    slot_key: str,
    *,
    own_weekdays: frozenset[int] | None = None,
) -> bool:
    """True when `rule`, as it now stands, still asks for the planned invitation of
    `instrument_id` in `slot_key` (`schedule_model.day_slot_key`, `appointment_slot_key`).

    `own_weekdays` (0 = Monday) are the patient's own days in a day programme, which narrow a
    daily rule only (None: every programme day)."""
    if rule.instrument_id != instrument_id:
        return False
    if slot_key.startswith(APPOINTMENT_SLOT_PREFIX):
        # `appt:<id>@<start>:<trigger>`: the occasion is the appointment and the kind of rule.
        return rule.trigger in APPOINTMENT_TRIGGERS and slot_key.endswith(f":{rule.trigger.value}")
    if not slot_key.startswith(DAY_SLOT_PREFIX):
        # Not a slot the schedule rules make: not this rule's to take back.
        return True
    if rule.trigger in APPOINTMENT_TRIGGERS:
        return False
    try:
        weekday = date.fromisoformat(slot_key.removeprefix(DAY_SLOT_PREFIX)).weekday()
    except ValueError:
        return True
    if weekday not in rule.weekdays:
        return False
    return not (rule.trigger is Trigger.DAILY and own_weekdays and weekday not in own_weekdays)
