"""What an episode's plan will send in the coming days, if nothing changes: for the schedule
page, so a therapist sees when the next questionnaires go before they go.

Worked out by the scheduler's own computation (`enqueue.due_for`: the episode's rules in use,
its appointments, the patient's consent and channel, the invitations it already has, the
unit's quiet hours), with a horizon of `days` instead of the tick's minute. Nothing is stored.
What the candidate SQL of a tick leaves out is left out here too: a closed or archived
episode (the page says so above the plan), and one nobody sees the answers of
(`unattended.someone_sees_answers`), for which nothing is listed and the page says why.

A patient's pause or stop holds every send: the list then says so rather than "no occasion"
(a review found "the rules in use have no occasion" under two planned appointments of a
paused patient). A pause that ends within the days shown lists what the plan sends from the
first day after it, worked out as the tick will work it out that day: an occasion that fell
in the pause is not sent afterwards (`send_window.blame_pause`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Episode, Patient
from fit_platform.domain.codes import ConsentState
from fit_platform.domain.schedule_model import DueInvitation
from fit_platform.domain.send_window import DEFAULT_MIN_ANSWER_WINDOW
from fit_platform.services.consent import sending_resumes_after
from fit_platform.services.enqueue import due_for, lookback_for, rule_bounds
from fit_platform.services.unattended import someone_sees_answers

DAYS_AHEAD = 14

log = logging.getLogger(__name__)


class NotListed(StrEnum):
    """Why nothing is listed although the plan may have occasions in the coming days."""

    # The rules cannot be worked out from the episode's data; the tick logs and skips it too.
    UNREADABLE = "unreadable"
    # No active responsible therapist and no unit lead: the tick asks this patient nothing.
    NOBODY_SEES = "nobody_sees"
    # The patient stopped questionnaires, or paused them beyond the days shown.
    STOPPED = "stopped"
    PAUSED = "paused"


@dataclass(frozen=True)
class Upcoming:
    """The invitations in send order; `paused_until` the last day of a pause that ends within
    the days shown (nothing is listed before the day after it). `not_sent`: the occasions in
    those days that the scheduler will record as not sent (`skipped`, with its reason), in the
    order of their windows' end: a session booked at 03:00 for 08:30 gets no questionnaire
    (quiet hours leave 30 minutes), and the list said nothing of it."""

    invitations: list[DueInvitation]
    paused_until: dt.date | None = None
    not_sent: list[DueInvitation] = field(default_factory=list)


def upcoming_invitations(
    db: Database, episode_id: int, now: dt.datetime, *, zone: ZoneInfo, days: int = DAYS_AHEAD
) -> Upcoming | NotListed:
    """The invitations the episode's rules create from `now` to `days` days ahead, in send
    order, and apart those the scheduler would record as not sent. One due
    now goes at the next tick; the page says "at once". `NotListed` when the tick would send
    nothing for another reason than timing: the page says which, rather than list sends that
    will not happen, or fail."""
    until = now + dt.timedelta(days=days)
    try:
        with db.session(now=now) as session:
            seen = session.execute(
                select(Patient.consent_state, Patient.paused_until)
                .join(Episode, Episode.patient_id == Patient.id)
                .where(Episode.id == episode_id, someone_sees_answers(Episode.id))
            ).first()
            if seen is None:
                return NotListed.NOBODY_SEES
            if seen.consent_state is ConsentState.STOPPED:
                return NotListed.STOPPED
            start, paused_until = now, None
            if seen.consent_state is ConsentState.PAUSED:
                # Sending starts again at local midnight after the pause's last day (or at
                # once, when that day has passed: a pause runs out by itself).
                resumes = (
                    sending_resumes_after(seen.paused_until, zone)
                    if seen.paused_until is not None
                    else until
                )
                if resumes >= until:
                    return NotListed.PAUSED
                if resumes > now:
                    start, paused_until = resumes.astimezone(dt.UTC), seen.paused_until
            _offset, max_window, max_interval = rule_bounds(session)
            due = due_for(
                session,
                [episode_id],
                start,
                until - start,
                lookback_for(max_window, max_interval),
                DEFAULT_MIN_ANSWER_WINDOW,
                zone,
            )
    except (OverflowError, ValueError):
        log.warning(
            "upcoming questionnaires not worked out",
            extra={"episode_id": episode_id},
            exc_info=True,
        )
        return NotListed.UNREADABLE
    invitations = sorted(
        (d.invitation for d in due if d.invitation.skipped is None),
        key=lambda invitation: (invitation.send_at, invitation.instrument_id),
    )
    not_sent = sorted(
        (d.invitation for d in due if d.invitation.skipped is not None),
        key=lambda invitation: (invitation.expires_at, invitation.instrument_id),
    )
    return Upcoming(invitations, paused_until, not_sent)
