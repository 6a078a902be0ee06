"""The service-developer export: known counts, small cells hidden, a fixed number of queries."""

from __future__ import annotations

import datetime as dt

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from fit_platform.services.export import (
    AggregateRow,
    period_bounds,
    service_aggregates,
)
from fit_platform.services.export_files import aggregates_csv, csv_columns
from tests.support.export_data import add_acknowledged_risk, add_patient, make_known_dataset
from tests.support.factories import add_history, make_staff, make_unit
from tests.support.queries import count_statements

JUNE_START, JUNE_END = dt.date(2026, 6, 1), dt.date(2026, 6, 30)


def _row(rows: list[AggregateRow], programme_code: str, unit_code: str) -> AggregateRow:
    [row] = [r for r in rows if r.programme_code == programme_code and r.unit_code == unit_code]
    return row


def test_counts_are_right_on_a_small_known_dataset(db: Database) -> None:
    data = make_known_dataset(db)
    rows = service_aggregates(db, period="quarter", start=JUNE_START, end=JUNE_END)
    p = _row(rows, "p", data.unit.code)
    assert p.period == "2026-Q2"
    assert p.patients_invited.value == 8
    assert p.invitations_sent.value == 16
    assert p.invitations_answered.value == 8
    assert p.response_rate.value == 0.5
    phq9 = next(o for o in p.outcomes if o.instrument_id == "phq9")
    assert phq9.patients_with_two_scores.value == 8
    assert phq9.mean_improvement.value == 7.0  # (5 × 12 − 7 + 2 + 1) / 8
    # Five reliably improved, hidden for the others' sake: the all-units row shows 5, so
    # with programme p's 5 shown, unit A (hidden) would be at least 5 and unit B (hidden, 3
    # patients) would be 0, worked out (tests/web/test_export_within_row_counts.py).
    assert phq9.reliable_improvement.secondary
    everything = next(o for o in _row(rows, "all", "all").outcomes if o.instrument_id == "phq9")
    assert everything.reliable_improvement.value == 5
    assert phq9.reliable_deterioration.suppressed  # one patient
    assert phq9.recovery_eligible.value == 7  # eight minus the one not at caseness
    assert phq9.recovery_rate.value == round(5 / 7, 3)
    # Programme p holds every risk answer of the unit: its median is hidden so that the
    # other programmes' hidden medians cannot be read as "none" (docs/export.md); the
    # all-units median is the same five answers'.
    assert p.median_hours_to_acknowledge_risk.secondary
    assert _row(rows, "all", "all").median_hours_to_acknowledge_risk.value == 3.0
    gad7 = next(o for o in p.outcomes if o.instrument_id == "gad7")
    assert gad7.patients_with_two_scores.suppressed


def test_the_all_units_row_adds_up_every_unit_and_programme(db: Database) -> None:
    make_known_dataset(db)
    rows = service_aggregates(db, period="quarter", start=JUNE_START, end=JUNE_END)
    everything = _row(rows, "all", "all")
    assert rows[-1] is everything
    assert everything.patients_invited.value == 20  # 8 + 6 + 3 in unit A, 3 in unit B
    assert everything.invitations_sent.value == 40
    assert everything.invitations_answered.value == 20
    assert everything.response_rate.value == 0.5
    phq9 = next(o for o in everything.outcomes if o.instrument_id == "phq9")
    assert phq9.patients_with_two_scores.value == 20
    assert phq9.mean_improvement.value == 2.8  # (5 × 12 − 7 + 2 + 1 + 12 × 0) / 20
    assert phq9.reliable_improvement.value == 5
    assert phq9.recovery_eligible.value == 19
    assert phq9.recovery_rate.value == round(5 / 19, 3)


def test_a_small_unit_hides_the_smallest_other_unit_total_so_it_cannot_be_subtracted(
    db: Database,
) -> None:
    data = make_known_dataset(db)
    rows = service_aggregates(db, period="quarter", start=JUNE_START, end=JUNE_END)
    # Unit B has 3 patients. All units (20) minus unit A (17) would give it away, so unit A's
    # total is hidden as well; its programme P (8) stays, with Q (6) hidden beside the 3 of none.
    assert _row(rows, "all", data.small_unit.code).patients_invited.suppressed
    assert _row(rows, "all", data.unit.code).patients_invited.suppressed
    assert _row(rows, "all", "all").patients_invited.value == 20
    assert _row(rows, "p", data.unit.code).patients_invited.value == 8


