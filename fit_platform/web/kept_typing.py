"""Typing that arrived after the staff session had ended, given back in its form after login
(the rules: `services/kept_typing.py`).

`KEPT_FIELDS` names, per form, what is kept: the text typed and the choices the form needs to
be sent again as it was (never the CSRF token or the one-time value: the page gives fresh
ones). The login redirect keeps them (`keep_posted_typing`, from `web/auth/session.py`); the
form's page gives them back on its next GET (`give_back_typing`; a signal's note, one of many
forms on the pre-session view, with `take_signal_note`).
"""

from __future__ import annotations

from flask import flash, g, request, session
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from fit_platform.extensions import get_db
from fit_platform.services.kept_typing import (
    ended_session_staff,
    has_kept_typing,
    keep_typing,
    take_typing,
)
from fit_platform.web.clock import now

_DECISION_WORDS = ("options_discussed", "what_matters", "decision", "review_on")
# The forms where typing takes long enough for a session to end: a samvalg record is written
# with the patient, often through the whole session.
KEPT_FIELDS: dict[str, tuple[str, ...]] = {
    "clinician.new_decision": ("signal_id", *_DECISION_WORDS, "visible_to_patient"),
    "clinician.correct_decision_page": ("version", *_DECISION_WORDS, "visible_to_patient"),
    "clinician.withdraw_decision_page": ("reason",),
    # A signal's note: a risk note is often written after a long phone call with the patient.
    "clinician.acknowledge": ("note",),
    "clinician.resolve": ("note",),
}
# The forms whose action and signal are in their URL, not in their fields: kept with the note,
# so that it goes back into the same signal's form (web/clinician/signal_note.py).
_SIGNAL_NOTE_ACTIONS = {"clinician.acknowledge": "acknowledge", "clinician.resolve": "resolve"}
# In the cookie session of a login after which something may be given back: the pages look
# for kept typing only then, not on every opening of the pre-session view (one transaction
# each). Only this flag is in the cookie, never the words.
KEPT_TYPING_KEY = "kept_typing"


def note_kept_typing_at_login(staff_id: int) -> None:
    """At login (the cookie session is new): flag it when something is kept for `staff_id`."""
    if has_kept_typing(get_db(), staff_id, now=now()):
        session[KEPT_TYPING_KEY] = True


def _may_have_kept_typing() -> bool:
    return request.method == "GET" and g.get("staff") is not None and KEPT_TYPING_KEY in session


def keep_posted_typing(page: str | None) -> bool:
    """Keep what this refused POST carried, for the staff member whose session ended, on the
    form's `page`. False when the form is not one that keeps typing, or nobody's session
    ended (no session at all, or one logged out)."""
    names = KEPT_FIELDS.get(request.endpoint or "")
    session_id = g.get("ended_session_id")
    if not names or page is None or not session_id:
        return False
    staff_id = ended_session_staff(get_db(), session_id)
    if staff_id is None:
        return False
    fields = {name: request.form.get(name, "") for name in names}
    if not any(fields.values()):
        return False  # nothing was typed: there is nothing to give back
    action = _SIGNAL_NOTE_ACTIONS.get(request.endpoint or "")
    if action is not None and request.view_args:
        fields |= {"action": action, "signal_id": str(request.view_args["signal_id"])}
    return keep_typing(get_db(), staff_id, page, fields, now=now())


def give_back_typing(form: FlaskForm) -> bool:
    """On the form page's GET: fill `form` with what this staff member typed here before
    their session ended, and say so. False when nothing was kept."""
    names = KEPT_FIELDS.get(request.endpoint or "")
    if not names or not _may_have_kept_typing():
        return False
    fields = take_typing(get_db(), g.staff.staff_id, request.path, now=now())
    if fields is None:
        return False
    posted = MultiDict(fields)
    for name in names:
        form[name].process(posted)  # an unticked box was not sent: it stays unticked
    flash(
        _(
            "What you typed before your session ended is back in the form. It is not saved "
            "yet: check it, then save."
        )
    )
    return True


def take_signal_note() -> tuple[str, int, str] | None:
    """On the pre-session view's GET: the signal's note this staff member typed on this page
    before their session ended, as (action, signal id, note), deleted as it is taken; None when
    nothing was kept here."""
    if not _may_have_kept_typing():
        return None
    fields = take_typing(get_db(), g.staff.staff_id, request.path, now=now())
    if fields is None or fields.get("action") not in _SIGNAL_NOTE_ACTIONS.values():
        return None
    signal_id = fields.get("signal_id", "")
    if not signal_id.isdigit() or not fields.get("note"):
        return None
    return fields["action"], int(signal_id), fields["note"]
