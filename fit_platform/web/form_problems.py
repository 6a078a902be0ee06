"""Every wrong field of a form in one round (the admin forms, patient registration).

A form's own validators and the service's checks (duplicates, a phone number's format, what
needs the database) used to take turns: the service ran only once the form passed, so fixing
the fields the form named brought up new messages on the next submit. Here the service is asked
as well when the form fails (its read-only check, saving nothing), and every message lands on
its field; a field keeps the form's own message when both found a fault there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from fit_platform.web.form_base import FitForm

Problems = Iterable[tuple[str, str]]  # (form field, code), as the services report them


def show_problems(
    form: FitForm,
    problems: Problems,
    message: Callable[[str], str],
    *,
    fallback: str = "name",
) -> None:
    """Put each problem's translated message on the field it names (`fallback` when the form
    has no such field), unless that field shows a message already."""
    for field_name, code in problems:
        field = getattr(form, field_name, None) or getattr(form, fallback)
        if not field.errors:
            field.errors = [message(code)]


def validate_all(
    form: FitForm,
    service_problems: Callable[[], Problems],
    message: Callable[[str], str],
    *,
    fallback: str = "name",
) -> bool:
    """True when the posted form passes its own checks (the caller then saves through the
    service, which checks again and may still refuse). When it fails, the service's check runs
    too, so its messages come in the same round as the form's."""
    if not form.is_submitted():
        return False
    if form.validate():
        return True
    show_problems(form, service_problems(), message, fallback=fallback)
    return False


def passes_all(
    form: FitForm,
    service_problems: Callable[[], Problems],
    message: Callable[[str], str],
    *,
    fallback: str = "name",
) -> bool:
    """`validate_all`, and when the form passes, the service's check once more before the
    save: for a check the form has no validator of its own for (an e-mail address, a mobile
    number the channel needs), so its faults come in the same round whatever the form found."""
    if not validate_all(form, service_problems, message, fallback=fallback):
        return False
    found = list(service_problems())
    show_problems(form, found, message, fallback=fallback)
    return not found