def test_a_unit_filter_gives_the_unit_total_and_no_all_units_row(db: Database) -> None:
    data = make_known_dataset(db)
    rows = service_aggregates(
        db, period="quarter", start=JUNE_START, end=JUNE_END, unit_id=data.unit.id
    )
    # Hidden as in the table of every unit: the unit's total (17) protects unit B's 3.
    assert [(row.programme_code, row.patients_invited.value) for row in rows] == [
        ("none", None),
        ("p", 8),
        ("q", None),
        ("all", None),
    ]
    assert rows[-1].patients_invited.secondary and not rows[0].patients_invited.secondary


def test_cells_under_five_patients_are_hidden_with_a_flag(db: Database) -> None:
    data = make_known_dataset(db)
    rows = service_aggregates(db, period="quarter", start=JUNE_START, end=JUNE_END)
    small = _row(rows, "none", data.small_unit.code)
    assert small.period == "2026-Q2"
    for value in (small.patients_invited, small.invitations_sent, small.response_rate):
        assert value.suppressed and value.value is None
    assert all(o.patients_with_two_scores.suppressed for o in small.outcomes)


def test_a_lone_small_programme_takes_the_next_smallest_with_it(db: Database) -> None:
    data = make_known_dataset(db)
    rows = service_aggregates(db, period="quarter", start=JUNE_START, end=JUNE_END)
    assert _row(rows, "none", data.unit.code).patients_invited.suppressed  # 3 patients
    assert _row(rows, "q", data.unit.code).patients_invited.suppressed  # 6, secondary
    assert _row(rows, "p", data.unit.code).patients_invited.value == 8
    phq9_q = _row(rows, "q", data.unit.code).outcomes
    assert all(o.patients_with_two_scores.suppressed for o in phq9_q)


def test_the_unit_filter_keeps_only_that_unit(db: Database) -> None:
    data = make_known_dataset(db)
    rows = service_aggregates(
        db, period="quarter", start=JUNE_START, end=JUNE_END, unit_id=data.small_unit.id
    )
    assert {row.unit_code for row in rows} == {data.small_unit.code}


def test_nothing_outside_the_range_is_counted(db: Database) -> None:
    make_known_dataset(db)
    rows = service_aggregates(
        db, period="month", start=dt.date(2026, 8, 1), end=dt.date(2026, 9, 30)
    )
    assert rows == []


def test_periods_are_whole_months_or_quarters() -> None:
    since, until = period_bounds("quarter", dt.date(2026, 2, 14), dt.date(2026, 11, 3))
    assert (since.date(), until.date()) == (dt.date(2026, 1, 1), dt.date(2027, 1, 1))
    since, until = period_bounds("month", dt.date(2026, 12, 5), dt.date(2026, 12, 5))
    assert (since.date(), until.date()) == (dt.date(2026, 12, 1), dt.date(2027, 1, 1))


def test_the_csv_has_the_documented_columns_and_marks_suppressed_cells(db: Database) -> None:
    make_known_dataset(db)
    rows = service_aggregates(db, period="quarter", start=JUNE_START, end=JUNE_END)
    text = aggregates_csv(rows, "comma")
    lines = text.splitlines()
    assert lines[0].split(",") == csv_columns()
    assert "phq9_recovery_rate" in csv_columns()
    assert "wai_sr_mean_score" in csv_columns()
    assert len(lines) == 1 + 4 + 2 + 1  # four programme rows, two unit totals, all units
    assert "suppressed" in text


def _population(db: Database, patients: int) -> None:
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    for _ in range(patients):
        world = add_patient(db, unit, therapist, None, [20, 8])
        add_acknowledged_risk(db, world, 2)


def test_the_number_of_queries_does_not_grow_with_the_data(db: Database) -> None:
    _population(db, 5)
    with count_statements(db.engine) as small:
        service_aggregates(db, period="quarter", start=JUNE_START, end=JUNE_END)
    _population(db, 45)
    with count_statements(db.engine) as large:
        rows = service_aggregates(db, period="quarter", start=JUNE_START, end=JUNE_END)
    assert _row(rows, "all", "all").patients_invited.value == 50
    # Six queries; on PostgreSQL each of the two connections the export reads on at once
    # first sets the planner options for its transaction and reads the summary's watermark
    # (one statement).
    assert large.count == small.count <= 8


def test_test_instruments_are_never_exported() -> None:
    from fit_platform.services.export_files import aggregates_csv

    header = aggregates_csv([]).splitlines()[0]
    assert "vas_demo" not in header
    assert "phq9" in header and "sai" in header


