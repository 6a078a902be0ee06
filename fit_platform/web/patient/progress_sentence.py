"""The sentences over the patient's own chart: what their latest score means, in plain words.

The patient reads the same rule as their therapist (docs/patient-journey.md, "What the
sentence over the chart says"): the latest score against last time and against the start,
each judged by the instrument's reliable-change threshold (domain/change.py), the rule behind
the therapist's "Reliably worse" signal and chart markers. A change smaller than the threshold
is never called better or worse, and a clear worsening is said as plainly as a clear
improvement, so the patient is never told "down" while the therapist is told "worse".
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from fit_platform.domain.change import Change, ChangeCategory
from fit_platform.services.progress import InstrumentProgress
from fit_platform.web.formatting import format_number


def _fmt(value: float) -> str:
    # Decimal comma in nb and nn, at most one decimal (web/formatting.py).
    return format_number(value)


def _since_last_time(change: Change, since_start: bool) -> list[str]:
    """The newest change in numbers, then whether it is a clear one."""
    before, latest = _fmt(change.start), _fmt(change.end)
    if change.start == change.end:
        if since_start:
            return [_("Your score is the same as when you started: %(score)s.", score=latest)]
        return [_("Your score is the same as last time: %(score)s.", score=latest)]
    up = change.end > change.start
    if since_start and up:
        text = _(
            "Your score has gone up from %(first)s to %(latest)s since you started.",
            first=before,
            latest=latest,
        )
    elif since_start:
        text = _(
            "Your score has gone down from %(first)s to %(latest)s since you started.",
            first=before,
            latest=latest,
        )
    elif up:
        text = _(
            "Your score has gone up from %(previous)s to %(latest)s since last time.",
            previous=before,
            latest=latest,
        )
    else:
        text = _(
            "Your score has gone down from %(previous)s to %(latest)s since last time.",
            previous=before,
            latest=latest,
        )
    verdict = {
        ChangeCategory.RELIABLE_IMPROVEMENT: _("That is a clear change for the better."),
        ChangeCategory.RELIABLE_DETERIORATION: _("That is a clear change for the worse."),
        ChangeCategory.NO_RELIABLE_CHANGE: _(
            "A change of this size can come and go from one time to the next."
        ),
    }.get(change.category)
    return [text, verdict] if verdict else [text]


def _against_the_start(change: Change) -> list[str]:
    """With three scores or more: where the patient started, and the change since then."""
    first = _fmt(change.start)
    if change.start == change.end:
        return [_("When you started, your score was also %(first)s.", first=first)]
    verdict = {
        ChangeCategory.RELIABLE_IMPROVEMENT: _(
            "Compared with then, that is a clear change for the better."
        ),
        ChangeCategory.RELIABLE_DETERIORATION: _(
            "Compared with then, that is a clear change for the worse."
        ),
        ChangeCategory.NO_RELIABLE_CHANGE: _("Compared with then, there is no clear change."),
    }.get(change.category)
    text = _("When you started, your score was %(first)s.", first=first)
    return [text, verdict] if verdict else [text]


@dataclass(frozen=True)
class ProgressWords:
    """The paragraphs over one chart: the newest change first (the page's lead), then the
    start, what the numbers mean and, after a clear worsening, that the therapist sees it."""

    paragraphs: tuple[str, ...]

    @property
    def text(self) -> str:
        """All of it as one sentence run (the chart's description, the other questionnaires)."""
        return " ".join(self.paragraphs)


def progress_words(
    p: InstrumentProgress, *, therapist_reads: bool = True, treatment_ended: bool = False
) -> ProgressWords:
    """What the patient reads over the chart of one questionnaire; ``therapist_reads`` and
    ``treatment_ended`` as web/patient/readers.py decides them ("your therapist", "someone at
    your clinic", or, once the treatment period has ended, that nobody follows the scores)."""
    meaning = (
        _("Higher means fewer problems.")
        if p.instrument.higher_is_better
        else _("Lower means fewer problems.")
    )
    since_first, since_previous = p.change.since_first, p.change.since_previous
    if since_first is None or since_previous is None:
        latest = p.scored[-1].total
        assert latest is not None
        return ProgressWords((_("Your first score is %(score)s.", score=_fmt(latest)), meaning))
    # Two scores: last time is the start, so one comparison says it all.
    only_two = len(p.scored) == 2
    paragraphs = [" ".join(_since_last_time(since_previous, since_start=only_two))]
    if not only_two:
        paragraphs.append(" ".join(_against_the_start(since_first)))
    paragraphs.append(meaning)
    # The therapist's deterioration signal fires on a clear worsening against the first or
    # the previous score (domain/signals.py): the patient hears that it is seen, calmly.
    # After the treatment period has ended no signal is followed up, so she is told that
    # instead, the way the closed episode's choices page says it (choices_ended.html).
    worse = ChangeCategory.RELIABLE_DETERIORATION
    if worse in (since_first.category, since_previous.category):
        if treatment_ended:
            paragraphs.append(
                _(
                    "Your treatment period has ended, so nobody at the clinic follows your "
                    "scores now. Your answers are kept as the privacy notice describes. If you "
                    "want to talk about this, call your clinic."
                )
            )
        elif therapist_reads:
            paragraphs.append(
                _("Your therapist sees your scores too, and you can talk about this together.")
            )
        else:
            paragraphs.append(
                _(
                    "Someone at your clinic sees your scores too, and you can talk about this "
                    "together."
                )
            )
    return ProgressWords(tuple(paragraphs))
