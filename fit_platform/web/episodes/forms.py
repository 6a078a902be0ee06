from __future__ import annotations

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from fit_platform.domain.codes import Channel
from fit_platform.domain.schedule_model import MAX_OFFSET_HOURS
from fit_platform.messaging.setup import configured_channels
from fit_platform.web.date_fields import ClockTimeField, DayField
from fit_platform.web.form_base import FitForm
from fit_platform.web.form_once import nonce_field
from fit_platform.web.inputs import WholeNumberField
from fit_platform.web.labels import LANGUAGE_LABELS

LANGUAGE_CHOICES = [SelectChoice(code, label) for code, label in LANGUAGE_LABELS.items()]
CHANNEL_CHOICES = [SelectChoice("sms", _l("SMS")), SelectChoice("email", _l("E-mail"))]


def channels_set_up() -> frozenset[str]:
    """The channels this service sends by (`messaging/setup.configured_channels`), as values."""
    settings = current_app.config["FIT_SETTINGS"]
    return frozenset(channel.value for channel in configured_channels(settings))


def label_contact_fields(
    form: RegisterPatientForm | ContactForm, configured: frozenset[str]
) -> None:
    """Where e-mail is the only channel, the address is what links go to and the mobile
    number is the optional one: the labels say so instead of the SMS service's defaults.
    Where both are set up, which one is needed depends on "Send links by" (a form without a
    script cannot change its labels): "E-mail (optional)" beside e-mail chosen was refused
    with "an e-mail address is needed", so each label names the channel it is needed for."""
    if configured == frozenset({"email"}):
        form.email.label.text = gettext("E-mail")
        form.phone.label.text = gettext("Mobile number (optional)")
    elif configured == frozenset({"email", "sms"}):
        form.phone.label.text = gettext("Mobile number (needed for SMS)")
        form.email.label.text = gettext("E-mail (needed for e-mail)")


def offer_configured_channels(field: SelectField, configured: frozenset[str]) -> None:
    """Offer only the channels the service can send by, so no patient is registered on one
    whose every message would fail. With none set up nothing can be sent anyway (the
    start-up log warns): both stay offered. A channel posted that is not offered gets a
    message saying why, not WTForms' "Not a valid choice"."""
    offered = [choice for choice in CHANNEL_CHOICES if choice.value in configured]
    if not offered:
        return
    field.choices = offered

    def refuse_unconfigured(form: object) -> None:
        if field.data in configured:
            return
        if field.data == "sms":
            raise ValidationError(
                gettext(
                    "This service cannot send text messages: no SMS gateway is set up. "
                    "Choose e-mail."
                )
            )
        raise ValidationError(
            gettext("This service cannot send e-mail: no e-mail relay is set up. Choose SMS.")
        )

    field.pre_validate = refuse_unconfigured


STATUS_CHOICES = [
    SelectChoice("planned", _l("Planned")),
    SelectChoice("done", _l("Done")),
    SelectChoice("cancelled", _l("Cancelled")),
    SelectChoice("no_show", _l("Did not attend")),
]


def _national_id_field() -> StringField:
    """Registration's and the contact page's field (the views remove it without ID-porten)."""
    return StringField(
        _l("National identity number for ID-porten (optional)"),
        validators=[Optional(), Length(max=20)],
        render_kw={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"},
    )


class RegisterPatientForm(FitForm):
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
    # Shown only when ID-porten is configured (the view removes it otherwise).
    national_id = _national_id_field()
    unit = SelectField(_l("Unit"), coerce=int)
    # The programme's schedule template is copied instead of the unit's; the view fills the
    # choices, or removes the field when the therapist's units have no open programme.
    programme = SelectField(_l("Programme (optional)"), choices=[], default="")
    started_on = DayField(
        _l("Start of treatment"),
        validators=[DataRequired(message=_l("Enter a date like 31.12.2026."))],
    )
    # Offered once the record id turned out to be a patient of the unit whose treatment here
    # has ended (services/registration.py `ReturningPatient`): a new course for that patient.
    returning = BooleanField(
        _l("Start a new course of treatment for the patient already registered here")
    )
    form_nonce = nonce_field()


class ContactForm(FitForm):
    """Correcting a registered patient's contact details: registration's fields and rules."""

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
    # As at registration: shown only when ID-porten is configured (the view removes it).
    national_id = _national_id_field()


class AppointmentForm(FitForm):
    day = DayField(
        _l("Date"), validators=[DataRequired(message=_l("Enter a date like 31.12.2026."))]
    )
    time = ClockTimeField(_l("Time"), validators=[DataRequired(message=_l("Enter a valid time."))])
    form_nonce = nonce_field()  # rendered in the add form only: moving changes, never creates


class AppointmentStatusForm(FitForm):
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)


