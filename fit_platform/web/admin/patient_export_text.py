"""The right-of-access file in words the patient can read: each internal code in the file
(services/patient_export.py) gets its name in the patient's own language beside it, as
``<field>_text``, with the labels the staff pages and the patient's own pages already use.

The code stays where it was, so a program reading the file still finds it; a few codes no page
shows get words of their own here, and an unknown code gets ``null`` beside it (docs/privacy.md,
"The file").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_pgettext as _lp

from fit_platform.domain.codes import Actor, CommentSource, ResponseStatus
from fit_platform.domain.instruments import default_instruments
from fit_platform.domain.own_plan import ChoiceEventKind, RecordedBy
from fit_platform.domain.signals import Severity
from fit_platform.services.export.rows import NON_RESPONSE_REASONS
from fit_platform.signal_texts import SIGNAL_TITLES
from fit_platform.web import labels
from fit_platform.web.access_labels import patient_action
from fit_platform.web.clinician.presenters import band_label
from fit_platform.web.episodes.forms import STATUS_CHOICES
from fit_platform.web.own_plan_labels import CHOICE_LABELS

Namer = Callable[[str], str | None]

# Each stored reason in the group the service developer's export counts it under.
_REASON_GROUP = {code: group for group, codes in NON_RESPONSE_REASONS.items() for code in codes}


def _from(table: Mapping[Any, Any]) -> Namer:
    """A code's label from one of the pages' tables (keyed by the code or its enum, which
    compares and hashes as the code); None for a code the table lacks."""

    def name(code: str) -> str | None:
        label = table.get(code)
        return None if label is None else str(label)

    return name


def _not_answered_because(code: str) -> str | None:
    """As the therapist's appointments page says it where it names the reason (never sent,
    cancelled and why); otherwise the group the service developer's export counts it in."""
    label = labels.SKIP_REASON.get(code)
    if label is None:
        group = _REASON_GROUP.get(code)
        label = labels.REASON_LABELS.get(group) if group else None
    return None if label is None else str(label)


def _instrument_title(language: str) -> Namer:
    """A questionnaire's title as the patient is shown it (its English title where it has none
    in her language); None for an id not in the library."""

    def name(code: str) -> str | None:
        instrument = default_instruments().get(code)
        if instrument is None:
            return None
        return instrument.title.get(language) or instrument.title["en"]

    return name


_APPOINTMENT_STATUS = {choice.value: choice.label for choice in STATUS_CHOICES}

# Codes no page names, in words for this file only (the context keeps short words apart from
# the same English word elsewhere).
_RESPONSE_STATUS = {
    ResponseStatus.IN_PROGRESS: _lp("patient data file", "started, not sent in"),
    ResponseStatus.SUBMITTED: _lp("patient data file", "sent in"),
}
_COMMENT_SOURCE = {
    CommentSource.FINISH: _lp("patient data file", "written on the questionnaire's last page"),
    CommentSource.RESULT: _lp(
        "patient data file", "written on the thank-you page, about the result"
    ),
}
_SEVERITY = {
    Severity.HIGH: _lp("signal severity", "high"),
    Severity.MEDIUM: _lp("signal severity", "medium"),
    Severity.LOW: _lp("signal severity", "low"),
}
_CHOICE_EVENT_KIND = {
    ChoiceEventKind.RECORDED: _lp("standing choice", "recorded"),
    ChoiceEventKind.CHANGED: _lp("standing choice", "changed"),
    ChoiceEventKind.WITHDRAWN: _lp("standing choice", "withdrawn"),
}
_RECORDED_BY = {
    RecordedBy.PATIENT: labels.ACTOR[Actor.PATIENT],
    RecordedBy.THERAPIST_WITH_PATIENT: _lp("patient data file", "a therapist with the patient"),
}

