"""Administrators set up units (clinics and day programmes); their programmes are in
`services/programmes_admin.py`.

Who may call it: an administrator (the admin pages check the role). Every change writes its
admin audit row in the same transaction (`services.admin_audit`), and one log line with ids
only. A refused change (`AdminRefusal`, with the form field and a code the page translates)
saves nothing.

Archiving a unit keeps its history and its open episodes (their therapists still see them and
an administrator can transfer or close them), but the unit takes no new patients, the
scheduler creates nothing new for it, and the invitations not yet answered are cancelled in the
same transaction (docs/administration.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Episode, Invitation, Programme, Unit
from fit_platform.domain.codes import EpisodeStatus, Language, UnitKind
from fit_platform.domain.names import name_key
from fit_platform.domain.unit_texts import missing_fallback
from fit_platform.services.admin_audit import changed_fields, record_admin_change
from fit_platform.services.admin_refusal import SHORT_CODE, AdminNotFound, AdminRefusal
from fit_platform.services.cancel import cancel_invitations
from fit_platform.services.invitation_common import OPEN_STATES
from fit_platform.services.registration import clean_line
from fit_platform.services.unit_instruments import enable_all_schedulable
from fit_platform.services.unit_lead_names import active_unit_leads, invited_unit_leads

log = logging.getLogger(__name__)

UNIT_ARCHIVED = "unit_archived"  # the reason stored on invitations cancelled by archiving

_HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
MESSAGE_NAME_MAX = 40  # short enough for the first line of a lock-screen preview
_PHONE = re.compile(r"\+?[0-9][0-9 ]{2,30}")


@dataclass(frozen=True)
class UnitSettings:
    """What an administrator sets on a unit; name, phone and opening hours are shown to
    patients, quiet hours hold every questionnaire and reminder, not a one-time code she asked
    for (local "HH:MM"; the same twice means none)."""

    code: str
    name: str
    kind: UnitKind
    phone: str | None
    opening_hours: str | None
    quiet_from: str
    quiet_until: str
    # The sender name in messages (a lock screen shows it); None: the neutral default.
    message_name: str | None = None
    # `opening_hours` is the bokmål text; these are optional (domain/unit_texts.py).
    opening_hours_nn: str | None = None
    opening_hours_en: str | None = None


@dataclass(frozen=True)
class ProgrammeSummary:
    id: int
    code: str
    name: str
    archived: bool


@dataclass(frozen=True)
class UnitSummary:
    id: int
    settings: UnitSettings
    archived: bool
    unit_leads: tuple[str, ...]
    open_episodes: int
    programmes: tuple[ProgrammeSummary, ...]
    # Invited as unit lead, not active until they set a password: escalation skips them.
    invited_leads: tuple[str, ...] = ()


def _cleaned(settings: UnitSettings) -> UnitSettings:
    """The settings with spaces tidied and the code in lower case; not yet checked."""
    return UnitSettings(
        code=clean_line(settings.code, 64).lower(),
        name=clean_line(settings.name, 200),
        kind=settings.kind,
        phone=clean_line(settings.phone, 32) or None,
        opening_hours=clean_line(settings.opening_hours, 200) or None,
        quiet_from=(settings.quiet_from or "").strip(),
        quiet_until=(settings.quiet_until or "").strip(),
        message_name=clean_line(settings.message_name, MESSAGE_NAME_MAX) or None,
        opening_hours_nn=clean_line(settings.opening_hours_nn, 200) or None,
        opening_hours_en=clean_line(settings.opening_hours_en, 200) or None,
    )


def _format_problems(typed: UnitSettings, cleaned: UnitSettings) -> list[tuple[str, str]]:
    """Every field that is wrong as written, not only the first: the page shows them all."""
    problems: list[tuple[str, str]] = []
    if not SHORT_CODE.fullmatch(cleaned.code):
        problems.append(("code", "bad_code"))
    if not cleaned.name:
        problems.append(("name", "required"))
    if cleaned.phone is not None and not _PHONE.fullmatch(cleaned.phone):
        problems.append(("phone", "bad_phone"))
    if not _HH_MM.fullmatch(cleaned.quiet_from):
        problems.append(("quiet_from", "bad_time"))
    if not _HH_MM.fullmatch(cleaned.quiet_until):
        problems.append(("quiet_until", "bad_end_time"))
    if len(" ".join((typed.message_name or "").split())) > MESSAGE_NAME_MAX:
        problems.append(("message_name", "too_long"))
    opening_hours_by_language = {
        Language.BOKMAAL: cleaned.opening_hours,
        Language.NYNORSK: cleaned.opening_hours_nn,
        Language.ENGLISH: cleaned.opening_hours_en,
    }
    if missing_fallback(opening_hours_by_language):
        problems.append(("opening_hours", "opening_hours_bokmaal_first"))
    return problems


def unit_settings_problems(
    db: Database, settings: UnitSettings, unit_id: int | None
) -> list[tuple[str, str]]:
    """What `create_unit` (`unit_id` None) or `update_unit` would refuse, saving nothing: the
    page asks when its own form has found errors too, so the administrator reads a duplicate
    code or a malformed phone number in the same round as a malformed time."""
    with db.session() as session:
        return _checked(session, settings, unit_id)[1]


def _settings_of(unit: Unit) -> UnitSettings:
    return UnitSettings(
        code=unit.code,
        name=unit.name,
        kind=unit.kind,
        phone=unit.phone,
        opening_hours=unit.opening_hours,
        quiet_from=unit.quiet_from,
        quiet_until=unit.quiet_until,
        message_name=unit.message_name,
        opening_hours_nn=unit.opening_hours_nn,
        opening_hours_en=unit.opening_hours_en,
    )


def _audit_fields(settings: UnitSettings) -> dict[str, object]:
    fields = asdict(settings)
    fields["kind"] = settings.kind.value
    return fields


def _duplicates(
    session: Session, settings: UnitSettings, unit_id: int | None
) -> list[tuple[str, str]]:
    """Codes and names are unique over all units, archived ones too (case ignored), so a
    report or a patient's message never names two units alike."""
    others = select(Unit.code, Unit.name)
    if unit_id:
        others = others.where(Unit.id != unit_id)
    # Compared here, not with SQL lower() (ASCII only on SQLite and a C-locale PostgreSQL):
    # a service has few units, and "ØSTFOLD DPS" is "Østfold DPS".
    rows = session.execute(others).all()
    problems: list[tuple[str, str]] = []
    if settings.code and name_key(settings.code) in {name_key(row.code) for row in rows}:
        problems.append(("code", "code_taken"))
    if settings.name and name_key(settings.name) in {name_key(row.name) for row in rows}:
        problems.append(("name", "name_taken"))
    return problems


