"""Forms of the administration pages (units, programmes, schedule templates, episodes).

The services check every value again (`services.units_admin`); when a form finds errors, the
page asks the service's read-only check too (`web/form_problems.py`), so every wrong field is
named in one round.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from fit_platform.web.form_base import FitForm

UNIT_KIND_CHOICES = [
    SelectChoice("outpatient", _l("Outpatient clinic")),
    SelectChoice("day_programme", _l("Day programme")),
]
HH_MM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
CODE = r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$"  # stored in lower case

_code_message = _l("Use the letters a–z, digits and hyphens, starting with a letter or a digit.")
_time_message = _l("Write the time as HH:MM, for example 21:00.")
_end_time_message = _l("Write the time as HH:MM, for example 08:00.")


def _code_field() -> StringField:
    return StringField(
        _l("Short code (used in reports and files)"),
        validators=[
            DataRequired(message=_l("Enter a short code.")),
            Length(max=64),
            Regexp(CODE, message=_code_message),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class UnitForm(FitForm):
    name = StringField(
        _l("Name shown to patients"),
        validators=[DataRequired(message=_l("Enter a name.")), Length(max=200)],
    )
    code = _code_field()
    kind = SelectField(_l("Kind"), choices=UNIT_KIND_CHOICES)
    phone = TelField(
        _l("Phone number shown to patients (optional)"),
        validators=[Optional(), Length(max=32)],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    # Bokmål first: a page in a language without its own text shows the bokmål one.
    opening_hours = StringField(
        _l("Opening hours in bokmål"), validators=[Optional(), Length(max=200)]
    )
    opening_hours_nn = StringField(
        _l("Opening hours in nynorsk"), validators=[Optional(), Length(max=200)]
    )
    opening_hours_en = StringField(
        _l("Opening hours in English"), validators=[Optional(), Length(max=200)]
    )
    message_name = StringField(
        _l("Sender name in text messages and e-mails (optional)"),
        validators=[Optional(), Length(max=40, message=_l("Write at most 40 characters."))],
    )
    quiet_from = StringField(
        _l("Quiet hours start (HH:MM)"),
        default="21:00",
        validators=[DataRequired(message=_time_message), Regexp(HH_MM, message=_time_message)],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "size": 5},
    )
    quiet_until = StringField(
        _l("Quiet hours end (HH:MM)"),
        default="08:00",
        validators=[
            DataRequired(message=_end_time_message),
            Regexp(HH_MM, message=_end_time_message),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "size": 5},
    )


class ProgrammeForm(FitForm):
    name = StringField(
        _l("Programme name"),
        validators=[DataRequired(message=_l("Enter a name.")), Length(max=200)],
    )
    code = _code_field()


class RenameForm(FitForm):
    name = StringField(
        _l("New name"),
        validators=[DataRequired(message=_l("Enter a name.")), Length(max=200)],
    )


class ConfirmForm(FitForm):
    """A button that changes one thing (archive, bring back); CSRF only."""


class TemplateForm(FitForm):
    name = StringField(
        _l("Template name"),
        validators=[DataRequired(message=_l("Enter a name.")), Length(max=200)],
    )
    owner = SelectField(_l("For"))


class TransferForm(FitForm):
    therapist = SelectField(_l("New responsible therapist"), coerce=int)
    reason = StringField(
        _l("Why it is transferred (optional, no health information)"),
        validators=[Optional(), Length(max=200)],
    )


class CloseForm(FitForm):
    reason = StringField(
        _l("Why it is closed (optional, no health information)"),
        validators=[Optional(), Length(max=200)],
    )
    # Shown only for an episode with a risk signal nobody has acknowledged; the service
    # refuses to close such an episode without it (`episode_close.close_episode`).
    risk_followed_up = BooleanField(
        _l("The therapist has followed up the risk answer, and the treatment is over")
    )
