"""Forms of the admin patient-data pages: find a patient, export, erase."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from fit_platform.domain.free_text import clean_free_text
from fit_platform.web.form_base import FitForm

RECORD_ID_MAX = 64
REASON_MAX = 500


def _clean(value: Any) -> Any:
    """Control characters (a NUL would be refused by PostgreSQL) go before validation."""
    return clean_free_text(value) if isinstance(value, str) else value


def _unit_id(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class FindPatientForm(FitForm):
    """Read from GET parameters (finding changes nothing but the access log, which a GET may
    write, as every page that shows patient data does)."""

    class Meta:
        csrf = False

    unit = SelectField(_l("Unit"), coerce=_unit_id, validate_choice=False)
    record_id = StringField(
        _l("Record id (from the patient record system)"),
        filters=[_clean],
        validators=[
            DataRequired(_l("Enter the patient's record id.")),
            Length(max=RECORD_ID_MAX, message=_l("A record id is at most 64 characters.")),
        ],
    )

    def validate_unit(self, field: SelectField) -> None:
        known = {value for value, _label in (field.choices or [])}
        if field.data is None or field.data not in known:
            raise ValidationError(_l("Choose a unit from the list."))


class ExportForm(FitForm):
    """Only the CSRF token: the export writes audit rows, so it is a POST."""


class EraseForm(FitForm):
    confirmation = StringField(
        _l("Type the patient's record id to confirm"),
        filters=[_clean],
        validators=[
            DataRequired(_l("Type the record id to confirm the erasure.")),
            Length(max=RECORD_ID_MAX, message=_l("A record id is at most 64 characters.")),
        ],
    )
    reason = TextAreaField(
        _l("Reason for the erasure"),
        filters=[_clean],
        validators=[
            DataRequired(_l("Give the reason, for example the patient's request and its date.")),
            Length(max=REASON_MAX, message=_l("The reason is at most 500 characters.")),
        ],
    )
