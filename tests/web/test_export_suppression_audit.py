"""A service developer who downloads the CSV by month and by quarter cannot work out any
hidden month of under five patients (none included), even by combining every equation the
rows satisfy (programmes add up to their unit, units to all units, months to their quarter)
with "no count is negative": the audit after complementary suppression, seen through the
download."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient

from fit_platform.db.models import Episode
from fit_platform.domain.codes import InvitationState, Role
from tests.support.exhaustive_tables import months_a_reader_pins
from tests.support.export_attack import RowName, named
from tests.support.export_data import make_programme
from tests.support.export_small_unit import NOW, csv_rows, export_db
from tests.support.factories import PASSWORD, make_invitation, make_staff, make_unit, make_world
from tests.support.html import log_in
from tests.support.scheduling import Clock

RANGE = "start=2026-07-01&end=2026-09-30"
MONTHS = ("2026-07", "2026-08", "2026-09")
COLUMN = "patients_invited"

# Patients invited per programme (rows) and month, July to September 2026: tables in which no
# equation has a lone hidden cell after the rule equation by equation, and yet the equations
# together pin a small month (in the first, the first programme's September of 1).
PINNED_BY_EQUATIONS_TOGETHER = [
    [[0, 5, 1], [1, 1, 5], [5, 0, 1]],
    [[2, 0, 5], [7, 0, 0], [8, 5, 4]],
    # Months of no one: the first two programmes' July and August were zero in every table
    # that agreed with the shown cells (docs/export.md, "Empty and hidden").
    [[0, 0, 1], [0, 0, 1], [0, 1, 5]],
]


def _seed(client: FlaskClient, rows: list[list[int]]) -> dict[RowName, int]:
    """One unit of three programmes; each patient invited once, in one month (so distinct
    patients add up exactly over months and programmes). Logged in as a service developer;
    returns the patients in each programme's month by (unit code, programme code, month)."""
    db = export_db(client)
    client.application.extensions["fit_clock"] = Clock(NOW)
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    seeded: dict[RowName, int] = {}
    for number, months in enumerate(rows):
        code = f"p{number}"
        programme = make_programme(db, unit, code)
        for month, patients in zip(MONTHS, months, strict=True):
            seeded[(unit.code, code, month)] = patients
            due = dt.datetime(2026, int(month[5:]), 15, 8, tzinfo=dt.UTC)
            for _ in range(patients):
                world = make_world(db, unit=unit, therapist=therapist)
                with db.transaction() as session:
                    episode = session.get(Episode, world.episode_id)
                    assert episode is not None
                    episode.programme_id = programme
                make_invitation(db, world, due_at=due, state=InvitationState.COMPLETED)
    staff = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    log_in(client, staff.username, PASSWORD)
    return seeded


def _true_count(name: RowName, seeded: dict[RowName, int]) -> int:
    """A row's patients as the seeded months add up to it."""
    unit, programme, period = name
    return sum(
        n
        for (u, p, month), n in seeded.items()
        if unit in ("all", u)
        and programme in ("all", p)
        and period in (month, f"{month[:4]}-Q{(int(month[5:]) - 1) // 3 + 1}")
    )


@pytest.mark.parametrize("rows", PINNED_BY_EQUATIONS_TOGETHER)
def test_no_hidden_month_in_the_csv_can_be_worked_out_from_the_shown_cells(
    client: FlaskClient, rows: list[list[int]]
) -> None:
    seeded = _seed(client, rows)
    downloads = {
        **named(csv_rows(client, choice=f"period=month&{RANGE}")),
        **named(csv_rows(client, choice=f"period=quarter&{RANGE}")),
    }
    counts = {name: _true_count(name, seeded) for name in downloads}
    # What the CSV shows is the true count; what it hides is hidden.
    shown = {name: row[COLUMN] for name, row in downloads.items() if not _hidden(row[COLUMN])}
    assert shown == {name: str(counts[name]) for name in shown}
    concealed = {name for name, row in downloads.items() if _hidden(row[COLUMN])}
    assert any(0 < counts[name] < 5 for name in concealed)
    assert months_a_reader_pins(counts, concealed, "all") == []


def _hidden(value: str) -> bool:
    """'suppressed' or 'suppressed_secondary' (every CSV value is text)."""
    return value.startswith("suppressed")
