"""Load test: patients answering and therapists reading, against the production processes.

Run from the project root (the full version, about two minutes; see benchmarks/README.md):

    .venv/bin/python benchmarks/load_test.py --patients 200 --therapists 20 --seconds 60

(on a shared machine, under `flock` with the lock every benchmark run takes).

What it does:
1. starts a private PostgreSQL on loopback, runs the guide's `fit-platform db upgrade`, and
   starts the guide's `gunicorn wsgi:app` with production settings, `FIT_WEB_WORKERS`
   workers and `FIT_RATELIMIT_ENABLED=false` (every simulated user comes from 127.0.0.1);
2. seeds one unit, the therapists, and for each patient an episode with four earlier PHQ-9
   scores (so the pre-session view draws its chart) and one open invitation with its own link;
3. runs locust headless (benchmarks/locustfile.py) for at most `--seconds`: every patient
   answers the PHQ-9 once through its link, every therapist logs in and reads caseload and
   pre-session views until the time is up;
4. prints requests/s, p50/p95/p99 and failures per request name and in total, and checks
   the database: every patient's answer is there, once. Exits 1 on any failure or a missing
   answer. `--json FILE` writes the figures for a test to read.

The baseline printed beside the figures is the same gunicorn answering `/healthz` (no
database, no template) under the same number of users, measured in the same run.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from fit_platform.db import Database  # noqa: E402
from fit_platform.db.models import Invitation, Response  # noqa: E402
from fit_platform.domain.codes import InvitationState, ResponseStatus, Role  # noqa: E402
from fit_platform.domain.instruments import default_instruments  # noqa: E402
from fit_platform.services.answering import page_plan  # noqa: E402
from tests.support.factories import (  # noqa: E402
    PASSWORD,
    add_history,
    make_invitation,
    make_staff,
    make_unit,
    make_world,
)
from tests.support.postgres import private_postgres  # noqa: E402
from tests.support.production_stack import production_stack, wait_until_ready  # noqa: E402


def seed(database_url: str, patients: int, therapists: int) -> tuple[dict[str, Any], list[int]]:
    """The plan for the locustfile (links, logins, pages) and the seeded invitation ids."""
    db = Database(database_url)
    now = dt.datetime.now(dt.UTC)
    unit = make_unit(db)
    staff = [make_staff(db, (Role.THERAPIST, unit.id)) for _ in range(therapists)]
    episodes: dict[str, list[int]] = {member.username: [] for member in staff}
    links, invitation_ids = [], []
    for n in range(patients):
        therapist = staff[n % therapists]
        world = make_world(db, unit=unit, therapist=therapist)
        add_history(db, world, [20, 17, 15, 13], start=now - dt.timedelta(weeks=5))
        invitation, token = make_invitation(
            db, world, "phq9", due_at=now - dt.timedelta(hours=1), window=dt.timedelta(hours=48)
        )
        episodes[therapist.username].append(world.episode_id)
        links.append(f"/p/{token}")
        invitation_ids.append(invitation.id)
    db.dispose()
    plan = {
        "links": links,
        "therapists": [
            {"username": name, "password": PASSWORD, "episodes": ids}
            for name, ids in episodes.items()
        ],
        "pages": page_plan(default_instruments()["phq9"]),
        "risk_items": {
            risk.link_id: risk.threshold for risk in default_instruments()["phq9"].risk_items
        },
    }
    return plan, invitation_ids


def answers_saved(database_url: str, invitation_ids: list[int]) -> tuple[int, int]:
    """(completed invitations, submitted responses) among the seeded invitations."""
    db = Database(database_url)
    with db.session() as session:
        completed = session.scalar(
            select(func.count())
            .select_from(Invitation)
            .where(Invitation.id.in_(invitation_ids), Invitation.state == InvitationState.COMPLETED)
        )
        responses = session.scalar(
            select(func.count())
            .select_from(Response)
            .where(
                Response.invitation_id.in_(invitation_ids),
                Response.status == ResponseStatus.SUBMITTED,
            )
        )
    db.dispose()
    return int(completed or 0), int(responses or 0)


def run_locust(
    base_url: str,
    locustfile: Path,
    users: int,
    seconds: int,
    workdir: Path,
    name: str,
    plan: Path,
    extra: list[str] | None = None,
) -> dict[str, dict[str, float]]:
    """Run locust headless; return its stats rows by request name ("Aggregated" = total)."""
    prefix = workdir / name
    command = [
        sys.executable, "-m", "locust", "-f", str(locustfile), "--headless",
        "--host", base_url, "--users", str(users), "--spawn-rate", str(max(users // 2, 1)),
        "--run-time", f"{seconds}s", "--stop-timeout", "10", "--csv", str(prefix),
        "--only-summary", "--loglevel", "WARNING", *(extra or []),
    ]  # fmt: skip
    subprocess.run(
        command,
        env={**_env_without_fit(), "FIT_LOAD_PLAN": str(plan)},
        cwd=ROOT,
        check=False,
        timeout=seconds + 120,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / f"{name}.err").open("w"),
    )
    rows: dict[str, dict[str, float]] = {}
    with open(f"{prefix}_stats.csv") as stats:
        for row in csv.DictReader(stats):
            rows[row["Name"]] = {
                "requests": float(row["Request Count"]),
                "failures": float(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": _number(row["50%"]),
                "p95": _number(row["95%"]),
                "p99": _number(row["99%"]),
            }
    return rows


def _number(cell: str) -> float:
    return float(cell) if cell not in ("", "N/A") else 0.0


def _env_without_fit() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("FIT_")}


BASELINE_LOCUSTFILE = """
from locust import HttpUser, between, task

