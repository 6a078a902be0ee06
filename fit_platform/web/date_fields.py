"""Date and time fields that accept what people type as well as what browsers send.

A browser with a date picker always sends 2026-12-31, whatever it shows (Chromium in Norwegian
shows dd.mm.åååå). Without a picker (some older or text-only browsers, and when pasted from a
letter) people type the Norwegian form 31.12.2026, or 31/12/2026 in British English. All three
are read; the hint and the error message show the Norwegian form the picker shows.

A time picker sends 09:30 (09:30:00 with a step). Typed, a Norwegian writes 9.30 or "kl. 9.30"
as often as 09:30, and the appointment import already reads those; the forms read them too.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_babel import gettext as _
from wtforms import DateField, TimeField

ACCEPTED_FORMATS = ["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"]


class DayField(DateField):  # type: ignore[misc]  # WTForms ships no type hints
    """A calendar date as ISO (what the picker sends), dd.mm.yyyy or dd/mm/yyyy."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("format", ACCEPTED_FORMATS)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            valuelist = [str(value).strip() for value in valuelist]
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_("Enter a date like 31.12.2026.")) from error

    def _value(self) -> str:
        # Always give the input back as ISO: a date input shows nothing for any other form.
        if self.raw_data and self.data is None:
            return str(self.raw_data[0])
        return self.data.isoformat() if self.data else ""


# "09:30", "9:30", "9.30", "kl. 9.30", "kl 9", "09:30:00" (a picker with a step), "9" (o'clock).
_CLOCK_TIME = re.compile(r"(?:kl\.?\s*)?(\d{1,2})(?:[:.](\d{2})(?::(\d{2}))?)?", re.IGNORECASE)


def read_clock_time(text: str) -> dt.time | None:
    """The time of day in `text` (see `_CLOCK_TIME`), or None when it is not one."""
    found = _CLOCK_TIME.fullmatch(text.strip())
    if found is None:
        return None
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    if hour > 23 or minute > 59 or int(found.group(3) or 0) > 59:
        return None
    return dt.time(hour, minute)


class ClockTimeField(TimeField):  # type: ignore[misc]  # WTForms ships no type hints
    """A time of day as a time picker sends it or as it is typed (`read_clock_time`)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        self.data = read_clock_time(str(valuelist[0]))
        if self.data is None:
            raise ValueError(_("Enter a valid time."))

    def _value(self) -> str:
        # What was typed, when it could not be read; otherwise as a time input shows it.
        if self.raw_data and self.data is None:
            return str(self.raw_data[0])
        return self.data.strftime("%H:%M") if self.data else ""
