"""Machine instructions per pre-session view in one process, counted by valgrind: a figure that
does not move with the load of a shared machine, to compare two versions of the code by.

Run from the project root, on a database seeded by ``presession_golden.py seed`` (the
benchmark's patient), under valgrind's callgrind with instrumentation off at the start:

    valgrind --tool=callgrind --instr-atstart=no \\
        --callgrind-out-file=test-artifacts/callgrind.presession.%p \\
        .venv/bin/python benchmarks/count_presession_instructions.py \\
        --database-url URL --dir DIR [--requests N] [--page view|account]

Logs the benchmark patient's therapist in at the seed's clock, warms up, then switches
callgrind's instrumentation on (``callgrind_control -i on`` on its own pid) for N requests of
the page through Flask's test client, and off again. Only this process is counted (Flask, the
app, psycopg and libpq), not PostgreSQL. Divide callgrind's total (Ir) by N.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.presession_golden import _app
from tests.support.factories import PASSWORD
from tests.support.html import log_in


def _instrumentation(on: bool) -> None:
    subprocess.run(
        ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--page", choices=("view", "account"), default="view")
    parser.add_argument("--language", default="nb")
    args = parser.parse_args()

    seeded = json.loads((args.dir / "seed.json").read_text())
    app = _app(args.database_url, dt.datetime.fromisoformat(seeded["clock"]))
    username, episode_id = seeded["patients"]["bench"]
    client = app.test_client()
    log_in(client, username, PASSWORD)
    client.get(f"/staff/account?lang={args.language}")
    path = f"/clinician/episodes/{episode_id}" if args.page == "view" else "/staff/account"
    for _ in range(5):  # warm-up: templates compiled, caches filled, the pool open
        assert client.get(path).status_code == 200
    _instrumentation(True)
    statuses = [client.get(path).status_code for _ in range(args.requests)]
    _instrumentation(False)
    assert set(statuses) == {200}, set(statuses)
    app.extensions["fit_db"].dispose()
    print(f"{args.page}: {args.requests} requests counted; see callgrind's total (Ir) / requests")


if __name__ == "__main__":
    main()
