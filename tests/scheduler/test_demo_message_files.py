"""The demo's messages written as files do not pile up forever: the scheduler's clean-up
(which also runs as soon as the demo starts) removes the files older than the outbox
retention setting, and nothing else in the folder.

The command test runs `fit-platform scheduler --once` as a real process in demo mode: the
same clean-up the demo's background clock runs at start. File ages are set days apart from
the limit, so the hour the suite runs at does not matter.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

from fit_platform.messaging.file_drop import remove_old_message_files
from tests.support.cli import run_fit_platform

DAY = 24 * 3600


def _file(folder: Path, name: str, age_days: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("To: +4791234567\n\nhttp://127.0.0.1:5000/p/token\n")
    moment = time.time() - age_days * DAY
    os.utime(path, (moment, moment))
    return path


def test_files_older_than_the_limit_go_and_other_files_stay(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    old_sms = _file(outbox, "old.sms.txt", 40)
    old_mail = _file(outbox, "old.email.txt", 40)
    recent = _file(outbox, "recent.sms.txt", 20)
    someone_elses = _file(outbox, "notes.txt", 400)
    now = dt.datetime.fromtimestamp(time.time(), dt.UTC)
    removed = remove_old_message_files(outbox, now, dt.timedelta(days=30))
    assert removed == 2
    assert not old_sms.exists() and not old_mail.exists()
    assert recent.exists() and someone_elses.exists()
    assert remove_old_message_files(tmp_path / "never-made", now, dt.timedelta(days=1)) == 0


def test_the_demo_clock_removes_old_message_files_by_the_outbox_retention_setting(
    tmp_path: Path,
) -> None:
    instance = tmp_path / "instance"
    settings = {
        "FIT_ENV": "demo",
        "FIT_INSTANCE_PATH": str(instance),
        "FIT_RETENTION_OUTBOX_DAYS": "30",
    }
    url = f"sqlite:///{instance / 'fit.sqlite3'}"
    instance.mkdir()
    migrated = run_fit_platform(url, "db", "upgrade", **settings)
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    outbox = instance / "outbox"
    old = _file(outbox, "fit-inv-1.sms.txt", 45)
    recent = _file(outbox, "fit-inv-2.email.txt", 10)
    ran = run_fit_platform(url, "scheduler", "--once", **settings)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert not old.exists() and recent.exists()
    assert '"event": "message_files_removed"' in ran.stderr and '"removed": 1' in ran.stderr
    # The same clock outside the demo has no message files to look after.
    production = run_fit_platform(
        url, "scheduler", "--once", FIT_RETENTION_OUTBOX_DAYS="1", FIT_INSTANCE_PATH=str(instance)
    )
    assert production.returncode == 0, production.stderr[-2000:]
    assert recent.exists()
