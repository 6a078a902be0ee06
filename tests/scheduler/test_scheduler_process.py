"""The scheduler process says when it starts (which jobs, how often, the time zone, the
version) and when it stops: systemd and container runtimes stop it with SIGTERM, which is a
clean stop that lets a running job finish and writes one line. Run as production runs it."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.cli import ROOT, operator_env


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def test_the_scheduler_logs_its_start_and_its_stop_on_sigterm(
    sqlite_template: Path, tmp_path: Path
) -> None:
    shutil.copyfile(sqlite_template, tmp_path / "s.sqlite3")
    env = operator_env(
        f"sqlite:///{tmp_path / 's.sqlite3'}",
        FIT_INSTANCE_PATH=str(tmp_path / "instance"),
        FIT_TIMEZONE="Europe/Oslo",
    )
    stderr = tmp_path / "stderr.log"
    with stderr.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "fit_platform.cli", "scheduler"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(line.get("event") == "scheduler_started" for line in _lines(stderr)):
                break
            assert process.poll() is None, stderr.read_text()[-2000:]
            time.sleep(0.1)
        else:
            raise AssertionError("no start line: " + stderr.read_text()[-2000:])
        time.sleep(0.5)  # the first runs of the jobs are under way
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, stderr.read_text()[-2000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    lines = _lines(stderr)
    started = [line for line in lines if line.get("event") == "scheduler_started"]
    stopped = [line for line in lines if line.get("event") == "scheduler_stopped"]
    assert len(started) == 1 and len(stopped) == 1, stderr.read_text()[-3000:]
    assert started[0]["level"] == "INFO" and stopped[0]["level"] == "INFO"
    jobs = started[0]["jobs"]
    assert isinstance(jobs, dict) and jobs["dispatch"] == 10 and jobs["enqueue"] == 60
    assert started[0]["zone"] == "Europe/Oslo"
    assert started[0]["version"] not in ("", None)
    assert stopped[0]["signal"] == "SIGTERM"
    assert lines[-1] == stopped[0]  # nothing after the stop line
    assert "Traceback" not in stderr.read_text()
