"""A text's longest length, checked without cutting what was typed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Field, Form
from wtforms.validators import Length, ValidationError


class LengthWithCount(Length):  # type: ignore[misc]  # WTForms ships no type hints
    """Length with the number typed in the message, so the writer knows how much to cut.

    It puts no `maxlength` on the field: a browser would cut pasted text without a word.
    The hint states the limit; a longer text comes back, kept whole, with how long it is."""

    def __init__(self, min: int = -1, max: int = -1, message: str | None = None) -> None:
        super().__init__(min=min, max=max, message=message)
        self.field_flags: dict[str, int] = {}

    def __call__(self, form: Form, field: Field) -> None:
        length = len(field.data or "")
        if length > self.max:
            raise ValidationError(
                _l("Write at most %(max)d characters (you wrote %(length)d).")
                % {"max": self.max, "length": length}
            )