def _checked(
    session: Session, typed: UnitSettings, unit_id: int | None
) -> tuple[UnitSettings, list[tuple[str, str]]]:
    """The cleaned settings and every malformed and every taken field."""
    cleaned = _cleaned(typed)
    return cleaned, _format_problems(typed, cleaned) + _duplicates(session, cleaned, unit_id)


def _refuse_wrong_or_taken(
    session: Session, typed: UnitSettings, unit_id: int | None
) -> UnitSettings:
    """The cleaned settings, or one `AdminRefusal` with every malformed and every taken field."""
    cleaned, problems = _checked(session, typed, unit_id)
    if problems:
        raise AdminRefusal.of(problems)
    return cleaned


def get_unit(session: Session, unit_id: int) -> Unit:
    """The unit to change, or `AdminNotFound`."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise AdminNotFound(unit_id)
    return unit


def list_units(db: Database) -> list[UnitSummary]:
    """Every unit with its programmes, its active unit leads and how many episodes are open."""
    with db.session() as session:
        units = session.scalars(select(Unit).order_by(Unit.archived_at.is_not(None), Unit.name))
        leads = active_unit_leads(session)
        invited = invited_unit_leads(session)
        open_counts = dict(
            session.execute(
                select(Episode.unit_id, func.count())
                .where(Episode.status == EpisodeStatus.ACTIVE)
                .group_by(Episode.unit_id)
            ).all()
        )
        programmes: dict[int, list[ProgrammeSummary]] = {}
        for programme in session.scalars(
            select(Programme).order_by(Programme.archived_at.is_not(None), Programme.name)
        ):
            programmes.setdefault(programme.unit_id, []).append(
                ProgrammeSummary(
                    programme.id, programme.code, programme.name, programme.archived_at is not None
                )
            )
        return [
            UnitSummary(
                id=unit.id,
                settings=_settings_of(unit),
                archived=unit.archived_at is not None,
                unit_leads=tuple(leads.get(unit.id, [])),
                invited_leads=tuple(invited.get(unit.id, [])),
                open_episodes=open_counts.get(unit.id, 0),
                programmes=tuple(programmes.get(unit.id, [])),
            )
            for unit in units
        ]


def unit_summary(db: Database, unit_id: int) -> UnitSummary:
    for summary in list_units(db):
        if summary.id == unit_id:
            return summary
    raise AdminNotFound(unit_id)


def create_unit(db: Database, *, staff_id: int, settings: UnitSettings, now: dt.datetime) -> int:
    """Create a unit; returns its id. Refuses a code or name already in use."""
    try:
        with db.transaction(now=now) as session:
            settings = _refuse_wrong_or_taken(session, settings, None)
            unit = Unit(**asdict(settings))
            session.add(unit)
            session.flush()
            # A new unit may schedule every instrument that can be sent; the Instruments page
            # switches them per unit.
            enable_all_schedulable(session, unit.id, now)
            record_admin_change(
                session,
                staff_id=staff_id,
                action="unit_created",
                target_kind="unit",
                target_id=unit.id,
                after=_audit_fields(settings),
                at=now,
            )
            unit_id = unit.id
    except IntegrityError as exc:  # the same code saved by someone else a moment ago
        raise AdminRefusal("code", "code_taken") from exc
    log.info(
        "unit created", extra={"event": "unit_created", "unit_id": unit_id, "staff_id": staff_id}
    )
    return unit_id


def update_unit(
    db: Database, *, staff_id: int, unit_id: int, settings: UnitSettings, now: dt.datetime
) -> bool:
    """Change a unit's settings; returns False when nothing differed (no audit row then)."""
    try:
        with db.transaction(now=now) as session:
            unit = get_unit(session, unit_id)
            settings = _refuse_wrong_or_taken(session, settings, unit_id)
            before, after = changed_fields(
                _audit_fields(_settings_of(unit)), _audit_fields(settings)
            )
            if not after:
                return False
            for key, value in asdict(settings).items():
                setattr(unit, key, value)
            record_admin_change(
                session,
                staff_id=staff_id,
                action="unit_changed",
                target_kind="unit",
                target_id=unit_id,
                before=before,
                after=after,
                at=now,
            )
    except IntegrityError as exc:
        raise AdminRefusal("code", "code_taken") from exc
    log.info(
        "unit changed", extra={"event": "unit_changed", "unit_id": unit_id, "staff_id": staff_id}
    )
    return True


