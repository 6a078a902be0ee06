from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from fit_platform.web.form_base import FitForm


class LoginForm(FitForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(message=_l("Enter your username.")), Length(max=254)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


class CodeForm(FitForm):
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[DataRequired(message=_l("Enter the 6-digit code.")), Length(max=12)],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "autocapitalize": "none",
            "spellcheck": "false",
        },
    )


class LoginCodeForm(FitForm):
    """The code step of a login: a code from the app, or one of the recovery codes."""

    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(message=_l("Enter the 6-digit code.")), Length(max=32)],
        render_kw={
            "autocomplete": "one-time-code",
            "autocapitalize": "none",
            "spellcheck": "false",
        },
    )


def _new_password_field() -> PasswordField:
    return PasswordField(
        _l("New password (at least 12 characters)"),
        validators=[DataRequired(message=_l("Enter a new password.")), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )


def _confirm_password_field() -> PasswordField:
    return PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(message=_l("Enter the new password again.")),
            EqualTo("new", message=_l("The two new passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class PasswordChangeForm(FitForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    new = _new_password_field()
    confirm = _confirm_password_field()


class TotpReplaceForm(CodeForm):
    """Moving an enrolled second factor to a new phone: the password and a current code too."""

    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    current_code = StringField(
        _l("Code from the app you use now"),
        validators=[
            DataRequired(message=_l("Enter a code from the app you use now.")),
            Length(max=32),
        ],
        render_kw={
            "autocomplete": "one-time-code",
            "autocapitalize": "none",
            "spellcheck": "false",
        },
    )


class SetPasswordForm(FitForm):
    """The first password of an invited staff member."""

    new = _new_password_field()
    confirm = _confirm_password_field()
