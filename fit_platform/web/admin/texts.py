"""Translated messages for the codes the administration services refuse a change with."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ADMIN_ERRORS = {
    "required": _l("This field is required."),
    "bad_code": _l("Use the letters a–z, digits and hyphens, starting with a letter or a digit."),
    "code_taken": _l("This code is already in use. Choose another; nothing was saved."),
    "name_taken": _l("This name is already in use. Choose another; nothing was saved."),
    "bad_phone": _l("Write the phone number with digits, spaces and an optional leading +."),
    "too_long": _l("Write at most 40 characters."),
    "bad_time": _l("Write the time as HH:MM, for example 21:00."),
    # The end of quiet hours is a morning: its example too (it said 21:00 for both).
    "bad_end_time": _l("Write the time as HH:MM, for example 08:00."),
    "opening_hours_bokmaal_first": _l(
        "Write the opening hours in bokmål too: a page in a language without its own text "
        "shows the bokmål ones."
    ),
    "unit_archived": _l("This unit is archived. Bring it back first."),
    "unknown": _l("Choose one of the options."),
    "template_exists": _l(
        "There is a template for this already. Edit that one; nothing was saved."
    ),
    "not_a_therapist_here": _l("Choose an active therapist of the episode's unit."),
    "already_responsible": _l("This therapist is already responsible for the episode."),
    "episode_closed": _l("This episode is already closed."),
    "unacknowledged_risk": _l(
        "This patient has a risk answer nobody has acknowledged. Ask the therapist to follow it"
        " up, or tick the box if they have; nothing was closed."
    ),
}


def admin_message(code: str) -> str:
    """The translated message of a service's refusal code."""
    return str(ADMIN_ERRORS.get(code, ADMIN_ERRORS["unknown"]))