# Field by field, what names each code. A field missing here holds free text, a time, a number
# or an id (docs/privacy.md, "The file").
_PATIENT: dict[str, Namer] = {
    "language": _from(labels.LANGUAGE_SHORT),
    "channel": _from(labels.CHANNEL),
    "consent_state": _from(labels.CONSENT_STATE),
}
_EPISODE: dict[str, Namer] = {"status": _from(labels.EPISODE_STATUS)}
_APPOINTMENT: dict[str, Namer] = {"status": _from(_APPOINTMENT_STATUS)}
_INVITATION: dict[str, Namer] = {
    "state": _from(labels.INVITATION_STATE),
    "not_answered_because": _not_answered_because,
}
_RESPONSE: dict[str, Namer] = {
    "language": _from(labels.LANGUAGE_SHORT),
    "status": _from(_RESPONSE_STATUS),
}
_ANSWER: dict[str, Namer] = {"language": _from(labels.LANGUAGE_SHORT)}
_COMMENT: dict[str, Namer] = {"source": _from(_COMMENT_SOURCE)}
_SIGNAL: dict[str, Namer] = {"code": _from(SIGNAL_TITLES), "severity": _from(_SEVERITY)}
_CONSENT_EVENT: dict[str, Namer] = {
    "kind": _from(labels.CONSENT_EVENT),
    "by": _from(labels.ACTOR),
    "channel": _from(labels.CHANNEL),
}
_CHOICE_EVENT: dict[str, Namer] = {
    "event": _from(_CHOICE_EVENT_KIND),
    "kind": _from(CHOICE_LABELS),
    "by": _from(_RECORDED_BY),
}
_PLAN_VERSION: dict[str, Namer] = {"by": _from(_RECORDED_BY)}
_MESSAGE: dict[str, Namer] = {
    "kind": _from(labels.MESSAGE_KIND),
    "channel": _from(labels.CHANNEL),
    "state": _from(labels.OUTBOX_STATE),
}
# The action in the words of the patient's own "who has looked" page.
_ACCESS: dict[str, Namer] = {"role": _from(labels.ROLE), "action": patient_action}


def _named(row: dict[str, Any], namers: Mapping[str, Namer]) -> None:
    """Puts ``<field>_text`` right after each code field of the row (null beside a null)."""
    texts = {
        field: (None if row[field] is None else namer(row[field]))
        for field, namer in namers.items()
    }
    shown = dict(row)
    row.clear()
    for field, value in shown.items():
        row[field] = value
        if field in texts:
            row[f"{field}_text"] = texts[field]


def name_codes(data: dict[str, Any]) -> None:
    """Names the file's codes in the patient's own language, whichever language the
    administrator works in: ``<field>_text`` beside each code, and each response's severity
    band as the pages name it (``band_label``) in place of its code. The scoring record
    (``score_details``) stays as stored, codes and all."""
    language = data["patient"]["language"]
    instrument = {"instrument": _instrument_title(language)}
    with force_locale(language):
        _named(data["patient"], _PATIENT)
        for episode in data["episodes"]:
            _named(episode, _EPISODE)
            for key, namers in (
                ("appointments", _APPOINTMENT),
                ("invitations", {**instrument, **_INVITATION}),
                ("responses", {**instrument, **_RESPONSE}),
                ("signals", _SIGNAL),
            ):
                for row in episode[key]:
                    _named(row, namers)
            for response in episode["responses"]:
                for answer in response["answers"]:
                    _named(answer, _ANSWER)
                for comment in response["comments"]:
                    _named(comment, _COMMENT)
                code = response["band"]
                response["band"] = band_label(code, instrument=response["instrument"]) or None
        for key, namers in (
            ("consent_history", _CONSENT_EVENT),
            ("crisis_plan_versions", _PLAN_VERSION),
            ("standing_choice_events", _CHOICE_EVENT),
            ("unsent_check_page_text", instrument),
            ("messages", _MESSAGE),
            ("access_log", _ACCESS),
        ):
            for row in data[key]:
                _named(row, namers)
