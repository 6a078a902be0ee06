"""Everything the pre-session view shows for one episode, read in a fixed number of queries.

The queries do not grow with the history: one for the episode (and the access check, the unit's
leads and the next appointment), one for all submitted scores (columns only), and one for the
episode's short lists (signals, goals, the patient's own words (comments, consent reasons),
topics, consent history, failed deliveries, samvalg decisions and the item answers of the
latest response of each instrument: `presession_queries.EPISODE_LISTS`); then
one INSERT into the access log. The points of each questionnaire
come from `score_trends`, which the page of all scores shares.

This module builds the view; what it builds (`PreSession` and its parts) is in
`presession_contents`, which the pages import without the building.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Patient
from fit_platform.domain.codes import (
    Actor,
    Channel,
    CommentSource,
    ConsentEventKind,
    EpisodeStatus,
    MessageKind,
    Role,
)
from fit_platform.domain.instruments import Kind, default_instruments
from fit_platform.domain.signals import SignalCode
from fit_platform.messaging.delivery_problem import delivery_problem
from fit_platform.services import own_plan
from fit_platform.services import presession_queries as q
from fit_platform.services.access_control import Viewer
from fit_platform.services.access_log import Action, record_access
from fit_platform.services.comments import patient_words
from fit_platform.services.presession_contents import (
    ConsentEntry,
    DecisionView,
    FailedDelivery,
    PreSession,
    SignalView,
    WithdrawnDecisionView,
)
from fit_platform.services.responsible import responsible_names
from fit_platform.services.score_trends import (
    bands_of_service,
    instrument_trend,
    scores_by_instrument,
)
from fit_platform.services.signal_answers import answer_changes, unfinished_answers

RESOLVED_SHOWN = 20  # the latest few; the page is read before a session, not as an archive


@dataclass
class _Lists:
    """The rows of `EPISODE_LISTS`, list by list, in each list's order."""

    signals: list[SignalView] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)
    comments: list[tuple[dt.datetime, str, str | None, CommentSource]] = field(default_factory=list)
    reasons: list[tuple[dt.datetime, str | None, ConsentEventKind, str | None]] = field(
        default_factory=list
    )
    topics: list[tuple[str, dt.datetime]] = field(default_factory=list)
    consent: list[ConsentEntry] = field(default_factory=list)
    failed: list[FailedDelivery] = field(default_factory=list)
    decisions: list[DecisionView] = field(default_factory=list)
    withdrawn: list[WithdrawnDecisionView] = field(default_factory=list)
    # (response id, item, value, language) of each questionnaire's latest submitted response.
    answers: list[tuple[int, str, float | None, str | None]] = field(default_factory=list)
    # (signal id, item, instrument, value) of an unfinished questionnaire that raised a signal.
    unfinished: list[tuple[int, str, str, float | None]] = field(default_factory=list)
    # When the episode changed its responsible therapist, oldest first.
    transfers: list[dt.datetime] = field(default_factory=list)


