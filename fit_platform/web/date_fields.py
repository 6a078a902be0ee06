"""A date field that accepts what people type as well as what browsers send.

A browser with a date picker always sends 2026-12-31, whatever it shows (Chromium in Norwegian
shows dd.mm.åååå). Without a picker (some older or text-only browsers, and when pasted from a
letter) people type the Norwegian form 31.12.2026, or 31/12/2026 in British English. All three
are read; the hint and the error message show the Norwegian form the picker shows.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from wtforms import DateField

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
