"""The benchmarks of the patient pages still run from start to end, briefly: gunicorn with the
production settings and `gunicorn.conf.py`, PostgreSQL, wrk. They measure the goal of issue 15
(each patient page against a bare Flask hello, benchmarks/README.md), and both had stopped
working unnoticed: `bench_patient_pages.py` ended after all its pages with "did not start" once
`gunicorn.conf.py` checked the production settings (its last server, the hello behind that
file, was given none), and every rung of `bench_save_floor.py` from the session cookie up
answered with an error once the session kept the link with its generation. The figures of so
short a run say nothing; that every row is there, and that no request got an error, does."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = (
    "landing GET /p/<token>",
    "answer page GET /p/answer/1",
    "page save POST /p/answer/1",
    "baseline: Flask hello GET / (mean)",
    "reference: hello, gunicorn.conf.py",
)


def _run(*args: str) -> str:
    run = subprocess.run(
        [sys.executable, *args, "--seconds", "1", "--warm-up", "0", "--patients", "20"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    return run.stdout


def test_the_patient_pages_benchmark_runs_to_the_end_without_an_error_response() -> None:
    output = _run("benchmarks/bench_patient_pages.py", "--connections", "4")
    lines = output.splitlines()
    for name in PAGES:
        (row,) = [line for line in lines if line.startswith(name)]
        # name, req/s, share of hello, p50, p90, p99, non-2xx/3xx, ...
        figures = re.split(r"\s{2,}", row[len(name) :].strip())
        assert float(figures[0]) > 0, row
        assert figures[5] == "0", row
    assert re.search(r"peak RSS of the web workers after \d+ patient requests: \d+ MiB", output)


@pytest.mark.parametrize("page", ["save", "answer"])
def test_the_floor_runs_its_lowest_and_top_rungs_without_an_error_response(page: str) -> None:
    # The lowest rung takes the link (and for the save the session generation) from its URL,
    # not the session; the top rung has every piece of the real page but the app's own set-up
    # (session cookie, form, CSRF, rules, locale, logs, hooks, headers, access line). A rung
    # whose statement finds no link it may use answers 409, which shows here as an error.
    output = _run("benchmarks/bench_save_floor.py", "--page", page, "--rungs", "sql,accesslog")
    for rung in ("sql", "accesslog"):
        (row,) = [line for line in output.splitlines() if re.match(rf"\s*\d+ {rung}\s", line)]
        # number, name, req/s, share of hello, p50, non-2xx/3xx, ...
        figures = row.split()
        assert float(figures[2]) > 0, row
        assert figures[5] == "0", row