def set_unit_archived(
    db: Database, *, staff_id: int, unit_id: int, archived: bool, now: dt.datetime
) -> int:
    """Archive (or bring back) a unit. Archiving cancels the unit's invitations that are not
    answered yet and their queued messages; returns how many invitations were cancelled."""
    cancelled = 0
    with db.transaction(now=now) as session:
        unit = get_unit(session, unit_id)
        if (unit.archived_at is not None) == archived:
            return 0
        unit.archived_at = now if archived else None
        if archived:
            open_ids = session.scalars(
                select(Invitation.id)
                .join(Episode, Episode.id == Invitation.episode_id)
                .where(Episode.unit_id == unit_id, Invitation.state.in_(OPEN_STATES))
            ).all()
            cancelled = cancel_invitations(session, open_ids, UNIT_ARCHIVED, now)
        record_admin_change(
            session,
            staff_id=staff_id,
            action="unit_archived" if archived else "unit_restored",
            target_kind="unit",
            target_id=unit_id,
            before={"archived": not archived},
            after={"archived": archived, "invitations_cancelled": cancelled}
            if archived
            else {"archived": archived},
            at=now,
        )
    log.info(
        "unit archived" if archived else "unit restored",
        extra={
            "event": "unit_archived",
            "archived": archived,
            "unit_id": unit_id,
            "staff_id": staff_id,
        },
    )
    return cancelled
