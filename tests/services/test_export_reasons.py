"""Why invitations went unanswered, as the export counts them: every reason the platform stores
falls in one of the export's groups, and invitations cancelled by an administrator (a unit
archived, an episode closed) are counted under their own reason (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from fit_platform.db import Database
from fit_platform.domain.codes import InvitationState, Role
from fit_platform.domain.send_window import SkipReason
from fit_platform.services.episode_close import EPISODE_CLOSED, close_episode
from fit_platform.services.export import NON_RESPONSE_REASONS, AggregateRow, service_aggregates
from fit_platform.services.invitation_common import NonResponse
from fit_platform.services.units_admin import UNIT_ARCHIVED, set_unit_archived
from tests.support.factories import make_invitation, make_staff, make_unit, make_world

JUNE = dt.datetime(2026, 6, 10, 8, tzinfo=dt.UTC)
# Written by services/consent.py when a patient declines, pauses or stops, or staff do.
CONSENT_REASONS = (
    "declined_by_patient",
    "paused",
    "paused_by_patient",
    "stopped",
    "stopped_by_patient",
)


def test_every_stored_non_response_reason_is_counted_in_one_group() -> None:
    stored = {
        *(value for name, value in vars(NonResponse).items() if name.isupper()),
        *(reason.value for reason in SkipReason),
        UNIT_ARCHIVED,
        EPISODE_CLOSED,
        *CONSENT_REASONS,
    }
    grouped = [code for codes in NON_RESPONSE_REASONS.values() for code in codes]
    assert len(grouped) == len(set(grouped)), "a code is in two groups"
    assert stored <= set(grouped), f"not counted: {sorted(stored - set(grouped))}"


def _unit_total(rows: list[AggregateRow]) -> AggregateRow:
    [total] = [row for row in rows if row.programme_code == "all"]
    return total


def test_invitations_cancelled_by_archiving_the_unit_or_closing_an_episode_are_counted(
    db: Database,
) -> None:
    unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    worlds = [make_world(db, unit=unit, therapist=therapist) for _ in range(6)]
    for world in worlds:
        make_invitation(db, world, due_at=JUNE, state=InvitationState.COMPLETED)
        make_invitation(db, world, due_at=JUNE + dt.timedelta(days=1))
    # Two episodes are closed by an administrator on 10 June, then the unit is archived on
    # 11 June: the other four patients' open invitations are cancelled by the archiving.
    for world in worlds[:2]:
        close_episode(
            db,
            staff_id=admin.id,
            unit_id=unit.id,
            episode_id=world.episode_id,
            today=JUNE.date(),
            now=JUNE,
        )
    cancelled = set_unit_archived(
        db, staff_id=admin.id, unit_id=unit.id, archived=True, now=JUNE + dt.timedelta(days=1)
    )
    assert cancelled == 4

    rows = service_aggregates(
        db, period="quarter", start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 30), unit_id=unit.id
    )
    total = _unit_total(rows)
    reasons = {name: value.value for name, value in total.non_response}
    assert reasons["episode_closed"] == 2
    assert reasons["unit_archived"] == 4
    assert total.invitations_answered.value == 6
    assert sum(value or 0 for value in reasons.values()) == 6  # every unanswered one, once
