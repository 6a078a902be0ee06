"""A signal's note sent back to the pre-session view, in the form it came from.

Two ways back: the service refused it (a risk signal's note left empty, or too long), or it
was typed while the staff session ended and is given back after the writer has logged in
again (`web/kept_typing.py`). Either way the page shows the note as typed in its field, with
the message at the top of the page and at the field; the page, not a flash, since the form is
far below the top. A kept note whose form the page no longer offers (a colleague acknowledged
or resolved the signal in between) is shown at the top with its words, so nothing typed is
lost without the writer seeing it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _

from fit_platform.services.presession_contents import SignalFlag
from fit_platform.web.kept_typing import take_signal_note


@dataclass(frozen=True)
class NoteProblem:
    """A note back in its form: the signal the form acts on, the action (``acknowledge`` or
    ``resolve``), the note as typed and what the writer is told. `kept` when it is typing given
    back after login (not an error: not saved yet), else a refusal."""

    signal_id: int
    action: str
    note: str
    message: str
    kept: bool = False


@dataclass(frozen=True)
class UnplacedNote:
    """A kept note whose form is gone from the page: its words, shown to the writer."""

    note: str


def form_signal_id(flags: Iterable[SignalFlag], action: str, signal_id: int) -> int | None:
    """The signal the page's `action` form posts to on the flag that holds `signal_id` (the
    form of a flag posts for its newest signal, which may have come after), or None when the
    page offers that form no more. Follows the template: acknowledge while a signal of the
    flag waits; resolve when the flag may be resolved now."""
    for flag in flags:
        if all(signal.id != signal_id for signal in flag.signals):
            continue
        if action == "acknowledge":
            return flag.acknowledge_id
        return flag.resolve_id if flag.resolvable_now else None
    return None


def kept_note_given_back(flags: Iterable[SignalFlag]) -> NoteProblem | UnplacedNote | None:
    """The note this staff member typed on this page before their session ended, placed in
    its form, or unplaced when the form is gone; None when nothing was kept."""
    kept = take_signal_note()
    if kept is None:
        return None
    action, signal_id, note = kept
    form_id = form_signal_id(flags, action, signal_id)
    if form_id is None:
        return UnplacedNote(note)
    message = (
        _(
            "Your note is back in its field. It was not saved: your session had ended. "
            "Check it, then press Acknowledge again."
        )
        if action == "acknowledge"
        else _(
            "Your note is back in its field. It was not saved: your session had ended. "
            "Check it, then press Resolve again."
        )
    )
    return NoteProblem(form_id, action, note, message, kept=True)
