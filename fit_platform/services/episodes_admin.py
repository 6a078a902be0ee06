"""Administrators move an episode to another therapist of its unit, or close it.

Who may call it: an administrator. The admin pages show who a patient is (name and record id,
to find the right episode) and never an answer or a score; every such read and every change
writes one access-log row per patient (role admin), and every change its admin audit row in
the same transaction.

- Transfer: the chosen therapist becomes the responsible therapist and the previous
  responsible therapist loses access (staff see only their own patients); therapists the
  episode was shared with keep it. Invitations, signals and the plan go on unchanged.
- Close: `services/episode_close.py`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    Appointment,
    Episode,
    EpisodeTherapist,
    Invitation,
    Patient,
    Programme,
    Signal,
    Staff,
    StaffRole,
    Unit,
)
from fit_platform.domain.codes import AppointmentStatus, EpisodeStatus, InvitationState, Role
from fit_platform.services.access_control import holds_therapist_role_in
from fit_platform.services.access_log import record_access, record_bulk_access
from fit_platform.services.admin_audit import record_admin_change
from fit_platform.services.admin_refusal import AdminNotFound, AdminRefusal
from fit_platform.services.episode_transfers import EPISODE_TRANSFERRED
from fit_platform.services.registration import clean_line
from fit_platform.services.risk_waiting import risk_not_acknowledged
from fit_platform.services.signal_workflow import keep_on_leads_list

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AdminEpisode:
    episode_id: int
    patient_name: str
    external_id: str | None
    programme_name: str | None
    started_on: dt.date
    responsible: tuple[str, ...]
    shared_with: tuple[str, ...]
    # Who is responsible now: a transfer offers everyone else (a transfer to them is refused).
    responsible_ids: frozenset[int] = frozenset()
    # Per name in `responsible`: "" when the account is active and holds a therapist role in
    # the unit, else why not ("deactivated", "no_role_here"): the name is marked so.
    responsible_inactive: tuple[str, ...] = ()
    # Open risk signals nobody has acknowledged: closing takes the patient off every caseload,
    # so the page asks first (`close_episode`'s `risk_followed_up`).
    unacknowledged_risk: int = 0
    # Questionnaires the patient has in hand (sent or opened, still open): closing cancels
    # them, so the page says so (a walk closed one minute after the last session's was sent).
    answerable: int = 0
    # Appointments still planned from now on: closing cancels them, so the page says so.
    planned_ahead: int = 0

    @property
    def no_active_behandler(self) -> bool:
        """Nobody active is responsible (`services/unattended.py`)."""
        return all(self.responsible_inactive)


@dataclass(frozen=True)
class Therapist:
    staff_id: int
    name: str


def unit_therapists(db: Database, unit_id: int) -> list[Therapist]:
    """The unit's active therapists, who an episode may be transferred to."""
    with db.session() as session:
        return [
            Therapist(staff_id, name)
            for staff_id, name in session.execute(
                select(Staff.id, Staff.display_name)
                .join(StaffRole, StaffRole.staff_id == Staff.id)
                .where(
                    StaffRole.role == Role.THERAPIST,
                    StaffRole.unit_id == unit_id,
                    Staff.is_active.is_(True),
                )
                .order_by(Staff.display_name)
            )
        ]


def open_episodes(
    db: Database, *, staff_id: int, unit_id: int, now: dt.datetime
) -> list[AdminEpisode]:
    """The unit's open episodes with their therapists; the read is access-logged."""
    with db.transaction(now=now) as session:
        if session.get(Unit, unit_id) is None:
            raise AdminNotFound(unit_id)
        rows = session.execute(
            select(Episode, Patient.display_name, Patient.external_id, Programme.name)
            .join(Patient, Patient.id == Episode.patient_id)
            .outerjoin(Programme, Programme.id == Episode.programme_id)
            .where(Episode.unit_id == unit_id, Episode.status == EpisodeStatus.ACTIVE)
            .order_by(Patient.display_name, Episode.id)
        ).all()
        names = _therapist_names(session, [episode.id for episode, *_ in rows])
        risk: dict[int, int] = dict(
            session.execute(
                select(Signal.episode_id, func.count())
                .join(Episode, Episode.id == Signal.episode_id)
                .where(
                    risk_not_acknowledged(),
                    Episode.unit_id == unit_id,
                    Episode.status == EpisodeStatus.ACTIVE,
                )
                .group_by(Signal.episode_id)
            ).all()
        )
        answerable: dict[int, int] = dict(
            session.execute(
                select(Invitation.episode_id, func.count())
                .join(Episode, Episode.id == Invitation.episode_id)
                .where(
                    Invitation.state.in_((InvitationState.SENT, InvitationState.OPENED)),
                    Invitation.expires_at > now,
                    Episode.unit_id == unit_id,
                    Episode.status == EpisodeStatus.ACTIVE,
                )
                .group_by(Invitation.episode_id)
            ).all()
        )
        planned_ahead: dict[int, int] = dict(
            session.execute(
                select(Appointment.episode_id, func.count())
                .join(Episode, Episode.id == Appointment.episode_id)
                .where(
                    planned_from(now),
                    Episode.unit_id == unit_id,
                    Episode.status == EpisodeStatus.ACTIVE,
                )
                .group_by(Appointment.episode_id)
            ).all()
        )
        record_bulk_access(
            session,
            staff_id=staff_id,
            reads=[(episode.patient_id, unit_id, Role.ADMIN) for episode, *_ in rows],
            action="admin_episode_list",
            now=now,
        )
        return [
            AdminEpisode(
                episode_id=episode.id,
                patient_name=name,
                external_id=external_id,
                programme_name=programme,
                started_on=episode.started_on,
                responsible=tuple(
                    n for n, responsible, _id, _on in names.get(episode.id, []) if responsible
                ),
                shared_with=tuple(
                    n for n, responsible, _id, _on in names.get(episode.id, []) if not responsible
                ),
                responsible_ids=frozenset(
                    staff
                    for _n, responsible, staff, _on in names.get(episode.id, [])
                    if responsible
                ),
                responsible_inactive=tuple(
                    why_not
                    for _n, responsible, _id, why_not in names.get(episode.id, [])
                    if responsible
                ),
                unacknowledged_risk=risk.get(episode.id, 0),
                answerable=answerable.get(episode.id, 0),
                planned_ahead=planned_ahead.get(episode.id, 0),
            )
            for episode, name, external_id, programme in rows
        ]


