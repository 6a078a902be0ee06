from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError

from fit_platform.services.export_files import SEPARATORS
from fit_platform.services.service_comments import is_quarter
from fit_platform.web.date_fields import DayField
from fit_platform.web.form_base import FitForm

# Long ranges are allowed, but not unbounded ones: five years of months is already 60 columns
# of a spreadsheet per unit.
MAX_RANGE = dt.timedelta(days=5 * 366)
ALL_UNITS = ""
POOLED_UNITS_LABEL = _l("Units not shown on their own, together")


def _unit_id(value: Any) -> int | str:
    if value in (None, ALL_UNITS):
        return ALL_UNITS
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


# Kept under its old name for the forms that import it.
IsoDateField = DayField


PERIODS = ("quarter", "month")


class ExportFilterForm(FitForm):
    """The export's choices, read from GET parameters; no CSRF (nothing changes)."""

    class Meta:
        csrf = False

    period = SelectField(
        _l("Period"),
        choices=[
            SelectChoice("quarter", _l("Quarter")),
            SelectChoice("month", _l("Month")),
        ],
        default="quarter",
        validate_choice=False,
    )
    start = IsoDateField(
        _l("From"),
        validators=[InputRequired(message=_l("Enter a start date."))],
        render_kw={"autocomplete": "off"},
    )
    end = IsoDateField(
        _l("To"),
        validators=[InputRequired(message=_l("Enter an end date."))],
        render_kw={"autocomplete": "off"},
    )
    unit = SelectField(_l("Unit"), coerce=_unit_id, default=ALL_UNITS, validate_choice=False)
    separator = SelectField(
        _l("CSV separator"),
        choices=[
            SelectChoice("semicolon", _l("Semicolon and decimal comma (Norwegian Excel)")),
            SelectChoice("comma", _l("Comma and decimal point (other programs)")),
        ],
        default="semicolon",
        validate_choice=False,
    )

    def __init__(self, *args: Any, units: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit.choices = [SelectChoice(ALL_UNITS, _l("All units"))] + [
            SelectChoice(unit_id, name) for unit_id, name in units
        ]

    def validate_period(self, field: SelectField) -> None:
        if field.data not in PERIODS:
            raise ValidationError(_l("Choose month or quarter."))

    def validate_separator(self, field: SelectField) -> None:
        if field.data not in SEPARATORS:
            raise ValidationError(_l("Choose semicolon or comma."))

    def validate_unit(self, field: SelectField) -> None:
        known = {choice.value for choice in self.unit.choices or []}
        if field.data == -1 or field.data not in known:
            raise ValidationError(_l("Choose a unit from the list."))

    def validate_end(self, field: DateField) -> None:
        if self.start.data is None or field.data is None:
            return
        if field.data < self.start.data:
            raise ValidationError(_l("The end date must be on or after the start date."))
        if field.data - self.start.data > MAX_RANGE:
            raise ValidationError(_l("Choose a range of at most five years."))


class ServiceCommentsForm(FitForm):
    """Which unit and quarter to read comments for, from GET parameters; no CSRF."""

    class Meta:
        csrf = False

    unit = SelectField(_l("Unit"), coerce=_unit_id, validate_choice=False)
    quarter = SelectField(_l("Quarter"), validate_choice=False)

    def __init__(
        self, *args: Any, units: list[tuple[int, str]], quarters: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.unit.choices = [SelectChoice(unit_id, name) for unit_id, name in units]
        # The units whose comments are held back in the quarter, read together (docs/export.md).
        self.unit.choices.append(SelectChoice(ALL_UNITS, POOLED_UNITS_LABEL))
        asked = str(self.quarter.data or "")
        if is_quarter(asked) and asked not in quarters:
            # A quarter without comments, reached by a link or typed: the list shows it as the
            # one chosen, not the newest quarter above the heading of another.
            quarters = sorted([*quarters, asked], reverse=True)
        self.quarter.choices = [SelectChoice(quarter, quarter) for quarter in quarters]

    def validate_unit(self, field: SelectField) -> None:
        known = {choice.value for choice in self.unit.choices or []}
        if field.data not in known:
            raise ValidationError(_l("Choose a unit from the list."))

    def validate_quarter(self, field: SelectField) -> None:
        if not is_quarter(str(field.data or "")):
            raise ValidationError(_l("Choose a quarter, for example 2026-Q2."))
