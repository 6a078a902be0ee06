"""A questionnaire page as it is shown (GET), without a WTForms form.

Showing a page needs nothing of a form but each question's field id, name, saved answer and
whether it must be answered: WTForms built a form object and bound a field per question
through its meta class, a tenth of the answer page's CPU with the CSRF token it signed. The
page a patient sends back is still validated by the form (``forms.answer_page_form``), and a
page with a number (VAS) question is shown through it too, as the number input is WTForms'
widget. The markup is the same: ``tests/web/test_patient_shown_page.py`` compares the fields
with the form's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fit_platform.domain.instruments import Instrument, Item


@dataclass(frozen=True)
class Flags:
    required: bool


@dataclass(frozen=True)
class ShownField:
    """What ``patient/answer.html`` and ``patient/_choices.html`` read from a radio field."""

    id: str
    name: str
    data: str | None
    flags: Flags
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShownPage:
    """Stands in for the page's form in the templates: a page shown has no errors."""

    fields: tuple[tuple[Item, ShownField], ...]

    @property
    def errors(self) -> Mapping[str, Any]:
        return {}

    def __iter__(self) -> Iterator[ShownField]:
        # The error summary walks a form's fields for errors; a page shown has none.
        return iter(())


def shown_page(
    instrument: Instrument, link_ids: Sequence[str], saved: Mapping[str, str | None]
) -> ShownPage | None:
    """The page's radio fields with the saved answers; None when the page has a number
    question (shown through the form)."""
    pairs = []
    for link_id in link_ids:
        item = instrument.item(link_id)
        if item.vas is not None:
            return None
        data = saved.get(link_id)
        pairs.append((item, ShownField(link_id, link_id, data, Flags(bool(item.required)))))
    return ShownPage(tuple(pairs))
