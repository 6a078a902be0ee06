"""`fit-platform export` for scheduled use, and the audit row every export leaves (who, what,
when), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from fit_platform.db import Database
from fit_platform.db.models import ExportAudit
from fit_platform.domain.codes import Role
from fit_platform.services.export import previous_period
from fit_platform.services.export_audit import export_history
from tests.support.cli import run_fit_platform
from tests.support.export_data import make_known_dataset
from tests.support.factories import PASSWORD, make_staff
from tests.support.html import log_in

ROOT = Path(__file__).resolve().parents[2]


def _fit_platform(db: Database, *args: str) -> subprocess.CompletedProcess[str]:
    return run_fit_platform(db.engine.url.render_as_string(hide_password=False), "export", *args)


def test_the_command_writes_the_figures_as_json_and_leaves_an_audit_row(
    db: Database, tmp_path: Path
) -> None:
    data = make_known_dataset(db)
    target = tmp_path / "figures.json"
    done = _fit_platform(
        db,
        *("--unit", data.unit.code, "--period", "quarter"),
        *("--start", "2026-06-01", "--end", "2026-06-30", "--format", "json"),
        *("--output", str(target)),
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(target.read_text(encoding="utf-8"))
    p = next(row for row in document["rows"] if row["programme_code"] == "p")
    assert p["patients_invited"] == 8
    assert {row["unit_code"] for row in document["rows"]} == {data.unit.code}
    [record] = export_history(db)
    assert (record.actor, record.staff_id, record.file_format) == ("command", None, "json")
    assert (record.period, record.start, record.end) == (
        "quarter",
        dt.date(2026, 6, 1),
        dt.date(2026, 6, 30),
    )
    assert record.unit_id == data.unit.id and record.rows == 4


def test_the_command_refuses_an_unknown_unit_with_a_clear_message(db: Database) -> None:
    done = _fit_platform(db, "--unit", "no-such-unit")
    assert done.returncode != 0
    assert "no unit has the code 'no-such-unit'" in done.stderr
    assert export_history(db) == []


def test_by_default_the_command_exports_the_last_whole_period() -> None:
    today = dt.date(2026, 12, 2)
    assert previous_period("quarter", today) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    assert previous_period("month", today) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert previous_period("quarter", dt.date(2027, 2, 1)) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
    )


def test_a_download_on_the_web_is_recorded_with_who_what_and_when(client: FlaskClient) -> None:
    db: Database = client.application.extensions["fit_db"]
    make_known_dataset(db)
    staff = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    log_in(client, staff.username, PASSWORD)
    june = "period=quarter&start=2026-06-01&end=2026-06-30"
    assert client.get(f"/export/aggregates.csv?{june}&separator=comma").status_code == 200
    assert client.get(f"/export/aggregates.json?{june}").status_code == 200
    client.get(f"/export/?{june}")  # looking at the page is not an export
    newest, first = export_history(db)
    assert (first.staff_id, first.actor, first.file_format) == (staff.id, "staff", "csv-comma")
    assert (newest.file_format, newest.rows) == ("json", 7)  # 4 programme rows, 2 units, all
    assert first.at.tzinfo is not None


def test_the_export_audit_cannot_be_changed_afterwards(db: Database) -> None:
    from fit_platform.services.export_audit import record_export

    record_export(
        db,
        staff_id=None,
        file_format="json",
        period="month",
        start=dt.date(2026, 6, 1),
        end=dt.date(2026, 6, 30),
        unit_id=None,
        rows=0,
        now=dt.datetime(2026, 7, 1, tzinfo=dt.UTC),
    )
    with pytest.raises(Exception, match="append-only"), db.transaction() as session:
        session.execute(update(ExportAudit).values(rows=99))
