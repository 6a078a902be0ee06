"""Groups in a day programme: when a member who attended a group session is invited to the
group form, and what the group's therapists may see of the answers.

Two rules live here, both pure:

- :func:`group_form_invitation` decides, for one attending member, whether an invitation to
  the group form is made and when its message may leave. It uses the same consent rule
  (`may_send`) and the same send-time rule (`judge_send`: quiet hours, time left to answer;
  `blame_pause`: a skip caused by a pause names it) as every scheduled invitation, so a group
  invitation is never a way around them.
- :func:`session_aggregates` turns the scored answers of each group session into the figures the
  group's therapists see, with every cell from fewer than five answering patients hidden by
  the project's small-cell rule (`small_cells.cell`). Individual answers never leave it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fit_platform.domain.codes import ScheduleTrigger
from fit_platform.domain.consent import Consent, may_send
from fit_platform.domain.quiet_hours import DEFAULT_QUIET_HOURS, QuietHours
from fit_platform.domain.schedule_model import DueInvitation
from fit_platform.domain.send_window import DEFAULT_MIN_ANSWER_WINDOW, blame_pause, judge_send
from fit_platform.domain.small_cells import Cell, cell

# The member answers about this one session, so the form stays open for two days after the
# session (the same window as an individual form sent after a session, and short enough that
# the answer is still about that meeting). A session recorded later than that invites no one.
GROUP_FORM_WINDOW = dt.timedelta(hours=48)
# A session cannot be recorded as held before it starts; a few minutes allow for clocks.
CLOCK_SLACK = dt.timedelta(minutes=15)


def answers_close_at(session_starts_at: dt.datetime) -> dt.datetime:
    """When no more answers to a session's group form can come: its invitations expire."""
    return session_starts_at + GROUP_FORM_WINDOW


def group_form_open(session_starts_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether the session's group form can still be answered at `now`."""
    return now < answers_close_at(session_starts_at)


def figures_shown(session_starts_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether a session's figures may be shown at `now`: only once its forms have closed.

    While answers can still come, each new answer changes the count and the mean, and the
    difference between two views gives that one member's exact total (6 x 31 - 5 x 36.4 = 4);
    in a day programme who answered last is often known. Once the window is over the figures
    are final, and the small-cell rule is all that is needed.
    """
    return now >= answers_close_at(session_starts_at)


# The slot key of every invitation to a group form starts with this.
GROUP_SLOT_PREFIX = "group:"


def group_slot_key(group_session_id: int) -> str:
    """The invitation's slot: one invitation per member's episode and group session."""
    return f"{GROUP_SLOT_PREFIX}{group_session_id}"


def group_form_invitation(
    *,
    episode_id: int,
    instrument_id: str,
    group_session_id: int,
    session_starts_at: dt.datetime,
    consent: Consent,
    now: dt.datetime,
    quiet: QuietHours = DEFAULT_QUIET_HOURS,
    min_window: dt.timedelta = DEFAULT_MIN_ANSWER_WINDOW,
    tz: ZoneInfo,
) -> DueInvitation | None:
    """The invitation to make for one member who attended, or None.

    None when consent does not allow sending at `now` (declined, paused, stopped: nothing is
    made, as for scheduled invitations) or when the form's window after the session has
    closed. The window runs from the session's start for :data:`GROUP_FORM_WINDOW`. The
    message leaves now, or when the unit's quiet hours end; when that leaves less than
    `min_window` to answer the invitation is returned with `skipped` set (recorded so the
    therapist sees why, never sent), exactly as the scheduler does. As there, a member who
    had paused when the form opened (the session's start, its planned time), and whose pause
    ended only when too little of the window was left, missed it because of the pause: the
    skip names it (`blame_pause`), for her own therapist to read.
    """
    if now.tzinfo is None or session_starts_at.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    now = now.astimezone(dt.UTC)
    if not may_send(consent, now, tz):
        return None
    expires_at = answers_close_at(session_starts_at.astimezone(dt.UTC))
    if expires_at <= now:
        return None
    opened_at = session_starts_at.astimezone(dt.UTC)
    decision = blame_pause(
        judge_send(now, expires_at, quiet, min_window, tz=tz),
        opened_at,
        expires_at,
        quiet,
        min_window,
        paused_when_due=consent.held_at(opened_at, tz),
        tz=tz,
    )
    return DueInvitation(
        episode_id=episode_id,
        instrument_id=instrument_id,
        slot_key=group_slot_key(group_session_id),
        # Not stored; the group form goes after a meeting, as an after-session form does.
        trigger=ScheduleTrigger.AFTER_APPOINTMENT,
        send_at=decision.send_at,
        expires_at=expires_at,
        skipped=decision.skip,
    )


@dataclass(frozen=True)
class GroupAnswer:
    """One scored answer to the group form: the session, the patient, the total."""

    group_session_id: int
    patient_id: int
    total: float


@dataclass(frozen=True)
class SessionAggregate:
    """The figures of one group session. Every cell is hidden when fewer than five patients
    answered; ``attended`` (how many were there) is the therapists' own record and shown."""

    group_session_id: int
    attended: int
    answers: Cell
    mean: Cell
    share_below_cutoff: Cell


def session_aggregates(
    sessions: Sequence[tuple[int, int]],
    answers: Iterable[GroupAnswer],
    cutoff: float | None,
) -> list[SessionAggregate]:
    """Per group session (``sessions``: id and number who attended, in display order): how
    many answered, the mean total and the share below `cutoff` (alliance scales: below the
    cut-off is the concern). A patient counts once per session (their latest answer is
    ``answers``' last one for that session). Cells from fewer than five patients are hidden;
    without a cut-off the share is hidden too.
    """
    by_session: dict[int, dict[int, float]] = {}
    for answer in answers:
        by_session.setdefault(answer.group_session_id, {})[answer.patient_id] = answer.total
    result = []
    for session_id, attended in sessions:
        totals = list(by_session.get(session_id, {}).values())
        patients = len(totals)
        mean = sum(totals) / patients if patients else None
        below = (
            sum(1 for t in totals if t < cutoff) / patients
            if patients and cutoff is not None
            else None
        )
        result.append(
            SessionAggregate(
                group_session_id=session_id,
                attended=attended,
                answers=cell(float(patients), patients),
                mean=cell(mean, patients),
                share_below_cutoff=cell(below, patients if cutoff is not None else 0),
            )
        )
    return result
