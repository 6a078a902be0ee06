"""The page a former therapist's open tab leads to once the patient was transferred.

A walk had a therapist with a patient's pre-session view open while an administrator moved
the patient to a colleague: he typed what he had done about a risk signal, pressed
"Acknowledge", and got "Page not found: check the address", his note gone. The patient is no
longer his to see (the 404 stays: the page shows nothing of the patient), but the page now
says why, from when, whom to ask, and gives back any text he wrote, to pass on.
"""

from __future__ import annotations

from flask import render_template, request

from fit_platform.context_objects import this_g
from fit_platform.extensions import get_db
from fit_platform.services.episode_transfers import transferred_away

# The free-text fields of the therapist's forms on an episode (a signal's note, a samvalg
# record's parts, a standing choice's words, a withdrawal's reason), by name or prefixed name.
_WRITTEN = frozenset({"note", "options_discussed", "what_matters", "decision", "reason", "text"})


def transferred_away_page() -> tuple[str, int] | None:
    """For a "not found" on an episode's page or form that the viewer was responsible for
    until a transfer: the page that says so (status 404), else None."""
    staff = this_g().get("staff")
    episode_id = (request.view_args or {}).get("episode_id")
    if staff is None or not isinstance(episode_id, int):
        return None
    at = transferred_away(get_db(), staff_id=staff.staff_id, episode_id=episode_id)
    if at is None:
        return None
    written = (
        [
            value.strip()
            for key, value in request.form.items()
            if key.rsplit("-", 1)[-1] in _WRITTEN and value.strip()
        ]
        if request.method == "POST"
        else []
    )
    return render_template("clinician/transferred_away.html", at=at, written=written), 404
