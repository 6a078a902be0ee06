"""At start, web and scheduler say so when no message can reach a patient; the scheduler
counts its failed job runs for the operator's dashboard."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from prometheus_client import REGISTRY

from fit_platform.db import Database
from fit_platform.scheduler.cli import scheduler
from fit_platform.scheduler.clock import build_scheduler
from tests.conftest import make_test_app


def _warnings(text: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "no_message_channel"]


def test_the_web_warns_at_start_when_no_sms_or_email_is_configured(
    tmp_path: Path, sqlite_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'w.sqlite3'}"
    shutil.copyfile(sqlite_template, tmp_path / "w.sqlite3")
    make_test_app(url, tmp_path / "a").extensions["fit_db"].dispose()
    warned = _warnings(capsys.readouterr().err)
    assert warned and warned[0]["level"] == "WARNING" and warned[0]["role"] == "web"

    configured = make_test_app(url, tmp_path / "b", sms_url="http://127.0.0.1:9/s", sms_token="t")
    configured.extensions["fit_db"].dispose()
    assert _warnings(capsys.readouterr().err) == []


def test_the_scheduler_warns_at_start_when_no_sms_or_email_is_configured(
    tmp_path: Path, sqlite_template: Path
) -> None:
    shutil.copyfile(sqlite_template, tmp_path / "s.sqlite3")
    env = {
        "FIT_ENV": "test",
        "FIT_DATABASE_URL": f"sqlite:///{tmp_path / 's.sqlite3'}",
        "FIT_INSTANCE_PATH": str(tmp_path),
        "FIT_SMS_URL": "",
        "FIT_SMTP_HOST": "",
    }
    result = CliRunner().invoke(scheduler, ["--once"], env=env)
    assert result.exit_code == 0, result.output
    warned = _warnings(result.stderr)
    assert warned and warned[0]["role"] == "scheduler"

    quiet = CliRunner().invoke(scheduler, ["--once", "--no-dispatch"], env=env)
    assert quiet.exit_code == 0, quiet.output
    assert _warnings(quiet.stderr) == []


def _failures(job: str) -> float:
    return REGISTRY.get_sample_value("fit_scheduler_job_failures_total", {"job": job}) or 0.0


def test_a_failing_scheduler_job_is_counted_and_the_clock_keeps_going() -> None:
    # Nothing listens on port 1 of loopback: every job's database call fails at once.
    db = Database("postgresql+psycopg://fit@127.0.0.1:1/fit")
    before = _failures("enqueue")
    clock = build_scheduler(db, None)
    clock.start()
    try:
        deadline = time.monotonic() + 20
        while _failures("enqueue") == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert clock.running
    finally:
        clock.shutdown(wait=True)
        db.dispose()
    assert _failures("enqueue") == before + 1
    runs = REGISTRY.get_sample_value("fit_scheduler_job_runs_total", {"job": "enqueue"})
    assert runs is not None and runs >= 1
