"""Forms of the staff administration and the access-log review."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from fit_platform.domain.codes import Role
from fit_platform.services.staff_admin import REASON_MAX
from fit_platform.web.export.forms import IsoDateField
from fit_platform.web.form_base import FitForm
from fit_platform.web.form_once import nonce_field

# The unit list opens on "Choose a unit" (refused for every role) unless the service has one
# unit, which is then chosen: it used to open on "All units", which a therapist, the role the
# form opens on, can never have. "All units" is chosen on purpose, for the roles that allow it.
NOT_CHOSEN = ""
SERVICE_WIDE = "all"
NOT_CHOSEN_ID = 0  # no unit has id 0; only the form sees it, it refuses it before the service

ROLE_NAMES = {
    Role.ADMIN: _l("Administrator"),
    Role.THERAPIST: _l("Therapist"),
    Role.UNIT_LEAD: _l("Unit lead"),
    Role.SERVICE_DEVELOPER: _l("Service developer"),
}


def _role(value: Any) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None


def _unit(value: Any) -> int | None:
    if value in (None, NOT_CHOSEN):
        return NOT_CHOSEN_ID
    if value == SERVICE_WIDE:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    return number if 0 < number < 2**31 else -1


def _role_select() -> Any:
    return SelectField(
        _l("Role"),
        choices=[SelectChoice(role.value, label) for role, label in ROLE_NAMES.items()],
        coerce=_role,
        validate_choice=False,
        default=Role.THERAPIST.value,
    )


def _unit_select() -> Any:
    return SelectField(_l("Unit"), coerce=_unit, validate_choice=False, default=NOT_CHOSEN)


class _RoleFields(FitForm):
    role = _role_select()
    unit = _unit_select()

    def validate_role(self, field: SelectField) -> None:
        if field.data is None:  # a value not in the list (an old tab, a crafted request)
            raise ValidationError(_l("Choose a role from the list."))

    def validate_unit(self, field: SelectField) -> None:
        if field.data != NOT_CHOSEN_ID:
            return
        if self.role.data in (Role.THERAPIST, Role.UNIT_LEAD):
            raise ValidationError(_l("Therapists and unit leads work in a unit: choose one."))
        raise ValidationError(
            _l(
                "Administrators and service developers work for the whole service: choose “All "
                "units”."
            )
        )

    def set_units(self, units: list[tuple[int, str]], *, fresh: bool = False) -> None:
        """The unit list; `fresh` (a form not posted) chooses the service's only unit."""
        self.unit.choices = [
            SelectChoice(NOT_CHOSEN, _l("Choose a unit")),
            *(SelectChoice(str(unit_id), name) for unit_id, name in units),
            SelectChoice(SERVICE_WIDE, _l("All units (administrators, service developers)")),
        ]
        if fresh and len(units) == 1:
            self.unit.data = units[0][0]


class InviteForm(_RoleFields):
    form_nonce = nonce_field()
    email = StringField(
        _l("E-mail address (also the username)"),
        validators=[DataRequired(message=_l("Enter the e-mail address.")), Length(max=254)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    display_name = StringField(
        _l("Full name"),
        validators=[DataRequired(message=_l("Enter the person's name.")), Length(max=200)],
        render_kw={"autocomplete": "off"},
    )
    # Made again after the address and the name, so the form's fields (and its error
    # summary) are in the page's order: the summary listed the unit first.
    role = _role_select()
    unit = _unit_select()


class RoleForm(_RoleFields):
    pass


class ReasonForm(FitForm):
    reason = TextAreaField(
        _l("Reason (kept in the audit trail)"),
        validators=[
            DataRequired(message=_l("Write why the second factor is reset.")),
            Length(max=REASON_MAX, message=_l("Write at most 500 characters.")),
        ],
        render_kw={"rows": 3},
    )


class ActionForm(FitForm):
    """A button that changes something: the CSRF token only."""


class AccessFilterForm(FitForm):
    """The access-log filters, read from GET parameters; no CSRF (nothing changes)."""

    class Meta:
        csrf = False

    patient = StringField(
        _l("Patient record number"),
        validators=[Optional(), Length(max=64)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    staff = SelectField(_l("Staff member"), coerce=_unit, validate_choice=False, default="")
    start = IsoDateField(_l("From"), validators=[Optional()], render_kw={"autocomplete": "off"})
    end = IsoDateField(_l("To"), validators=[Optional()], render_kw={"autocomplete": "off"})
    flagged = BooleanField(_l("Only reads outside the reader's own patients"))

    def set_staff(self, people: list[tuple[int, str]]) -> None:
        self.staff.choices = [
            SelectChoice("", _l("Everyone")),
            *(SelectChoice(str(staff_id), name) for staff_id, name in people),
        ]


class HandOverForm(FitForm):
    """Move every open episode a person is responsible for in one unit to a colleague."""

    therapist = SelectField(_l("New responsible therapist"), coerce=int)
