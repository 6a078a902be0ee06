"""Machine instructions per page save in one process, counted by valgrind: a figure that does
not move with the load of a shared machine, to compare two versions of the code by.

Run from the project root, under valgrind's callgrind with instrumentation off at the start:

    valgrind --tool=callgrind --instr-atstart=no \\
        --callgrind-out-file=test-artifacts/callgrind.save.%p \\
        .venv/bin/python benchmarks/count_save_instructions.py [--requests N] [--page save]

Uses a throwaway PostgreSQL (or FIT_TEST_DATABASE_URL, emptied) and the benchmark server's
production settings (``bench_patient_pages.production_app_in_process``), opens one link, warms
up, then switches callgrind's instrumentation on (``callgrind_control -i on`` on its own pid),
calls the application's WSGI entry point N times with the save of the PHQ-9's first page
(answers alternating, so rows change; the answer page's GET with ``--page answer``), switches
it off and prints the instruction count per request. Only this process is counted: the web
worker's side (Flask, the app, psycopg and libpq), not PostgreSQL's and not gunicorn's. Under
valgrind the process runs some fifty times slower; a few hundred requests are enough, since
the count per request varies by well under one per cent between runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_patient_pages import (  # noqa: E402
    production_app_in_process,
    setup_invitations,
)
from benchmarks.time_patient_pages import (  # noqa: E402
    Environ,
    call,
    environ,
    started_patient,
)


def _instrumentation(on: bool) -> None:
    subprocess.run(
        ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--page", choices=("save", "answer", "landing"), default="save")
    args = parser.parse_args()

    from tests.support.postgres import throwaway_postgres

    with throwaway_postgres() as url:
        tokens = setup_invitations(url, 20)
        app = production_app_in_process(url)
        cookie, save = started_patient(app, tokens[0])

        makers: dict[str, Callable[[int], Environ]] = {
            "save": save,
            "answer": lambda _i: environ("GET", "/p/answer/1", cookie),
            # A different link on each request, as bench_patient_pages.py's landing does.
            "landing": lambda i: environ("GET", f"/p/{tokens[1 + i % (len(tokens) - 1)]}"),
        }
        make = makers[args.page]
        expected = "302" if args.page == "save" else "200"
        for i in range(50):  # warm-up: caches filled, answers inserted
            status, _h, _b = call(app, make(i))
            assert status.startswith(expected), status
        requests = [make(i) for i in range(args.requests)]
        _instrumentation(True)
        results: list[Any] = [call(app, request)[0] for request in requests]
        _instrumentation(False)
    assert all(status.startswith(expected) for status in results), set(results)
    print(f"{args.page}: {args.requests} requests counted; see callgrind's total (Ir) / requests")


if __name__ == "__main__":
    main()