def _episode_lists(rows: Iterable[Any], overdue_from: dt.datetime, language: str) -> _Lists:
    """Sort the rows of `EPISODE_LISTS` into their lists (see its slots for which column holds
    what), with the enum values their columns would have given. An unacknowledged risk signal
    raised at or before `overdue_from` (or escalated) is overdue."""
    instruments = default_instruments()
    lists = _Lists()
    part = q.ListPart
    for row in rows:
        (
            kind,
            _seq,
            n1,
            n2,
            s1,
            s2,
            s3,
            s4,
            s5,
            s6,
            at1,
            at2,
            at3,
            at4,
            day,
            flag,
            details,
            value,
        ) = row
        if kind == part.SIGNALS:
            lists.signals.append(
                SignalView(
                    n1,
                    s1,
                    s2,
                    (details or {}).get("instrument"),
                    at1,
                    at2,
                    s5,
                    s3,
                    at3,
                    s1 == SignalCode.RISK_ANSWER.value
                    and at2 is None
                    and (at3 is not None or at1 <= overdue_from),
                    answer_changes(details, instruments, language),
                    at4,
                    s6,
                    s4,
                    after_deadline=bool((details or {}).get("after_deadline_at")),
                )
            )
        elif kind == part.GOALS:
            lists.goals.append(s1)
        elif kind == part.COMMENTS:
            lists.comments.append((at1, s1, s2, CommentSource(s3)))
        elif kind == part.CONSENT_REASONS:
            lists.reasons.append((at1, s1, ConsentEventKind(s3), s2))
        elif kind == part.TOPICS:
            lists.topics.append((s1, at1))
        elif kind == part.CONSENT_HISTORY:
            lists.consent.append(
                ConsentEntry(
                    ConsentEventKind(s1),
                    Actor(s2),
                    at1,
                    day,
                    Channel(s3) if s3 is not None else None,
                    s4,
                )
            )
        elif kind == part.FAILED_DELIVERIES:
            lists.failed.append(
                FailedDelivery(MessageKind(s1), Channel(s2), n1, at1, delivery_problem(s3))
            )
        elif kind == part.DECISIONS:
            if at3 is not None:
                lists.withdrawn.append(WithdrawnDecisionView(n1, at1, s4, at3, s5 or "", s6 or ""))
            else:
                lists.decisions.append(
                    DecisionView(n1, n2, s1, s2, s3, day, at1, s4, flag, at2, s5)
                )
        elif kind == part.LATEST_ANSWERS:
            lists.answers.append((n1, s1, value, s2))
        elif kind == part.UNFINISHED_ANSWERS:
            lists.unfinished.append((n1, s1, s2, value))
        elif kind == part.TRANSFERS:
            lists.transfers.append(at1)
    unfinished = unfinished_answers(lists.unfinished, instruments, language)
    lists.signals = [
        replace(signal, unfinished_answers=found[0], unfinished_of=found[1])
        if (found := unfinished.get(signal.id))
        else signal
        for signal in lists.signals
    ]
    return lists


