"""The group forms: a new group, a member to add, a session with who attended."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from fit_platform.services.group_create import NAME_MAX
from fit_platform.web.date_fields import ClockTimeField, DayField
from fit_platform.web.form_base import FitForm


class NewGroupForm(FitForm):
    name = StringField(
        _l("Name of the group"),
        validators=[
            DataRequired(message=_l("Give the group a name.")),
            Length(max=NAME_MAX, message=_l("The name is too long.")),
        ],
    )
    instrument = SelectField(
        _l("Form the members get after each session"),
        validators=[InputRequired(message=_l("Choose the group form."))],
    )
    therapists = SelectMultipleField(
        _l("Group therapists"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[InputRequired(message=_l("Choose at least one group therapist."))],
    )


class AddMemberForm(FitForm):
    episode = SelectField(
        _l("Patient"),
        coerce=int,
        validators=[InputRequired(message=_l("Choose a patient."))],
    )


class RemoveMemberForm(FitForm):
    pass


class GroupSessionForm(FitForm):
    day = DayField(
        _l("Date"), validators=[DataRequired(message=_l("Enter a date like 31.12.2026."))]
    )
    time = ClockTimeField(_l("Time"), validators=[DataRequired(message=_l("Enter a valid time."))])
    attended = SelectMultipleField(
        _l("Who attended"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[InputRequired(message=_l("Tick at least one member who attended."))],
    )
