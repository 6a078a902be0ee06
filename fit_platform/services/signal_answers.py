"""A signal's answers as the therapist reads them on the pre-session view: a risk answer the
patient changed after the signal was raised, and the answers so far of a questionnaire that
raised a signal and was never finished (a moved appointment withdrew it, it expired, or the
patient is still answering). Each answer in the viewer's language, as the patient saw it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fit_platform.domain.instrument_language import text_in
from fit_platform.domain.instruments import Instrument


@dataclass(frozen=True)
class AnswerChange:
    """The patient changed a risk answer after the risk signal was raised."""

    item_number: int
    answer_text: str | None  # None: left unanswered
    at: dt.datetime
    # The answer before the change, the one that raised the signal (None: there was none): the
    # therapist must see what the patient first said, not only what they changed it to.
    previous_text: str | None = None


@dataclass(frozen=True)
class UnfinishedAnswer:
    """One answer of a questionnaire that raised a signal and was never finished."""

    item_number: int
    answer_text: str | None  # None: the question was shown and left blank
    # The question as the latest answers list words it: a number alone ("Question 9") made
    # the therapist look the questionnaire up to know what the risk answer was to.
    item_text: str = ""
    # A risk question (suicidal thoughts, self-harm): named as such, and marked when the
    # answer is at or over its threshold, so the answer that raised the signal stands out.
    risk_question: bool = False
    over_threshold: bool = False


def answer_text(item: Any, value: float | None, language: str) -> str | None:
    """An item's answer as the patient saw it ("Nearly every day (3)"), None when blank."""
    if value is None:
        return None
    option = next((o for o in item.options if o.value == value), None)
    label = option.display.get(language) or option.display["en"] if option else None
    return f"{label} ({value:g})" if label else f"{value:g}"


def unfinished_answers(
    rows: list[tuple[int, str, str, float | None]],
    instruments: Mapping[str, Instrument],
    language: str,
) -> dict[int, tuple[tuple[UnfinishedAnswer, ...], int]]:
    """Per signal id, the answers so far of its unfinished questionnaire in item order, and
    how many questions the questionnaire has. `rows`: (signal id, item, instrument, value)."""
    by_signal: dict[int, list[tuple[str, str, float | None]]] = defaultdict(list)
    for signal_id, link_id, instrument_id, value in rows:
        by_signal[signal_id].append((link_id, instrument_id, value))
    found = {}
    for signal_id, given in by_signal.items():
        instrument = instruments.get(given[0][1])
        if instrument is None:
            continue
        values = {link_id: value for link_id, _instrument, value in given}
        thresholds = {risk.link_id: risk.threshold for risk in instrument.risk_items}
        answers = tuple(
            UnfinishedAnswer(
                number,
                answer_text(item, value, language),
                text_in(item.text, language),
                risk_question=item.link_id in thresholds,
                over_threshold=(
                    item.link_id in thresholds
                    and value is not None
                    and value >= thresholds[item.link_id]
                ),
            )
            for number, item in enumerate(instrument.items, start=1)
            if item.link_id in values
            for value in (values[item.link_id],)
        )
        found[signal_id] = (answers, len(instrument.items))
    return found


def answer_changes(
    details: dict[str, Any] | None, instruments: Mapping[str, Instrument], language: str
) -> tuple[AnswerChange, ...]:
    """The risk-answer changes recorded on a signal, in the viewer's language."""
    details = details or {}
    instrument = instruments.get(str(details.get("instrument")))
    if instrument is None:
        return ()
    numbers = {item.link_id: n for n, item in enumerate(instrument.items, start=1)}
    changes = []
    for change in details.get("answer_changes") or []:
        item = next((i for i in instrument.items if i.link_id == change.get("link_id")), None)
        if item is None:
            continue
        changes.append(
            AnswerChange(
                numbers[item.link_id],
                answer_text(item, change.get("to"), language),
                dt.datetime.fromisoformat(change["at"]),
                answer_text(item, change.get("from"), language),
            )
        )
    return tuple(changes)
