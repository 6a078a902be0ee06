"""The export restructured for millions of rows (totals and distinct patients counted in the
database, outcomes tallied one patient at a time) gives exactly the figures of the export it
replaced, kept as a reference in tests/support/export_reference, on a random service history
with the awkward cases in it: patients with two episodes (in two programmes of a unit, and in
two units), responses submitted at the same second, unscorable responses, every invitation
state and non-response reason, signals of every kind, consent changes and service comments.
On SQLite and PostgreSQL, by month and by quarter, for all units and for one."""

from __future__ import annotations

import datetime as dt

import pytest

from fit_platform.db import Database
from fit_platform.db.models import Unit
from fit_platform.services.export import Period, service_aggregates
from tests.support.export_history import DAYS, FIRST_DAY, random_history
from tests.support.export_reference.queries import reference_aggregates


@pytest.mark.parametrize("seed", [1, 2])
def test_the_restructured_export_gives_the_reference_figures_on_random_data(
    db: Database, seed: int
) -> None:
    random_history(db, seed)
    start, end = FIRST_DAY.date(), (FIRST_DAY + dt.timedelta(days=DAYS)).date()
    with db.session() as session:
        one_unit = session.query(Unit.id).filter(Unit.code == f"eq-{seed}-2").scalar()
    compared = 0
    for period in ("month", "quarter"):
        chosen: Period = period
        for unit_id in (None, one_unit):
            new = service_aggregates(db, period=chosen, start=start, end=end, unit_id=unit_id)
            old = reference_aggregates(db, period=chosen, start=start, end=end, unit_id=unit_id)
            assert len(new) == len(old) > 0
            for new_row, old_row in zip(new, old, strict=True):
                assert new_row == old_row
            compared += len(new)
    # The data set is big enough that figures are shown, not only hidden.
    shown = [row for row in new if not row.patients_invited.suppressed]
    assert shown and compared > 20


@pytest.mark.parametrize("seed", [1, 2])
def test_a_range_that_begins_mid_history_gives_the_reference_figures(
    db: Database, seed: int
) -> None:
    """Episodes whose PHQ-9 ended before the range and whose GAD-7 ended in it: the paired
    outcome takes both halves (the reference reads every episode up to the range's end)."""
    random_history(db, seed)
    start = (FIRST_DAY + dt.timedelta(days=DAYS // 2)).date()
    end = (FIRST_DAY + dt.timedelta(days=DAYS)).date()
    for period in ("month", "quarter"):
        chosen: Period = period
        new = service_aggregates(db, period=chosen, start=start, end=end)
        old = reference_aggregates(db, period=chosen, start=start, end=end)
        assert len(new) == len(old) > 0
        for new_row, old_row in zip(new, old, strict=True):
            assert new_row == old_row