class LastAppointmentForm(FitForm):
    """Mark an appointment as the course's last ("1") or take the mark off ("0")."""

    last = SelectField(choices=[SelectChoice("1", "1"), SelectChoice("0", "0")])


class ImportForm(FitForm):
    unit = SelectField(_l("Unit"), coerce=int)
    file = FileField(
        _l("File (CSV or FHIR Appointment Bundle as JSON)"),
        validators=[FileRequired(message=_l("Choose a file."))],
    )


TRIGGER_CHOICES = [
    SelectChoice("before_appointment", _l("Before each appointment")),
    SelectChoice("after_appointment", _l("After each appointment")),
    SelectChoice("weekly", _l("Weekly on chosen days")),
    SelectChoice("daily", _l("Every programme day")),
    SelectChoice("first_session", _l("Before the first appointment")),
    SelectChoice("last_session", _l("Before the last appointment")),
]
WEEKDAY_CHOICES = [
    SelectChoice("1", _l("Monday")),
    SelectChoice("2", _l("Tuesday")),
    SelectChoice("3", _l("Wednesday")),
    SelectChoice("4", _l("Thursday")),
    SelectChoice("5", _l("Friday")),
    SelectChoice("6", _l("Saturday")),
    SelectChoice("7", _l("Sunday")),
]


class RuleForm(FitForm):
    # Said under the questionnaire when the rule's own is no longer enabled for the unit
    # (`schedule.rule_form`); None otherwise.
    instrument_hint: str | None = None
    instrument = SelectField(_l("Questionnaire"))
    trigger = SelectField(_l("When"), choices=TRIGGER_CHOICES)
    offset_hours = WholeNumberField(
        _l("Hours before or after the appointment"),
        default=0,
        validators=[
            NumberRange(
                min=0,
                max=MAX_OFFSET_HOURS,
                # The same figure as MAX_OFFSET_HOURS, written out for the translations.
                message=_l("Enter 0 to 336 hours."),
            )
        ],
    )
    weekdays = SelectMultipleField(
        _l("Days (weekly and daily rules)"),
        choices=WEEKDAY_CHOICES,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    send_time = ClockTimeField(_l("Time of day (weekly and daily rules)"), validators=[Optional()])
    window_hours = WholeNumberField(
        _l("Hours to answer"),
        default=48,
        validators=[NumberRange(min=1, max=672, message=_l("Enter 1 to 672 hours."))],
    )
    reminder_after_hours = WholeNumberField(
        _l("Reminder after (hours, optional)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=672, message=_l("Enter 1 to 672 hours.")),
        ],
    )
    min_interval_hours = WholeNumberField(
        _l("Never twice within (hours)"),
        default=0,
        validators=[NumberRange(min=0, max=2000, message=_l("Enter 0 to 2000 hours."))],
    )
    active = BooleanField(_l("In use"), default=True)


def channel_or_none(value: str | None) -> Channel | None:
    """The posted channel, or None for one that is not a channel (the form names it)."""
    try:
        return Channel(value or "")
    except ValueError:
        return None
