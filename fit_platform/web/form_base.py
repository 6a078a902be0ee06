"""The base of every form: WTForms' built-in messages through the project's own catalogue.

Flask-WTF translates the built-in validators' messages ("This field is required.", "Field
cannot be longer than 200 characters.") with WTForms' own catalogue, which has bokmål (with
gaps and a few wrong texts) and no nynorsk, so a nynorsk page showed them in English. Every
form here subclasses `Form`, whose translations are the project's: the messages are listed
below so `fit-platform i18n update` extracts them, and they are translated in nb and nn like
every other string. A test posts bad input to the forms in nn and fails on any English one
(tests/web/test_form_messages_in_nynorsk.py); another keeps every form on this base. The
fields' own "Not a valid … value." read in English in the project's voice too ("Enter a valid
time.", as the forms' own messages say it): the en catalogue words them."""

from __future__ import annotations

from typing import Any

from flask_babel import get_translations
from flask_wtf import FlaskForm


def _l(message: str) -> str:
    """Marks a WTForms message for extraction; WTForms itself asks for its translation."""
    return message


def _n(singular: str, plural: str) -> tuple[str, str]:
    return singular, plural


# WTForms 3.x's messages (wtforms/locale/wtforms.pot), as its validators and fields word them.
BUILT_IN_MESSAGES = (
    _l("Invalid field name '%s'."),
    _l("Field must be equal to %(other_name)s."),
    _n(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
    ),
    _n(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
    ),
    _n(
        "Field must be exactly %(max)d character long.",
        "Field must be exactly %(max)d characters long.",
    ),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("This field is required."),
    _l("Invalid input."),
    _l("Invalid email address."),
    _l("Invalid IP address."),
    _l("Invalid Mac address."),
    _l("Invalid URL."),
    _l("Invalid UUID."),
    _l("Invalid value, must be one of: %(values)s."),
    _l("Invalid value, can't be any of: %(values)s."),
    _l("This field cannot be edited."),
    _l("This field is disabled and cannot have a value."),
    _l("Invalid CSRF Token."),
    _l("CSRF token missing."),
    _l("CSRF failed."),
    _l("CSRF token expired."),
    _l("Invalid Choice: could not coerce."),
    _l("Choices cannot be None."),
    _l("Not a valid choice."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _n(
        "'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field.",
    ),
    _l("Not a valid datetime value."),
    _l("Not a valid date value."),
    _l("Not a valid time value."),
    _l("Not a valid week value."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
)


class _ProjectTranslations:
    """What WTForms asks for (`gettext`, `ngettext`), answered from the request's catalogue
    without formatting: WTForms fills in the `%(max)d` itself."""

    def gettext(self, string: str) -> str:
        return str(get_translations().ugettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(get_translations().ungettext(singular, plural, n))


TRANSLATIONS = _ProjectTranslations()


class FitForm(FlaskForm):  # type: ignore[misc]
    """A FlaskForm (CSRF, request data) whose built-in messages are in the page's language."""

    class Meta:
        def get_translations(self, form: Any) -> _ProjectTranslations:
            return TRANSLATIONS
