"""Parsing of numbers typed or sent by the browser, shared by forms and views.

Python turns any run of digits into an int, so a field or id of 400 digits used to reach the
database and fail there (PostgreSQL `integer` overflows, SQLite refuses ints beyond 64 bits):
a 500 instead of a message. Every number the web layer accepts is at most `MAX_DIGITS` ASCII
digits, well inside a 32-bit integer column.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter, Map
from wtforms import IntegerField
from wtforms.validators import NumberRange, StopValidation

MAX_DIGITS = 9
_WHOLE_NUMBER = re.compile(rf"[+-]?[0-9]{{1,{MAX_DIGITS}}}")


def small_int(raw: str) -> int:
    """`raw` as an int when it is a short whole number; ValueError otherwise (also for the
    Unicode digits and underscores that `int()` would accept)."""
    text = raw.strip()
    if not _WHOLE_NUMBER.fullmatch(text):
        raise ValueError("not a small whole number")
    return int(text)


class WholeNumberField(IntegerField):  # type: ignore[misc]  # WTForms ships no type hints
    """An IntegerField that refuses long or odd input with our own translated message."""

    data: int | None

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        try:
            self.data = small_int(str(valuelist[0]))
        except ValueError as exc:
            self.data = None
            raise ValueError(str(_l("Enter a whole number, like 24."))) from exc

    def pre_validate(self, form: Any) -> None:
        # One message for input the field could not read. Digits only (a number too long to
        # be one the field takes): the range rule says what is wrong, so it alone speaks.
        # Anything else ("abc"): "Enter a whole number"; a range message about a number
        # nobody typed would only add noise.
        typed = str((self.raw_data or [""])[0]).strip()
        if not self.process_errors:
            return
        if not typed:
            # Nothing typed: the field's own rules (optional, required, its range) say what to
            # do, alone; "Enter a whole number" beside "Enter 1 to 672 hours" was two messages
            # for one empty box.
            self.errors: list[str] = []
            return
        if (
            typed.isascii()
            and typed.isdigit()
            and any(isinstance(rule, NumberRange) for rule in self.validators)
        ):
            self.errors = []
            return
        raise StopValidation()


class IdConverter(IntegerConverter):
    """The `<int:…>` URL converter with an upper bound: an id too large for the database's
    integer column is an unknown page (404), not a database error (500)."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)
