"""Invitations: create the due ones, queue reminders, expire windows, cancel on change.

Called by the scheduler clock, the CLI and the web alike; never imports Flask. One module
per capability, re-exported here so callers keep one import:

- `enqueue.py`: the due invitations and their outbox messages (set-based, idempotent;
  the candidate episodes in `enqueue_candidates.py`, the inserts in `enqueue_insert.py`);
- `reminders.py`: reminders, expiry of answer windows, clean-up of closed invitations;
- `cancel.py`: what appointment and consent changes cancel;
- `invitation_common.py`: non-response reasons, outbox keys, duplicate-ignoring inserts,
  consent folded from events.
"""

from __future__ import annotations

from fit_platform.services.cancel import (
    appointment_changed,
    cancel_for_changed_appointments,
    cancel_invitations,
)
from fit_platform.services.enqueue import enqueue_due
from fit_platform.services.invitation_common import (
    OPEN_STATES,
    EnqueueResult,
    NonResponse,
    consent_by_patient,
    insert_ignoring_duplicates,
    message_key,
)
from fit_platform.services.reminders import clean_up, expire_windows, queue_reminders

__all__ = [
    "OPEN_STATES",
    "EnqueueResult",
    "NonResponse",
    "appointment_changed",
    "cancel_for_changed_appointments",
    "cancel_invitations",
    "clean_up",
    "consent_by_patient",
    "enqueue_due",
    "expire_windows",
    "insert_ignoring_duplicates",
    "message_key",
    "queue_reminders",
]