def test_comments_to_the_service_are_counted_per_programme_and_quarter_with_small_cells_hidden(
    db: Database,
) -> None:
    from fit_platform.db.models import ServiceFeedback
    from tests.support.export_data import make_programme

    unit = make_unit(db)
    programmes = {code: make_programme(db, unit, code) for code in ("a", "b", "c")}
    per_programme = {"a": 6, "b": 2, "c": 7}
    # Five patients with three therapists answered the WAI-SR in the quarter: the comments
    # page shows the unit's texts, so the export shows its counts (docs/export.md).
    therapists = [make_staff(db, (Role.THERAPIST, unit.id)) for _ in range(3)]
    for n in range(5):
        world = add_patient(db, unit, therapists[n % 3], programmes["c"], [15, 10])
        add_history(db, world, [40], "wai_sr", start=dt.datetime(2026, 5, 4, 8, tzinfo=dt.UTC))
    with db.transaction() as session:
        for code, count in per_programme.items():
            for n in range(count):
                session.add(
                    ServiceFeedback(
                        unit_id=unit.id,
                        programme_id=programmes[code],
                        instrument_id="wai_sr",
                        text=f"text {n}",
                        period=("2026-04", "2026-05", "2026-06")[n % 3],
                    )
                )
    rows = service_aggregates(
        db, period="quarter", start=dt.date(2026, 4, 1), end=dt.date(2026, 6, 30)
    )
    by_code = {row.programme_code: row for row in rows}
    assert {row.period for row in rows} == {"2026-Q2"}
    assert by_code["c"].service_comments.value == 7
    # b is under 5; a, the smallest shown, is hidden with it so b cannot be worked out.
    assert by_code["b"].service_comments.suppressed and by_code["a"].service_comments.suppressed
    assert "text" not in aggregates_csv(rows)


def test_the_comment_counts_of_a_unit_whose_texts_are_held_back_are_hidden(db: Database) -> None:
    from fit_platform.db.models import ServiceFeedback

    # Five patients answered, but all with one therapist: the comments page holds the texts
    # back, so the export does not say how many there are.
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    for _ in range(5):
        world = add_patient(db, unit, therapist, None, [15, 10])
        add_history(db, world, [40], "wai_sr", start=dt.datetime(2026, 5, 4, 8, tzinfo=dt.UTC))
    with db.transaction() as session:
        session.add_all(
            ServiceFeedback(unit_id=unit.id, instrument_id="wai_sr", text="t", period="2026-05")
            for _ in range(7)
        )
    rows = service_aggregates(
        db, period="quarter", start=dt.date(2026, 4, 1), end=dt.date(2026, 6, 30)
    )
    comments = {(row.unit_code, row.programme_code): row.service_comments for row in rows}
    assert comments[(unit.code, "all")].suppressed
    assert not comments[(unit.code, "all")].secondary
    # The all-units total is the unit's alone: hidden with it.
    assert comments[("all", "all")].suppressed


def test_the_comment_checks_of_many_quarters_take_as_many_statements_as_one(
    db: Database,
) -> None:
    # Whether a quarter's comment count may be shown depends on who could have written the
    # comments that quarter (services/service_comments.held_back). That was three statements
    # per quarter with comments, so a year's export grew with the comments; now three for all.
    from fit_platform.db.models import ServiceFeedback

    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    for _ in range(5):
        world = add_patient(db, unit, therapist, None, [15, 10])
        for start in (
            dt.datetime(2026, 5, 4, 8, tzinfo=dt.UTC),
            dt.datetime(2026, 8, 3, 8, tzinfo=dt.UTC),
        ):
            add_history(db, world, [40], "wai_sr", start=start)

    def comments_in(*months: str) -> None:
        with db.transaction() as session:
            session.add_all(
                ServiceFeedback(unit_id=unit.id, instrument_id="wai_sr", text="t", period=month)
                for month in months
                for _ in range(6)
            )

    def export() -> tuple[int, dict[str, bool]]:
        with count_statements(db.engine) as counted:
            rows = service_aggregates(
                db, period="quarter", start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31)
            )
        held = {
            row.period: row.service_comments.suppressed
            for row in rows
            if (row.unit_code, row.programme_code) == (unit.code, "all")
        }
        return counted.count, held

    comments_in("2026-05")
    one, held = export()
    assert held["2026-Q2"]  # five patients, all with one therapist: held back
    comments_in("2026-02", "2026-08", "2026-11")
    four, held = export()
    assert four == one
    # The same rule in each quarter: Q3's answerers had one therapist too.
    assert held["2026-Q2"] and held["2026-Q3"]
