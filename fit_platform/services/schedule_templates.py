"""Schedule templates: the plans a new episode copies (`services.registration`).

A template is a `SchedulePlan` with no episode, owned by a unit (`programme_id` NULL: the
unit's default) or by one of its programmes. A unit has at most one default template and a
programme at most one template, so which plan a new episode copies is never a guess. Editing a
template changes only episodes registered afterwards: each episode has its own copy.

Who may call it: an administrator. Rules are checked by the same code as an episode's own
schedule (`episode_schedule.checked_rule`, which runs the scheduler's own validation), so a
template can never hold a rule the scheduler would refuse. Every change writes its admin audit
row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Programme, SchedulePlan, ScheduleRule, Unit
from fit_platform.domain.codes import UnitKind
from fit_platform.domain.schedule_model import DueInvitation
from fit_platform.domain.schedule_preview import example_course, preview_invitations
from fit_platform.domain.unit_triggers import trigger_runs_at
from fit_platform.services.admin_audit import changed_fields, record_admin_change
from fit_platform.services.admin_refusal import AdminNotFound, AdminRefusal
from fit_platform.services.episode_schedule import (
    InvalidRule,
    RuleChange,
    apply_rule,
    check_trigger_fits_unit,
    checked_rule,
)
from fit_platform.services.registration import clean_line
from fit_platform.services.schedule_plans import domain_rule, quiet_hours_of
from fit_platform.services.unit_instruments import enabled_ids

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TemplateSummary:
    id: int
    name: str
    unit_id: int
    unit_name: str
    programme_id: int | None
    programme_name: str | None
    rules: int


@dataclass(frozen=True)
class TemplateDetail:
    summary: TemplateSummary
    rules: tuple[ScheduleRule, ...]
    quiet_from: str
    quiet_until: str
    unit_kind: UnitKind


def _summaries(session: Session, *conditions: object) -> list[TemplateSummary]:
    rows = session.execute(
        select(SchedulePlan, Unit.name, Programme.name)
        .join(Unit, Unit.id == SchedulePlan.unit_id)
        .outerjoin(Programme, Programme.id == SchedulePlan.programme_id)
        .where(SchedulePlan.episode_id.is_(None), *conditions)  # type: ignore[arg-type]
        .order_by(Unit.name, SchedulePlan.programme_id.is_not(None), Programme.name)
    ).all()
    return [
        TemplateSummary(
            id=plan.id,
            name=plan.name,
            unit_id=plan.unit_id or 0,  # the join above keeps only plans of a unit
            unit_name=unit_name,
            programme_id=plan.programme_id,
            programme_name=programme_name,
            rules=sum(1 for rule in plan.rules if rule.active),
        )
        for plan, unit_name, programme_name in rows
    ]


def list_templates(db: Database) -> list[TemplateSummary]:
    with db.session() as session:
        return _summaries(session)


def _template(session: Session, template_id: int) -> SchedulePlan:
    plan = session.get(SchedulePlan, template_id)
    if plan is None or plan.episode_id is not None or plan.unit_id is None:
        raise AdminNotFound(template_id)
    return plan


def template_detail(db: Database, template_id: int) -> TemplateDetail:
    with db.session() as session:
        plan = _template(session, template_id)
        unit = session.get_one(Unit, plan.unit_id)
        summary = _summaries(session, SchedulePlan.id == template_id)[0]
        return TemplateDetail(
            summary, tuple(plan.rules), unit.quiet_from, unit.quiet_until, unit.kind
        )


def _owner_problems(
    session: Session, unit_id: int, programme_id: int | None
) -> list[tuple[str, str]]:
    unit = session.get(Unit, unit_id)
    if unit is None:
        return [("owner", "unknown")]
    if unit.archived_at is not None:
        return [("owner", "unit_archived")]
    if programme_id is not None:
        programme = session.get(Programme, programme_id)
        if programme is None or programme.unit_id != unit_id:
            return [("owner", "unknown")]
    taken = session.scalar(
        select(SchedulePlan.id).where(
            SchedulePlan.episode_id.is_(None),
            SchedulePlan.unit_id == unit_id,
            SchedulePlan.programme_id == programme_id
            if programme_id is not None
            else SchedulePlan.programme_id.is_(None),
        )
    )
    return [("owner", "template_exists")] if taken is not None else []


def _new_template_problems(
    session: Session, unit_id: int | None, programme_id: int | None, name: str
) -> list[tuple[str, str]]:
    problems = [] if name else [("name", "required")]
    if unit_id is not None:
        problems += _owner_problems(session, unit_id, programme_id)
    return problems


def template_problems(
    db: Database, *, unit_id: int | None, programme_id: int | None, name: str
) -> list[tuple[str, str]]:
    """What `create_template` would refuse, saving nothing (the page asks when its own form has
    found errors too, so every message comes in one round). `unit_id` None: no owner could be
    read from the form, whose own message stands."""
    with db.session() as session:
        return _new_template_problems(session, unit_id, programme_id, clean_line(name, 200))


def create_template(
    db: Database,
    *,
    staff_id: int,
    unit_id: int,
    programme_id: int | None,
    name: str,
    now: dt.datetime,
) -> int:
    """Create an empty template for a unit (or one of its programmes); returns its id.
    Refuses a second template for the same unit or programme; a refusal names every wrong
    field at once."""
    name = clean_line(name, 200)
    with db.transaction(now=now) as session:
        if problems := _new_template_problems(session, unit_id, programme_id, name):
            raise AdminRefusal.of(problems)
        unit = session.get(Unit, unit_id)
        assert unit is not None  # checked above
        plan = SchedulePlan(
            name=name,
            unit_id=unit_id,
            programme_id=programme_id,
            quiet_from=unit.quiet_from,
            quiet_until=unit.quiet_until,
        )
        session.add(plan)
        session.flush()
        record_admin_change(
            session,
            staff_id=staff_id,
            action="schedule_template_created",
            target_kind="schedule_plan",
            target_id=plan.id,
            after={"name": name, "unit_id": unit_id, "programme_id": programme_id},
            at=now,
        )
        template_id = plan.id
    log.info(
        "schedule template created",
        extra={"event": "schedule_template_created", "plan_id": template_id, "staff_id": staff_id},
    )
    return template_id


def rename_template(
    db: Database, *, staff_id: int, template_id: int, name: str, now: dt.datetime
) -> None:
    name = clean_line(name, 200)
    if not name:
        raise AdminRefusal("name", "required")
    with db.transaction(now=now) as session:
        plan = _template(session, template_id)
        if plan.name == name:
            return
        record_admin_change(
            session,
            staff_id=staff_id,
            action="schedule_template_renamed",
            target_kind="schedule_plan",
            target_id=template_id,
            before={"name": plan.name},
            after={"name": name},
            at=now,
        )
        plan.name = name


def _rule_fields(row: ScheduleRule) -> dict[str, object]:
    return {
        "instrument_id": row.instrument_id,
        "trigger": row.trigger.value if row.trigger else None,
        "offset_hours": row.offset_hours,
        "weekdays": row.weekdays,
        "send_time": row.send_time,
        "window_hours": row.window_hours,
        "reminder_after_hours": row.reminder_after_hours,
        "min_interval_hours": row.min_interval_hours,
        "active": row.active,
    }


def save_template_rule(
    db: Database,
    *,
    staff_id: int,
    template_id: int,
    rule_id: int | None,
    change: RuleChange,
    now: dt.datetime,
) -> int:
    """Add a rule to a template (`rule_id` None) or change one; returns the rule's id.
    `InvalidRule` (nothing saved) when the scheduler could not run it."""
    change = checked_rule(change)
    with db.transaction(now=now) as session:
        plan = _template(session, template_id)
        assert plan.unit_id is not None  # a template is a unit's (`_template`)
        # As for an episode's rule (`episode_schedule.save_rule`): a rule in use names a
        # questionnaire the unit has enabled; one switched off may keep an old one.
        if change.active and change.instrument_id not in enabled_ids(session, plan.unit_id):
            raise InvalidRule("template_instrument_not_enabled")
        check_trigger_fits_unit(change, session.get_one(Unit, plan.unit_id).kind)
        if rule_id is None:
            before: dict[str, object] = {}
            row = apply_rule(ScheduleRule(plan_id=plan.id), change)
            session.add(row)
        else:
            found = session.scalar(
                select(ScheduleRule).where(
                    ScheduleRule.id == rule_id, ScheduleRule.plan_id == plan.id
                )
            )
            if found is None:
                raise AdminNotFound(rule_id)
            before = _rule_fields(found)
            row = apply_rule(found, change)
        session.flush()
        old, new = changed_fields(before, _rule_fields(row))
        if new:
            record_admin_change(
                session,
                staff_id=staff_id,
                action="schedule_rule_added" if rule_id is None else "schedule_rule_changed",
                target_kind="schedule_plan",
                target_id=template_id,
                before={"rule_id": row.id, **old} if rule_id is not None else None,
                after={"rule_id": row.id, **new},
                at=now,
            )
        log.info(
            "schedule template rule saved",
            extra={
                "event": "schedule_template_rule_saved",
                "plan_id": template_id,
                "rule_id": row.id,
                "staff_id": staff_id,
            },
        )
        return row.id


def preview(
    rules: tuple[ScheduleRule, ...] | list[ScheduleRule],
    *,
    now: dt.datetime,
    zone: ZoneInfo,
    quiet_from: str,
    quiet_until: str,
    unit_kind: UnitKind,
) -> list[DueInvitation]:
    """The invitations a patient registered `now` would get from these stored rules (the
    rules in use that the unit's kind can run), with the unit's quiet hours; none before
    `now` (`domain/schedule_preview.py`)."""
    in_use = [
        domain_rule(row) for row in rules if row.active and trigger_runs_at(row.trigger, unit_kind)
    ]
    return preview_invitations(
        in_use,
        example_course(now, zone),
        quiet=quiet_hours_of(quiet_from, quiet_until),
        tz=zone,
    )