def planned_from(now: dt.datetime) -> ColumnElement[bool]:
    """An appointment still planned that has not begun: what a close cancels. One that began
    earlier today is left for the therapist to mark held or not."""
    return (Appointment.status == AppointmentStatus.PLANNED) & (Appointment.starts_at > now)


def _therapist_names(
    session: Session, episode_ids: list[int]
) -> dict[int, list[tuple[str, bool, int, str]]]:
    """Per episode: (name, responsible, staff id, why not active) of each therapist: "" for
    an active account that still holds a therapist role in the episode's unit (the rule of
    `unattended.has_active_responsible`), else "deactivated" or "no_role_here"."""
    names: dict[int, list[tuple[str, bool, int, str]]] = {}
    rows = session.execute(
        select(
            EpisodeTherapist.episode_id,
            Staff.display_name,
            EpisodeTherapist.responsible,
            Staff.id,
            Staff.is_active,
            holds_therapist_role_in(Staff.id, Episode.unit_id),
        )
        .join(Staff, Staff.id == EpisodeTherapist.staff_id)
        .join(Episode, Episode.id == EpisodeTherapist.episode_id)
        .where(EpisodeTherapist.episode_id.in_(episode_ids))
        .order_by(Staff.display_name)
    )
    for episode_id, name, responsible, staff_id, active, in_unit in rows:
        why_not = "" if active and in_unit else "deactivated" if not active else "no_role_here"
        names.setdefault(episode_id, []).append((name, responsible, staff_id, why_not))
    return names


def open_episode(session: Session, episode_id: int, unit_id: int) -> Episode:
    episode = session.get(Episode, episode_id)
    if episode is None or episode.unit_id != unit_id:
        raise AdminNotFound(episode_id)
    if episode.status is not EpisodeStatus.ACTIVE:
        raise AdminRefusal("episode", "episode_closed")
    return episode


def transfer_episode(
    db: Database,
    *,
    staff_id: int,
    unit_id: int,
    episode_id: int,
    to_staff_id: int,
    now: dt.datetime,
    reason: str | None = None,
) -> None:
    """Make `to_staff_id` (an active therapist of the episode's unit) the responsible
    therapist; the previous responsible therapists lose access. `AdminNotFound` when the
    episode is not in `unit_id`."""
    reason = clean_line(reason, 200) or None
    with db.transaction(now=now) as session:
        episode = open_episode(session, episode_id, unit_id)
        transfer_in_session(
            session,
            staff_id=staff_id,
            episode=episode,
            to_staff_id=to_staff_id,
            now=now,
            reason=reason,
        )


def transfer_in_session(
    session: Session,
    *,
    staff_id: int,
    episode: Episode,
    to_staff_id: int,
    now: dt.datetime,
    reason: str | None,
) -> None:
    """`transfer_episode` inside the caller's transaction (the deactivation step moves all of
    a person's episodes of a unit in one): access-log row, audit row and log line included."""
    allowed = session.scalar(
        select(Staff.id)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(
            Staff.id == to_staff_id,
            Staff.is_active.is_(True),
            StaffRole.role == Role.THERAPIST,
            StaffRole.unit_id == episode.unit_id,
        )
    )
    if allowed is None:
        raise AdminRefusal("therapist", "not_a_therapist_here")
    before = sorted(link.staff_id for link in episode.therapists if link.responsible)
    if before == [to_staff_id]:
        raise AdminRefusal("therapist", "already_responsible")
    # The new therapist's existing link (shared, or one of several responsible) is
    # reused: a second row for the same person would clash with it.
    target = next(
        (link for link in episode.therapists if link.staff_id == to_staff_id),
        EpisodeTherapist(staff_id=to_staff_id),
    )
    # Before the change: a risk signal the lead has as overdue stays on the lead's list.
    keep_on_leads_list(session, [episode.id], now)
    target.responsible = True
    kept = [link for link in episode.therapists if not link.responsible]
    episode.therapists = [*kept, target]
    record_access(
        session,
        staff_id=staff_id,
        role=Role.ADMIN,
        patient_id=episode.patient_id,
        unit_id=episode.unit_id,
        action="admin_episode_transfer",
        now=now,
    )
    record_admin_change(
        session,
        staff_id=staff_id,
        action=EPISODE_TRANSFERRED,
        target_kind="episode",
        target_id=episode.id,
        before={"responsible_staff_ids": before},
        after={"responsible_staff_ids": [to_staff_id]},
        reason=reason,
        at=now,
    )
    log.info(
        "episode transferred",
        extra={
            "event": EPISODE_TRANSFERRED,
            "episode_id": episode.id,
            "to_staff_id": to_staff_id,
            "staff_id": staff_id,
        },
    )
