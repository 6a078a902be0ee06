"""The load test's bounded CI version: 20 patients answering through their own links and 2
therapists reading while they answer, against gunicorn (two workers) and PostgreSQL on
loopback. The run ends when the last patient is through, or after 40 seconds at most. Every
request must get what a browser would get, and every answer must be in the database exactly
once. The full run and its figures: benchmarks/README.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_twenty_patients_and_two_therapists_under_load_lose_nothing(tmp_path: Path) -> None:
    figures_file = tmp_path / "figures.json"
    run = subprocess.run(
        [
            sys.executable, "benchmarks/load_test.py", "--patients", "20", "--therapists", "2",
            "--seconds", "40", "--workers", "2", "--baseline-seconds", "0",
            "--json", str(figures_file),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    figures = json.loads(figures_file.read_text())
    total = figures["rows"]["Aggregated"]
    assert total["failures"] == 0
    # Each patient: landing, start, the PHQ-9's two pages, finish; therapists: login, reading.
    assert total["requests"] >= 20 * 5
    assert figures["completed"] == figures["responses"] == 20
    assert not figures["web_crashed"]
