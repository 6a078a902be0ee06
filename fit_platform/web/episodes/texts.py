"""Translated messages for the codes the registration and import services return."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from fit_platform.domain.appointment_import import (
    ACCEPTED_STATUSES,
    MAX_ROWS,
    FileError,
    FileProblem,
    ImportProblem,
    longest_id,
)
from fit_platform.domain.appointment_range import NonexistentLocalTime, is_night
from fit_platform.services.appointment_import import RefusalReason, UnmatchedRow
from fit_platform.web.formatting import format_date

REGISTRATION_ERRORS = {
    "required": _l("This field is required."),
    "invalid_phone": _l("Enter a Norwegian or international mobile number that can receive SMS."),
    "required_for_sms": _l("A mobile number is needed to send links by SMS."),
    "invalid_email": _l("Enter a valid e-mail address."),
    "required_for_email": _l("An e-mail address is needed to send links by e-mail."),
    "taken": _l("A patient with this record id is already in treatment in this unit."),
    "unknown": _l("Choose one of the options."),
    "unit_archived": _l("This unit is archived and takes no new patients."),
    "programme_not_open": _l("Choose an open programme of the chosen unit."),
    "national_id_format": _l("A national identity number has 11 digits."),
    "national_id_date": _l(
        "The first six digits must be a date of birth (or a D-number). Check the number."
    ),
    "national_id_check_digits": _l(
        "This is not a valid national identity number: a digit is probably mistyped."
    ),
    "national_id_test_number": _l(
        "This is a synthetic test number. Real patients need their real number."
    ),
    "national_id_taken": _l(
        "A patient with this national identity number is already registered in this unit."
    ),
    "start_out_of_range": _l(
        "The start of treatment can be at most 30 years back and at most 1 year ahead. "
        "Check the year."
    ),
}

IMPORT_PROBLEMS = {
    ImportProblem.MISSING_FIELD: _l("a required field is empty"),
    ImportProblem.BAD_TIME: _l(
        "the time is not a valid date and time (write it as 2026-12-15T10:00 or 15.12.2026 10:00)"
    ),
    ImportProblem.NONEXISTENT_TIME: _l(
        "the local time does not exist: the clocks jump an hour forward that night (summer time)"
    ),
    ImportProblem.BAD_STATUS: _l(
        "the status is not recognised: write one of %(statuses)s, or leave it empty for a "
        "planned appointment"
    ),
    ImportProblem.END_BEFORE_START: _l("the end is before the start"),
    ImportProblem.TOO_LONG: _l(
        "the id is longer than %(longest)s characters, so it is no id this platform keeps "
        "(nothing was changed on its account)"
    ),
    ImportProblem.OUT_OF_RANGE: _l(
        "the date is more than 2 years back or more than 5 years ahead, so it cannot be right"
    ),
    ImportProblem.NOT_BEGUN: _l(
        "the session has not begun, so it cannot be done or did not attend (leave the status "
        "empty or write planned, and change it after the session)"
    ),
}


def file_problem(error: FileError, *, bundle: bool) -> str:
    """The one message for a file that was not imported at all (`bundle`: it was read as a
    FHIR Bundle, not as CSV). Column names are shown as they are: they are the file's own."""
    nothing = _("Nothing was imported.")
    if error.problem is FileProblem.EMPTY:
        said = _("The file is empty: it has no appointments.")
    elif error.problem is FileProblem.NO_ROWS and bundle:
        said = _("The bundle has no Appointment resources: it has no appointments.")
    elif error.problem is FileProblem.NO_ROWS:
        said = _("The file has the column names but no rows: it has no appointments.")
    elif error.problem is FileProblem.NOT_TEXT:
        said = _(
            "The file is not a CSV text file: it is not text in UTF-8 or Windows-1252 (perhaps"
            " a spreadsheet, an image or a UTF-16 export). Export the appointments from the"
            " patient record system as CSV (UTF-8 or Windows-1252) or as a FHIR Bundle, and"
            " upload that file."
        )
    elif error.problem is FileProblem.MISSING_COLUMNS:
        said = " ".join(
            (
                ngettext(
                    "The file lacks the required column: %(missing)s.",
                    "The file lacks the required columns: %(missing)s.",
                    len(error.missing),
                    missing=", ".join(error.missing),
                ),
                _("Its first line has: %(found)s.", found=", ".join(error.found))
                if error.found
                else _("Its first line has no column names."),
                _(
                    "The first line must name the columns appointment_id, patient_id and start"
                    " (end and status may be added), separated by commas or semicolons."
                ),
            )
        )
    elif error.problem is FileProblem.NOT_AN_APPOINTMENT_BUNDLE:
        said = _("The file is JSON but not a FHIR Bundle of appointments.")
    elif error.problem is FileProblem.TOO_MANY_ROWS:
        said = _(
            "The file has more than %(max)s rows. Split it into smaller files and import each.",
            max=format_decimal(MAX_ROWS),
        )
    elif bundle:
        said = _("The file starts like JSON but could not be read as JSON.")
    else:
        said = _(
            "The file could not be read as CSV (perhaps a quotation mark is not closed or a"
            " field is very long)."
        )
    return f"{said} {nothing}"