def presession(
    db: Database,
    viewer: Viewer,
    episode_id: int,
    *,
    language: str = "nb",
    now: dt.datetime,
    action: str = Action.PRESESSION_VIEW,
    escalation_after: dt.timedelta = dt.timedelta(hours=24),
    with_own_plan: bool = False,
) -> PreSession | None:
    """The pre-session view of an episode the viewer may see, else None; logs the read.
    ``with_own_plan``: the patient's crisis plan and standing choices too (``own_plan``), read
    and logged in the same transaction, behind the same access check.

    Every statement selects the columns it needs (no ORM objects): building and tracking
    entities for two years of history was a fifth of the view's CPU."""
    language = language if language in ("nb", "nn", "en") else "nb"
    instruments = default_instruments()
    with db.transaction(now=now) as session:
        # One row per unit lead (at least one row): the episode, its next appointment, a lead.
        read = session.connection().execute(
            q.presession_read(viewer.staff_id, viewer.roles),
            {"episode_id": episode_id, "now": now},
        )
        found = read.all()
        if not found:
            return None
        (
            _id,
            unit_id,
            episode_status,
            started_on,
            ended_on,
            patient_id,
            patient_name,
            consent_state,
            paused_until,
            unit_name,
            is_mine,
            next_appointment,
            unit_archived,
            unattended,
            rules_in_use,
            _lead,
        ) = found[0]
        # Two leads may share a name; the page lists each name once, as DISTINCT did.
        unit_leads = tuple(dict.fromkeys(row[-1] for row in found if row[-1] is not None))
        role = Role.THERAPIST if is_mine else Role.UNIT_LEAD
        # The lead's read only: the therapist's own view runs no extra statement.
        therapists = () if is_mine else responsible_names(session, [episode_id]).get(episode_id, ())

        by_instrument = scores_by_instrument(session, episode_id)
        service = bands_of_service(session, by_instrument, now)
        latest_ids = {rows[-1][0]: iid for iid, rows in by_instrument.items()}
        connection = session.connection()
        params = {
            "episode_id": episode_id,
            "patient_id": patient_id,
            q.LATEST_IDS: list(latest_ids),
        }
        lists = _episode_lists(
            connection.execute(q.EPISODE_LISTS, params).all(),
            # Nobody responsible to wait for: a risk signal is overdue at once, as on the
            # leads' caseload (`caseload_queries.overdue_risk_signals`).
            now if unattended else now - escalation_after,
            language,
        )
        answers: dict[str, dict[str, float | None]] = defaultdict(dict)
        answered_in: dict[str, dict[str, str | None]] = defaultdict(dict)
        # Only the answers of the latest scores read (`q.LATEST_IDS`): a questionnaire sent
        # after the scores were read is left to the next view, whole.
        for response_id, link_id, value, answer_language in lists.answers:
            answers[latest_ids[response_id]][link_id] = value
            answered_in[latest_ids[response_id]][link_id] = answer_language
        signals = tuple(
            sorted(
                (s for s in lists.signals if s.resolved_at is None),
                key=lambda s: s.severity != "high",
            )
        )
        resolved = tuple(
            sorted(
                (s for s in lists.signals if s.resolved_at is not None),
                key=lambda s: s.resolved_at or s.raised_at,
                reverse=True,
            )
        )[:RESOLVED_SHOWN]
        lead_contact = (
            _contact_on_file(session, patient_id)
            if not is_mine
            and episode_status is EpisodeStatus.ACTIVE
            and any(s.overdue for s in signals)
            else None
        )
        own = (
            own_plan.read_plan(
                session,
                patient_id,
                may_record=bool(is_mine),
                episode_active=episode_status is EpisodeStatus.ACTIVE,
                ended_on=ended_on,
            )
            if with_own_plan
            else None
        )
        record_access(
            session,
            staff_id=viewer.staff_id,
            role=role,
            patient_id=patient_id,
            unit_id=unit_id,
            action=action,
            now=now,
        )
        if own is not None:
            own_plan.log_plan_read(session, own, viewer.staff_id, unit_id, now)

    trends = [
        instrument_trend(
            instruments[i],
            rows,
            answers[i],
            language,
            service.get(i),
            answered_in[i].values(),
            lists.transfers,
        )
        for i, rows in sorted(by_instrument.items())
        if i in instruments
    ]
    return PreSession(
        episode_id=episode_id,
        patient_id=patient_id,
        patient_name=patient_name,
        unit_name=unit_name,
        role=role,
        episode_status=episode_status,
        started_on=started_on,
        ended_on=ended_on,
        next_appointment=next_appointment,
        goals=tuple(lists.goals),
        own_words=patient_words(lists.comments, lists.reasons),
        topics=tuple(lists.topics),
        outcome=tuple(t for t in trends if t.instrument.kind is Kind.OUTCOME),
        alliance=tuple(t for t in trends if t.instrument.kind is Kind.ALLIANCE),
        open_signals=signals,
        consent_state=consent_state,
        paused_until=paused_until,
        consent_history=tuple(lists.consent),
        failed_deliveries=tuple(lists.failed),
        decisions=tuple(lists.decisions),
        withdrawn_decisions=tuple(lists.withdrawn),
        unit_leads=unit_leads,
        unit_archived=bool(unit_archived),
        rules_in_use=bool(rules_in_use),
        resolved_signals=resolved,
        own_plan=own,
        therapists=therapists,
        lead_contact=lead_contact,
        transfers=tuple(lists.transfers),
    )


def _contact_on_file(session: Session, patient_id: int) -> tuple[str | None, str | None]:
    """The patient's mobile number and e-mail address, for a unit lead asked to follow up a
    risk answer nobody has acknowledged in time: a walk found the lead's view naming the
    therapist to follow up with, and no way to reach the patient when the therapist is away
    (the contact page is the treating therapists'). Read only then: one statement, in the
    view's transaction, covered by its access-log row."""
    phone, email = session.execute(
        select(Patient.phone_e164, Patient.email).where(Patient.id == patient_id)
    ).one()
    return phone, email
