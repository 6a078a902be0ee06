"""The patient pages' benchmark still runs from start to end, briefly: gunicorn with the
production settings and `gunicorn.conf.py`, PostgreSQL, wrk. It measures the goal of issue 15
(each patient page against a bare Flask hello, benchmarks/README.md), and it once stopped
after all its pages with "did not start" when `gunicorn.conf.py` began to check the production
settings: its last server, the hello behind that file, was given none. The figures of so short a
run say nothing; that every row is there, and that no page answered with an error, does."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROWS = (
    "landing GET /p/<token>",
    "answer page GET /p/answer/1",
    "page save POST /p/answer/1",
    "baseline: Flask hello GET / (mean)",
    "reference: hello, gunicorn.conf.py",
)


def test_the_patient_pages_benchmark_runs_to_the_end_without_an_error_response() -> None:
    run = subprocess.run(
        [
            sys.executable, "benchmarks/bench_patient_pages.py",
            "--seconds", "1", "--warm-up", "1", "--patients", "20", "--connections", "4",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    lines = run.stdout.splitlines()
    for name in ROWS:
        (row,) = [line for line in lines if line.startswith(name)]
        # name, req/s, share of hello, p50, p90, p99, non-2xx/3xx, ...
        figures = re.split(r"\s{2,}", row[len(name) :].strip())
        assert float(figures[0]) > 0, row
        assert figures[5] == "0", row
    assert re.search(r"peak RSS of the web workers after \d+ patient requests: \d+ MiB", run.stdout)
