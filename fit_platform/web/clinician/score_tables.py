"""The score tables of the pre-session view and the page of all scores, as HTML rows.

An outcome questionnaire's rows give the severity, the expected range and the change since the
first score; an alliance questionnaire's a drop from last time. The rows are written here, not
by a Jinja macro per row, for speed (`score_rows` says why). `ROWS_SHOWN` is here because it is
how many of these rows the pre-session view shows; the chart's description refers to it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from flask_babel import get_translations
from flask_babel import gettext as _
from markupsafe import Markup, escape

from fit_platform.services.score_trends import InstrumentTrend, ScorePoint
from fit_platform.web.clinician.presenters import band_label, bound_gettext, labels_in
from fit_platform.web.formatting import date_formatter, number_formatter

# Score rows per questionnaire on the pre-session view; every row is on the page of all scores.
ROWS_SHOWN = 8


def expected_text(point: ScorePoint, higher_is_better: bool, _: Callable[..., str] = _) -> str:
    band = point.expected
    if band is None or point.total is None:
        return ""
    if band.is_worse_than_band(point.total, higher_is_better):
        return _("worse than expected")
    if band.low <= point.total <= band.high:
        return _("within the expected range")
    return _("better than expected")


def expected_sources_note(points: Iterable[ScorePoint]) -> str:
    """Under a score table whose rows (`points`) have expected ranges from both models: why
    a range changes width and precision from one row to the next (the service's own patients
    give whole scores, the general curve decimals; `domain/expected_recovery.py`). A
    clinician judging "within" or "worse" saw 4–11.9, 4–11, 3–12 with nothing saying why."""
    sources = {p.expected.source for p in points if p.expected is not None}
    if len(sources) < 2:
        return ""
    return _(
        "The expected range comes from this service's own patients with a similar first score "
        "where there are enough of them (whole scores), otherwise from the general curve (not "
        "validated), so its width can change from one row to the next."
    )


def therapist_changed(_: Callable[..., str] = _) -> Markup:
    """The mark in the date cell of the first answer after a change of responsible therapist:
    the scores before it were given to someone else (an alliance scale rated another
    relationship)."""
    return Markup(' <span class="tag therapist-changed">%s</span>') % _(
        "first with the new therapist"
    )


def score_rows(points: Iterable[ScorePoint], trend: InstrumentTrend) -> Markup:
    """The score table's rows (date, score, severity, expected range, change since the first).

    Written here rather than by a Jinja macro per row: two years of weekly answers are some
    200 rows, and a macro call per row (with its filters and look-ups) was about half of the
    pre-session view's CPU. Every value is escaped as Jinja's autoescaping would."""
    higher_is_better = trend.instrument.higher_is_better
    # The request's locale, time zone, catalogue and the few labels looked up once for all rows.
    date = date_formatter("short")
    number = number_formatter()
    translations = get_translations()
    _ = bound_gettext(translations)
    texts = labels_in(translations)
    first_score = escape(_("first score"))
    changed = therapist_changed(_)
    # On a phone the table is cards (`table.reflow`): each cell names its column, and a cell
    # with nothing in it is left out of the card rather than shown as a label alone.
    headings = {
        "score": escape(_("Score")),
        "band": escape(_("Severity")),
        "expected": escape(_("Expected range")),
        "change": escape(_("Since the first score")),
    }
    labels: dict[object, Markup] = {}

    def cell(column: str, value: object) -> str:
        empty = "" if value else ' class="empty-cell"'
        return f'<td data-label="{headings[column]}"{empty}>{value}</td>'

    def label(key: object, make: Callable[[], object]) -> Markup:
        if key not in labels:
            labels[key] = escape(make())
        return labels[key]

    rows = []
    for point in points:
        expected = ""
        if point.expected:
            expected = f"{escape(number(point.expected.low))}–{escape(number(point.expected.high))}"
            if point.total is not None:
                text = label(
                    (
                        "expected",
                        point.expected.is_worse_than_band(point.total, higher_is_better),
                        point.expected.low <= point.total <= point.expected.high,
                    ),
                    functools.partial(expected_text, point, higher_is_better, _),
                )
                expected += f" ({text})"
        if point.occasion == 1:
            change = first_score
        elif point.change_from_first:
            change = label(
                point.change_from_first,
                functools.partial(texts.__getitem__, ("change", point.change_from_first)),
            )
        else:
            change = Markup("")
        score = (
            label(("score", None), lambda: _("not scorable"))
            if point.total is None
            else escape(number(point.total))
        )
        band = label(
            ("band", point.band),
            functools.partial(band_label, point.band, texts, instrument=trend.instrument),
        )
        rows.append(
            f"<tr><td>{escape(date(point.at))}{changed if point.new_therapist else ''}</td>"
            f"{cell('score', score)}{cell('band', band)}"
            f"{cell('expected', expected)}{cell('change', change)}</tr>"
        )
    return Markup("".join(rows))  # noqa: S704 - every value above is escaped


def alliance_rows(points: Iterable[ScorePoint], trend: InstrumentTrend) -> Markup:
    """An alliance table's rows (date, score, a drop from last time), escaped as Jinja would."""
    date = date_formatter("short")
    number = number_formatter()
    _ = bound_gettext(get_translations())
    unscorable = escape(_("not scorable"))
    drop, no_drop = Markup("<strong>%s</strong>") % _("Yes"), escape(_("No"))
    # The episode's first answer has no "last time" to drop from: a dash, not "No".
    first = trend.points[0] if trend.points else None
    changed = therapist_changed(_)
    # Nor has the first answer with a new therapist: the scale rates the new relationship.
    rows = [
        f"<tr><td>{escape(date(point.at))}{changed if point.new_therapist else ''}</td>"
        f"<td>{unscorable if point.total is None else escape(number(point.total))}</td>"
        f"<td>{drop if point.drop else ('–' if point is first or point.new_therapist else no_drop)}"
        "</td></tr>"
        for point in points
    ]
    return Markup("".join(rows))  # noqa: S704 - every value above is escaped
