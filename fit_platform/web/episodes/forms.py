from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, Optional

LANGUAGE_CHOICES = [
    SelectChoice("nb", _l("Norwegian Bokmål")),
    SelectChoice("nn", _l("Norwegian Nynorsk")),
    SelectChoice("en", _l("English")),
]
CHANNEL_CHOICES = [SelectChoice("sms", _l("SMS")), SelectChoice("email", _l("E-mail"))]
STATUS_CHOICES = [
    SelectChoice("planned", _l("Planned")),
    SelectChoice("done", _l("Done")),
    SelectChoice("cancelled", _l("Cancelled")),
    SelectChoice("no_show", _l("Did not attend")),
]


class RegisterPatientForm(FlaskForm):
    display_name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Enter the patient's name.")), Length(max=200)],
    )
    external_id = StringField(
        _l("Patient record id (optional)"), validators=[Optional(), Length(max=64)]
    )
    phone = TelField(
        _l("Mobile number"),
        validators=[Optional(), Length(max=32)],
        render_kw={"autocomplete": "off", "inputmode": "tel"},
    )
    email = EmailField(
        _l("E-mail (optional)"),
        validators=[Optional(), Length(max=254)],
        render_kw={"autocomplete": "off"},
    )
    language = SelectField(_l("Language for questionnaires"), choices=LANGUAGE_CHOICES)
    channel = SelectField(_l("Send links by"), choices=CHANNEL_CHOICES)
    unit = SelectField(_l("Unit"), coerce=int)
    started_on = DateField(
        _l("Start of treatment"), validators=[DataRequired(message=_l("Enter a valid date."))]
    )


class AppointmentForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired(message=_l("Enter a valid date."))])
    time = TimeField(_l("Time"), validators=[DataRequired(message=_l("Enter a valid time."))])


class AppointmentStatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)


class ImportForm(FlaskForm):
    unit = SelectField(_l("Unit"), coerce=int)
    file = FileField(
        _l("File (CSV or FHIR Appointment Bundle as JSON)"),
        validators=[FileRequired(message=_l("Choose a file."))],
    )
