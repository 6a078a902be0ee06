from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from fit_platform.web.form_base import FitForm


class IdentityLinkForm(FitForm):
    staff_id = SelectField(
        _l("Staff member"),
        coerce=int,
        validate_choice=True,
        validators=[DataRequired(message=_l("Choose a staff member from the list."))],
    )
    subject = StringField(
        _l("Subject (sub) at the identity provider"),
        description=_l(
            "The provider's permanent id for this person. A person who is not linked yet sees "
            "it on the login page after trying to log in, and it is in the log."
        ),
        validators=[
            DataRequired(message=_l("Enter the subject (sub) the provider gives this person.")),
            Length(max=255, message=_l("The subject is too long (at most 255 characters).")),
        ],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )


class UnlinkForm(FitForm):
    """Only the CSRF token: removing a link is one button."""
