"""What the patient reads about their own answers before sending them: the question names in
an error summary, and the "check your answers" list of the finish page (GOV.UK pattern)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _

from fit_platform.domain.instruments import Instrument, Item
from fit_platform.web.formatting import format_number

# Long enough to recognise the question, short enough for one line of a phone's error summary.
QUESTION_NAME_CHARS = 60


def _shortened(text: str) -> str:
    if len(text) <= QUESTION_NAME_CHARS:
        return text
    return text[: QUESTION_NAME_CHARS - 1].rsplit(" ", 1)[0] + "…"


def question_name(number: int, text: str) -> str:
    return str(_("Question %(number)s, “%(text)s”", number=number, text=_shortened(text)))


def error_names(
    inst: Instrument, link_ids: Sequence[str], first_number: int, lang: str
) -> dict[str, str]:
    """Field name → the words naming its question in the error summary."""
    return {
        link_id: question_name(first_number + index, inst.item(link_id).text[lang])
        for index, link_id in enumerate(link_ids)
    }


@dataclass(frozen=True)
class ReviewedAnswer:
    number: int
    link_id: str
    question: str
    answer: str | None  # None: skipped (an optional question)
    page: int


def as_typed(item: Item, code: str | None) -> str | None:
    """A saved answer as the patient types it: a 0-10 line's stored "7.5" is 7,5 in nb and nn
    (web/formatting.py); a choice's code as it is."""
    if code is None or item.vas is None:
        return code
    return format_number(float(code))


def reviewed_answers(
    inst: Instrument,
    plan: Sequence[Sequence[str]],
    codes: Mapping[str, str | None],
    lang: str,
) -> list[ReviewedAnswer]:
    """Each question in order with the answer given, in the questionnaire's language."""
    rows = []
    number = 0
    for page, link_ids in enumerate(plan, start=1):
        for link_id in link_ids:
            number += 1
            item = inst.item(link_id)
            code = codes.get(link_id)
            answer: str | None = None
            if code is not None:
                if item.vas is not None:
                    answer = as_typed(item, code)
                else:
                    answer = next((o.display[lang] for o in item.options if o.code == code), code)
            rows.append(ReviewedAnswer(number, link_id, item.text[lang], answer, page))
    return rows
