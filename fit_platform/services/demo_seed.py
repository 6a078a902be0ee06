"""Demo data: units, staff and (as features land) patients with months of answers.

Idempotent: every row is looked up by its natural key first, so seeding twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Programme, Staff, StaffRole, Unit
from fit_platform.domain.codes import Role, UnitKind
from fit_platform.services.passwords import hash_password

DEMO_PASSWORD = "fit-demo-passord"  # noqa: S105 - printed on purpose; demo data only


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    password: str = DEMO_PASSWORD


DEMO_UNITS = (
    ("dps-nord-pol", "DPS Nord, poliklinikk", UnitKind.OUTPATIENT, "+47 22 00 00 00"),
    ("dps-nord-dag", "DPS Nord, dagtilbud", UnitKind.DAY_PROGRAMME, "+47 22 00 00 01"),
)
DEMO_STAFF = (
    ("admin@demo.fit", "Ada Administrator", ((Role.ADMIN, None),)),
    ("terapeut1@demo.fit", "Tone Terapeut", ((Role.THERAPIST, "dps-nord-pol"),)),
    (
        "terapeut2@demo.fit",
        "Tor Terapeut",
        ((Role.THERAPIST, "dps-nord-dag"), (Role.UNIT_LEAD, "dps-nord-dag")),
    ),
    ("utvikler@demo.fit", "Una Tjenesteutvikler", ((Role.SERVICE_DEVELOPER, None),)),
)


def _unit(session: Session, code: str, name: str, kind: UnitKind, phone: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        unit = Unit(code=code, name=name, kind=kind, phone=phone, opening_hours="08:00–15:30")
        session.add(unit)
        session.flush()
        session.add(Programme(unit_id=unit.id, code="standard", name=name))
    return unit


def seed_demo(db: Database) -> list[DemoLogin]:
    """Create the demo organisation and staff if absent; return the logins to print."""
    with db.transaction() as session:
        units = {
            code: _unit(session, code, name, kind, phone) for code, name, kind, phone in DEMO_UNITS
        }
        password_hash = None
        for username, display_name, roles in DEMO_STAFF:
            if session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
                continue
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            staff = Staff(username=username, display_name=display_name, password_hash=password_hash)
            staff.roles = [
                StaffRole(role=role, unit_id=units[unit_code].id if unit_code else None)
                for role, unit_code in roles
            ]
            session.add(staff)
    return [
        DemoLogin(username, ", ".join(role.value for role, _ in roles))
        for username, _, roles in DEMO_STAFF
    ]
