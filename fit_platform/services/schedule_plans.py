"""Schedule plans: copying a programme's template to an episode, and reading stored rules
and consent events as the domain's frozen dataclasses.

An episode is scheduled from its own plan only (`SchedulePlan.episode_id`), a copy of
the template made when the episode is set up, so a therapist can edit it for one patient
(fewer days, another instrument) without touching the template.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Exists, Row, select
from sqlalchemy.orm import Session

from fit_platform.db.models import ConsentEvent, SchedulePlan, ScheduleRule
from fit_platform.domain import consent as consent_domain
from fit_platform.domain import schedule_model
from fit_platform.domain.codes import ConsentEventKind
from fit_platform.domain.instruments import default_instruments
from fit_platform.domain.quiet_hours import DEFAULT_QUIET_HOURS, QuietHours
from fit_platform.domain.schedulability import why_not_on_a_schedule
from fit_platform.services.unit_instruments import enabled_ids

log = logging.getLogger(__name__)


def parse_iso_weekdays(raw: str | None) -> frozenset[int]:
    """ "1,3,5" (ISO, 1 = Monday) as domain weekdays {0, 2, 4}."""
    if not raw:
        return frozenset()
    return frozenset(int(part) - 1 for part in raw.split(",") if part.strip())


def format_iso_weekdays(days: Iterable[int]) -> str:
    return ",".join(str(day + 1) for day in sorted(days))


def _parse_time(raw: str | None, default: dt.time) -> dt.time:
    if not raw:
        return default
    hours, minutes = raw.split(":")
    return dt.time(int(hours), int(minutes))


def quiet_hours_of(quiet_from: str | None, quiet_until: str | None) -> QuietHours:
    """Stored "HH:MM" quiet hours. A value that cannot be read falls back to the default
    21:00-08:00 (logged): holding messages at night is the safe side, and one unit's bad
    setting must not stop the scheduler or the dispatcher for everyone."""
    try:
        return QuietHours(
            _parse_time(quiet_from, dt.time(21)), _parse_time(quiet_until, dt.time(8))
        )
    except (ValueError, TypeError):
        log.warning("unreadable quiet hours, using 21:00-08:00")
        return DEFAULT_QUIET_HOURS


def _rule_values(row: ScheduleRule | Row[*tuple[Any, ...]]) -> dict[str, Any]:
    """A stored rule's values as the domain's rule takes them, its send time apart. A daily
    rule's weekdays are the programme's days (none stored: Monday to Friday)."""
    weekdays = parse_iso_weekdays(row.weekdays)
    trigger = row.trigger
    if trigger is schedule_model.Trigger.DAILY and not weekdays:
        weekdays = schedule_model.WORKDAYS
    return {
        "instrument_id": row.instrument_id,
        "trigger": trigger,
        "offset_hours": row.offset_hours,
        "weekdays": weekdays,
        "window_hours": row.window_hours,
        "reminder_after_hours": row.reminder_after_hours,
        "min_interval_hours": row.min_interval_hours,
    }


def domain_rule(row: ScheduleRule | Row[*tuple[Any, ...]]) -> schedule_model.ScheduleRule:
    """A stored rule (the ORM object, or a row with the same columns) as the domain sees it."""
    return schedule_model.ScheduleRule(
        **_rule_values(row), send_time=_parse_time(row.send_time, dt.time(10))
    )


def domain_rule_problems(row: ScheduleRule) -> list[schedule_model.RuleProblem]:
    """Every reason the domain refuses the rule (`schedule_model.rule_problems`)."""
    return schedule_model.rule_problems(**_rule_values(row))


def domain_consent_event(row: ConsentEvent) -> consent_domain.ConsentEvent | None:
    """The stored event as the domain sees it; None for a "fewer questionnaires" wish, which
    is recorded for the therapist, who then edits the episode's plan (services.consent).

    None too, logged, for a channel change stored without its channel: the services never
    write one, but one such row must not stop the scheduler's tick for every patient read with
    it, and leaving it out only keeps the channel recorded on the patient. Any other row the
    domain refuses (a pause without its end) still raises: a pause must never be read as no
    pause, so the tick sends nothing rather than guess."""
    kind = row.kind
    if kind is ConsentEventKind.FREQUENCY_REDUCED:
        return None
    if kind is ConsentEventKind.CHANNEL_CHANGED and row.channel is None:
        log.warning(
            "consent event left out: a channel change without its channel",
            extra={"event": "consent_event_unreadable", "consent_event_id": row.id},
        )
        return None
    return consent_domain.ConsentEvent(
        kind=kind,
        at=row.created_at,
        until=row.paused_until,
        channel=row.channel,
        invitation_id=row.invitation_id,
    )


def has_rule_in_use(episode_id: Any) -> Exists:  # an episode id, or its column
    """Whether the episode's own plan has a rule in use (an EXISTS for a SELECT): without one
    nothing is ever sent to the patient, and the pages say so."""
    return (
        select(ScheduleRule.id)
        .join(SchedulePlan, SchedulePlan.id == ScheduleRule.plan_id)
        .where(SchedulePlan.episode_id == episode_id, ScheduleRule.active.is_(True))
        .exists()
    )


def _copyable(rule: ScheduleRule, enabled: frozenset[str] | None) -> bool:
    """Whether a template rule goes into a new episode's plan (`enabled`: the questionnaires
    the template's unit has enabled; None for a template of no unit)."""
    instrument = default_instruments().get(rule.instrument_id)
    reason = why_not_on_a_schedule(instrument) if instrument is not None else None
    if reason is None and (enabled is None or rule.instrument_id in enabled or not rule.active):
        return True
    log.warning(
        "template rule not copied: instrument cannot be scheduled",
        extra={
            "instrument_id": rule.instrument_id,
            "reason": reason.value if reason is not None else "not_enabled_for_unit",
        },
    )
    return False


def copy_template_to_episode(
    session: Session, template: SchedulePlan, episode_id: int
) -> SchedulePlan:
    """Give an episode its own editable copy of a template plan (within the caller's
    transaction). Returns the existing copy if the episode already has one. A template rule
    naming a draft or retired instrument is not copied (logged): the episode never starts
    with a rule the scheduler would refuse; nor one in use naming a questionnaire the unit has
    switched off since (its rules already running keep sending, `docs/instruments.md`, but a
    patient registered after the switch does not start with it)."""
    existing = session.scalar(select(SchedulePlan).where(SchedulePlan.episode_id == episode_id))
    if existing is not None:
        return existing
    enabled = enabled_ids(session, template.unit_id) if template.unit_id is not None else None
    plan = SchedulePlan(
        name=template.name,
        unit_id=template.unit_id,
        programme_id=template.programme_id,
        episode_id=episode_id,
        quiet_from=template.quiet_from,
        quiet_until=template.quiet_until,
        rules=[
            ScheduleRule(
                instrument_id=r.instrument_id,
                trigger=r.trigger,
                offset_hours=r.offset_hours,
                weekdays=r.weekdays,
                send_time=r.send_time,
                window_hours=r.window_hours,
                reminder_after_hours=r.reminder_after_hours,
                min_interval_hours=r.min_interval_hours,
                active=r.active,
            )
            for r in template.rules
            if _copyable(r, enabled)
        ],
    )
    session.add(plan)
    session.flush()
    return plan
