"""The form for choosing a patient's own days in a day programme, shared by the patient page
and the therapist's episode page: one checkbox per programme day."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired
from wtforms.widgets import CheckboxInput, ListWidget

from fit_platform.web.form_base import FitForm

DAY_NAMES = {
    0: _l("Monday"),
    1: _l("Tuesday"),
    2: _l("Wednesday"),
    3: _l("Thursday"),
    4: _l("Friday"),
    5: _l("Saturday"),
    6: _l("Sunday"),
}


class OwnDaysForm(FitForm):
    days = SelectMultipleField(
        _l("Days"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[InputRequired(message=_l("Choose at least one day."))],
    )


def own_days_form(programme_days: frozenset[int], own: frozenset[int], posted: bool) -> OwnDaysForm:
    """The form with the programme's days as choices; shows what was posted, else `own`."""
    form = OwnDaysForm() if posted else OwnDaysForm(formdata=None, data={"days": sorted(own)})
    form.days.choices = [SelectChoice(day, DAY_NAMES[day]) for day in sorted(programme_days)]
    return form


def day_list(days: frozenset[int]) -> str:
    """The days in running text: Norwegian writes weekdays in lower case inside a sentence."""
    names = [str(DAY_NAMES[day]) for day in sorted(days)]
    if str(get_locale() or "nb") in ("nb", "nn"):
        names = [name.lower() for name in names]
    return ", ".join(names) or _("none")
