"""`fit-platform retention purge-access-log` and `retention apply`, run as an operator would."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner
from sqlalchemy import func, select

from fit_platform.cli import cli
from fit_platform.db import Database
from fit_platform.db.models import AccessLog, InvitationToken
from fit_platform.domain.codes import Role
from fit_platform.services.access_log import record_access
from tests.support.factories import make_invitation, make_world


def test_the_owner_counts_then_purges_old_access_log_rows_from_the_command_line(
    db: Database, database_url: str
) -> None:
    world = make_world(db)
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as session:
        for age in (dt.timedelta(days=11 * 366), dt.timedelta(days=30)):
            record_access(
                session,
                staff_id=world.therapist_id,
                role=Role.THERAPIST,
                patient_id=world.patient_id,
                unit_id=world.unit_id,
                action="presession_view",
                now=now - age,
            )
    make_invitation(db, world, due_at=now - dt.timedelta(days=90))
    env = {
        "FIT_ENV": "test",
        "FIT_DATABASE_OWNER_URL": database_url,
        "FIT_DATABASE_URL": database_url,
    }
    runner = CliRunner()

    dry = runner.invoke(cli, ["retention", "purge-access-log", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "1 access-log rows are older than 10 years." in dry.output
    purged = runner.invoke(cli, ["retention", "purge-access-log"], env=env)
    assert purged.exit_code == 0, purged.output
    assert "Deleted 1 access-log rows older than 10 years." in purged.output
    applied = runner.invoke(cli, ["retention", "apply"], env=env)
    assert applied.exit_code == 0, applied.output
    [line] = applied.stdout.splitlines()
    assert line.startswith("job=retention ") and " link_tokens_deleted=1" in line
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AccessLog)) == 1
        assert session.scalar(select(func.count()).select_from(InvitationToken)) == 0


def test_a_retention_setting_out_of_range_stops_the_command_with_one_clear_line(
    database_url: str,
) -> None:
    env = {
        "FIT_ENV": "test",
        "FIT_DATABASE_URL": database_url,
        "FIT_RETENTION_ACCESS_LOG_YEARS": "1",
    }
    result = CliRunner().invoke(cli, ["retention", "purge-access-log"], env=env)
    assert result.exit_code != 0
    assert "FIT_RETENTION_ACCESS_LOG_YEARS must be from 3 to 30" in result.output
