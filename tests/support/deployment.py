"""The deployment the fault tests break (tests/smoke/test_fault_*.py) and their helpers.

One deployment as docs/deploy.md describes it (tests/support/production_stack.py: gunicorn
with two workers, a private PostgreSQL, the SMS gateway's and SMTP relay's ports on loopback,
production settings, a Thursday morning in Oslo), started once for the three fault tests by
the `deployment` fixture in tests/smoke/conftest.py. Each test writes its figures to
test-artifacts/faults-<name>.json (the figures quoted in docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from fit_platform.domain.instruments import default_instruments
from fit_platform.services.answering import page_plan
from tests.support.factories import make_invitation, make_staff, make_unit, make_world
from tests.support.postgres import PostgresCluster
from tests.support.production_stack import (
    THURSDAY_MORNING,
    Clinic,
    Process,
    Stack,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PAGES = page_plan(default_instruments()["phq9"])


@dataclass
class Deployment:
    stack: Stack
    postgres: PostgresCluster
    web: Process
    db: Database
    clinic: Clinic
    sms_port: int
    smtp_port: int


def record(name: str, figures: dict[str, object]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"faults-{name}.json").write_text(json.dumps(figures, indent=2))


def wait_for(
    predicate: Callable[[], object],
    what: str,
    seconds: float,
    logs: Callable[[], str] | None = None,
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {seconds} s\n{logs() if logs else ''}")


def open_links(deployment: Deployment, count: int) -> list[tuple[int, str]]:
    """`count` patients, each with an open PHQ-9 invitation; (invitation id, link)."""
    db = deployment.db
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    links = []
    for _ in range(count):
        world = make_world(db, unit=unit, therapist=therapist)
        invitation, token = make_invitation(
            db,
            world,
            "phq9",
            due_at=THURSDAY_MORNING.astimezone(dt.UTC) - dt.timedelta(hours=1),
            window=dt.timedelta(hours=48),
        )
        links.append((invitation.id, f"{deployment.stack.base_url}/p/{token}"))
    return links