def row_problem(row: int, field: str | None, problem: ImportProblem, *, bundle: bool) -> str:
    """One row's problem, naming the CSV column or the bundle element it is in."""
    text = IMPORT_PROBLEMS[problem]
    if problem is ImportProblem.BAD_STATUS:
        # The words are the file's, not translated: the record system writes them so.
        text = text % {"statuses": ", ".join(ACCEPTED_STATUSES)}
    if problem is ImportProblem.TOO_LONG:
        text = text % {"longest": longest_id(field or "patient_id")}
    if field is None:
        return _("Row %(row)s: %(problem)s", row=row, problem=text)
    if bundle:
        return _("Row %(row)s, field %(field)s: %(problem)s", row=row, field=field, problem=text)
    return _("Row %(row)s, column %(column)s: %(problem)s", row=row, column=field, problem=text)


SHOWN_ROWS = 10  # of one record id; the rest is a count


def unmatched_by_record(unmatched: list[UnmatchedRow]) -> list[str]:
    """One line per record id without an active episode, with its rows ('row 3' or
    'rows 2, 4, 9'; a long list cut short with how many more), in file order."""
    rows: dict[str, list[int]] = {}
    for item in unmatched:
        rows.setdefault(item.patient_ref, []).append(item.row)
    lines = []
    for patient_ref, numbers in rows.items():
        shown = ", ".join(str(row) for row in numbers[:SHOWN_ROWS])
        if len(numbers) > SHOWN_ROWS:
            shown = _("%(rows)s and %(n)s more", rows=shown, n=len(numbers) - SHOWN_ROWS)
        lines.append(
            ngettext(
                "Record id %(patient)s: row %(rows)s",
                "Record id %(patient)s: rows %(rows)s",
                len(numbers),
                patient=patient_ref,
                rows=shown,
            )
        )
    return lines


REFUSAL_REASONS = {
    RefusalReason.NOT_YOUR_PATIENT: _l(
        "you are not a therapist on this patient's episode, so nothing was changed"
    ),
}


def nonexistent_time(gap: NonexistentLocalTime) -> str:
    """The form error for a local time in the spring DST gap, naming the gap."""
    return str(
        _(
            "%(day)s at %(time)s does not exist here: that night the clocks jump from %(start)s"
            " to %(end)s (summer time). Choose a time before %(start)s or from %(end)s.",
            day=format_date(gap.wall.date(), "short"),
            time=gap.wall.strftime("%H:%M"),
            start=gap.gap_start.strftime("%H:%M"),
            end=gap.gap_end.strftime("%H:%M"),
        )
    )


APPOINTMENT_OUT_OF_RANGE = _l(
    "Choose a date no more than 2 years back and no more than 5 years ahead."
)
APPOINTMENT_MOVED_INTO_PAST = _l(
    "Choose a time that has not passed yet. A session that has already taken place is added "
    "as a new appointment, and is recorded as a session held."
)
APPOINTMENT_AT_SAME_TIME = _l(
    "There is an appointment at this time already (in the list below). Nothing was added."
)


def registration_message(code: str) -> str:
    """The translated message of a registration or contact-details refusal code."""
    return str(REGISTRATION_ERRORS[code])


