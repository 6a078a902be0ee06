"""The journal summary: one A4 page (and a plain-text block) of an episode for the EPR.

It is the pre-session view cut to what a journal note needs: the record id, the latest score
of each questionnaire with its change and cut-off, open signals and those resolved in the last
`RECENT_DAYS` with who acknowledged and resolved them, when, and what was done, the samvalg
decisions, the patient's goals and topics, the newest of the patient's own words, and first of
all the patient's own plan (standing choices and crisis plan). Reading it is one access-log
row (`journal_summary`), and one more (`own_plan_view`) when the patient has written a plan or
recorded a choice; the same rule decides who may read it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import aliased

from fit_platform.db import Database
from fit_platform.db.models import Patient, Signal, Staff
from fit_platform.services.access_control import Viewer
from fit_platform.services.own_plan import OwnPlanView
from fit_platform.services.presession import presession
from fit_platform.services.presession_contents import PreSession

RECENT_DAYS = 90
JOURNAL_SUMMARY = "journal_summary"


@dataclass(frozen=True)
class ResolvedSignal:
    code: str
    raised_at: dt.datetime
    resolved_at: dt.datetime
    resolved_by: str | None
    acknowledge_note: str | None
    resolve_note: str | None
    # Who acknowledged it and when, as an open signal shows them: a journal note about a
    # closed risk signal must still say who took it up (a resolve acknowledges too).
    acknowledged_at: dt.datetime | None = None
    acknowledged_by: str | None = None


@dataclass(frozen=True)
class JournalSummary:
    view: PreSession
    record_id: str | None
    printed_at: dt.datetime
    resolved_signals: tuple[ResolvedSignal, ...]
    own_plan: OwnPlanView | None = None


def journal_summary(
    db: Database,
    viewer: Viewer,
    episode_id: int,
    *,
    language: str,
    now: dt.datetime,
    escalation_after: dt.timedelta,
) -> JournalSummary | None:
    """The summary of an episode `viewer` may see (None otherwise); logs one read."""
    view = presession(
        db,
        viewer,
        episode_id,
        language=language,
        now=now,
        action=JOURNAL_SUMMARY,
        escalation_after=escalation_after,
        with_own_plan=True,
    )
    if view is None:
        return None
    resolver = aliased(Staff)
    acknowledger = aliased(Staff)
    # Read after the view's own transaction: a signal a colleague resolved in between is
    # listed once, as the view read it (open), not also as resolved in the text for the EPR.
    read_open = {signal.id for signal in view.open_signals}
    with db.session(now=now) as session:
        record_id = session.scalar(select(Patient.external_id).where(Patient.id == view.patient_id))
        resolved = tuple(
            ResolvedSignal(
                signal.code,
                signal.raised_at,
                signal.resolved_at,
                name,
                signal.acknowledge_note,
                signal.resolve_note,
                signal.acknowledged_at,
                acknowledged_by,
            )
            for signal, name, acknowledged_by in session.execute(
                select(Signal, resolver.display_name, acknowledger.display_name)
                .outerjoin(resolver, resolver.id == Signal.resolved_by_id)
                .outerjoin(acknowledger, acknowledger.id == Signal.acknowledged_by_id)
                .where(
                    Signal.episode_id == episode_id,
                    Signal.resolved_at.is_not(None),
                    Signal.resolved_at >= now - dt.timedelta(days=RECENT_DAYS),
                )
                .order_by(Signal.resolved_at.desc(), Signal.id.desc())
            )
            if signal.resolved_at is not None and signal.id not in read_open
        )
    return JournalSummary(view, record_id, now, resolved, view.own_plan)