class Probe(HttpUser):
    wait_time = between(0.2, 1.0)

    @task
    def healthz(self):
        self.client.get("/healthz")
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--therapists", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60, help="upper bound of the run")
    parser.add_argument("--workers", type=int, default=4, help="FIT_WEB_WORKERS")
    parser.add_argument("--baseline-seconds", type=int, default=15)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fit-load.") as tmp, private_postgres() as postgres:
        workdir = Path(tmp)
        with production_stack(
            postgres.url,
            workdir,
            at=None,
            FIT_RATELIMIT_ENABLED="false",
            FIT_WEB_WORKERS=str(args.workers),
        ) as stack:
            stack.run("migrate")
            web = stack.start("web")
            started = time.monotonic()
            plan, invitation_ids = seed(postgres.url, args.patients, args.therapists)
            seeded_in = time.monotonic() - started
            plan_file = workdir / "plan.json"
            plan_file.write_text(json.dumps(plan))
            wait_until_ready(stack.base_url, web)

            users = args.patients + args.therapists
            rows = run_locust(
                stack.base_url, ROOT / "benchmarks/locustfile.py", users, args.seconds,
                workdir, "load", plan_file,
            )  # fmt: skip
            completed, responses = answers_saved(postgres.url, invitation_ids)
            errors = (workdir / "load.err").read_text()
            baseline_file = workdir / "baseline_locustfile.py"
            baseline_file.write_text(BASELINE_LOCUSTFILE)
            baseline = (
                run_locust(
                    stack.base_url,
                    baseline_file,
                    users,
                    args.baseline_seconds,
                    workdir,
                    "baseline",
                    plan_file,
                )
                if args.baseline_seconds
                else {}
            )
            crashed = web.popen.poll() is not None
            # What the server logged of a failed request (its traceback is in the ERROR line),
            # read before the work folder goes: a 500 is otherwise only a count.
            server_errors = [
                line
                for line in web.log.read_text(errors="replace").splitlines()
                if '"ERROR"' in line
            ]

    total = rows["Aggregated"]
    print(
        f"load test: {args.patients} patients, {args.therapists} therapists, "
        f"{args.workers} gunicorn workers, PostgreSQL on loopback, run time <= {args.seconds} s "
        f"(seeded in {seeded_in:.1f} s)"
    )
    print(f"{'request':34} {'count':>7} {'fail':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6}")
    for name, row in sorted(rows.items(), key=lambda item: item[0] == "Aggregated"):
        print(
            f"{name:34} {row['requests']:7.0f} {row['failures']:5.0f} {row['rps']:7.1f} "
            f"{row['p50']:6.0f} {row['p95']:6.0f} {row['p99']:6.0f}"
        )
    base = baseline.get("Aggregated")
    if base:
        print(
            f"{'baseline: GET /healthz, same users':34} {base['requests']:7.0f} "
            f"{base['failures']:5.0f} {base['rps']:7.1f} {base['p50']:6.0f} "
            f"{base['p95']:6.0f} {base['p99']:6.0f}"
        )
    print("(latencies in ms)")
    print(
        f"answers in the database: {completed} completed invitations, "
        f"{responses} submitted responses, of {args.patients} patients"
    )
    figures = {
        "patients": args.patients,
        "therapists": args.therapists,
        "workers": args.workers,
        "rows": rows,
        "baseline": base,
        "completed": completed,
        "responses": responses,
        "web_crashed": crashed,
    }
    if total["failures"] or completed != args.patients:
        print("locust's errors:\n" + errors[-5000:])
        print("the server's errors:\n" + "\n".join(server_errors[-5:])[-5000:])
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    ok = total["failures"] == 0 and completed == responses == args.patients and not crashed
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