def returning_patient_message(ended_on: dt.date | None) -> str:
    """The record id is a patient whose treatment in the unit has ended: how to go on."""
    if ended_on is None:
        return _(
            "A patient with this record id was in treatment in this unit before. To start a "
            "new course of treatment for that patient, tick the box below and register again."
        )
    return _(
        "A patient with this record id was in treatment in this unit until %(date)s. To start "
        "a new course of treatment for that patient, tick the box below and register again.",
        date=format_date(ended_on, "medium"),
    )


RULE_ERRORS = {
    "unknown_instrument": _l("Choose one of the questionnaires."),
    "out_of_range": _l("A number is outside what a schedule allows."),
    "bad_weekday": _l("Choose days from Monday to Sunday."),
    "weekday_needed": _l("A weekly rule needs at least one day."),
    "reminder_after_window": _l("The reminder must come before the time to answer runs out."),
    "invalid": _l("This combination cannot be scheduled. Check the numbers."),
    "daily_needs_day_programme": _l(
        "“Every programme day” is for day programmes only: this unit is an outpatient clinic. "
        "Choose weekly on chosen days or a rule tied to appointments, or untick “In use”."
    ),
    "instrument_draft": _l(
        "This questionnaire is a draft: its wording is not yet checked against the "
        "publication, so it cannot be sent to patients. Choose another questionnaire."
    ),
    "instrument_retired": _l(
        "This questionnaire is retired and can no longer be sent. Choose another questionnaire."
    ),
    "instrument_not_enabled": _l(
        "This questionnaire is not enabled for this unit. Choose another one, switch the rule "
        "off, or ask an administrator to enable it."
    ),
    "template_instrument_not_enabled": _l(
        "This questionnaire is not enabled for this unit, so patients registered from now on "
        "would not get it. Choose another one, enable it on the Instruments page, or switch "
        "the rule off."
    ),
    "instrument_group_only": _l(
        "This is a group form: it is sent after a recorded group session to the members who "
        "attended, never by a schedule. Choose another questionnaire."
    ),
}

# Errors about the questionnaire itself are shown on the questionnaire field.
# The field of the rule form a refused rule's error belongs to (`rule_error_field`); the rest
# are about the rule as a whole and go on "When".
_RULE_ERROR_FIELDS = {
    "reminder_after_window": "reminder_after_hours",
    "bad_weekday": "weekdays",
    "weekday_needed": "weekdays",
}


def show_rule_errors(form: Any, codes: Iterable[str]) -> None:
    """Put each reason a rule was refused on its field of the rule `form`, all at once (one
    per round made an administrator send the form again for each)."""
    by_field: dict[str, list[str]] = {}
    for code in codes:
        by_field.setdefault(rule_error_field(code), []).append(str(RULE_ERRORS[code]))
    for name, messages in by_field.items():
        form[name].errors = messages


def rule_error_field(code: str) -> str:
    """The name of the rule form's field that shows a refused rule's error: the questionnaire
    for its problems, the reminder or the days for theirs, else the trigger. Every error sat on
    "When" on the templates page ("When: the reminder must come before …")."""
    if code in INSTRUMENT_ERRORS:
        return "instrument"
    return _RULE_ERROR_FIELDS.get(code, "trigger")


INSTRUMENT_ERRORS = frozenset(
    {
        "unknown_instrument",
        "instrument_draft",
        "instrument_retired",
        "instrument_not_enabled",
        "template_instrument_not_enabled",
        "instrument_group_only",
    }
)


def night_rows(saved: list[tuple[int, dt.datetime]], zone: ZoneInfo) -> list[str]:
    """One line per imported appointment at night in clinic time (`appointment_range.is_night`):
    saved as the file has it, like one typed in, and the therapist is asked to check it."""
    lines = []
    for row, starts_at in saved:
        local = starts_at.astimezone(zone)
        if is_night(local.time()):
            lines.append(
                _(
                    "Row %(row)s: %(day)s at %(time)s",
                    row=row,
                    day=format_date(local.date(), "short"),
                    time=local.strftime("%H:%M"),
                )
            )
    return lines
