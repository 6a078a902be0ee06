"""Where a gunicorn web worker's CPU goes while wrk loads one patient page.

Run from the project root (wrk must be installed):
``python benchmarks/profile_patient_worker.py [--page landing|answer|save] [--seconds S]``.

The in-process figures (`time_patient_pages.py`) leave out the server: gunicorn's sync worker
(a new connection per request: accept, parse, write, close), the JSON access line and the
kernel. Here the real app runs as in ``bench_patient_pages.py`` (2 sync workers, the project's
``gunicorn.conf.py``), each worker with a CPU-time cProfile switched on after its first
requests (``benchmarks/gunicorn_profile_patient.conf.py``); after the run the workers'
profiles are merged and the CPU is shown by package (the app, Flask and Werkzeug, gunicorn,
the database driver, logging, ...) and by function. The profiler inflates many small calls,
so read the shares, not the milliseconds.
"""

from __future__ import annotations

import argparse
import pstats
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_patient_pages import (  # noqa: E402
    _children,
    gunicorn,
    lua_answer_get,
    lua_answer_post,
    lua_landing,
    open_links,
    run_wrk,
    server_env,
    setup_invitations,
)

PACKAGES = (
    ("fit_platform/", "the app (fit_platform)"),
    ("/gunicorn/", "gunicorn"),
    ("/flask/", "Flask"),
    ("/werkzeug/", "Werkzeug"),
    ("/flask_wtf/", "Flask-WTF"),
    ("/wtforms/", "WTForms"),
    ("/flask_babel/", "Flask-Babel / Babel"),
    ("/babel/", "Flask-Babel / Babel"),
    ("/jinja2/", "Jinja"),
    ("/markupsafe/", "Jinja"),
    ("/psycopg/", "psycopg"),
    ("/sqlalchemy/", "SQLAlchemy"),
    ("/cryptography/", "cryptography (session cookie)"),
    ("/itsdangerous/", "itsdangerous"),
    ("/prometheus_client/", "prometheus_client"),
    ("/logging/", "logging"),
    ("/json/", "json"),
)


def _package(filename: str) -> str:
    for marker, name in PACKAGES:
        if marker in filename:
            return name
    if filename.startswith("~") or filename == "":
        return "built-ins (socket, select, hashing, ...)"
    return "standard library, other"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--page", choices=("landing", "answer", "save"), default="save")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--dump", help="also write the merged profile to this file")
    args = parser.parse_args()

    from tests.support.postgres import throwaway_postgres

    with throwaway_postgres() as database_url, tempfile.TemporaryDirectory() as directory:
        tokens = setup_invitations(database_url, args.patients)
        env = {**server_env(database_url), "FIT_WORKER_PROFILE_DIR": directory}
        config = "benchmarks/gunicorn_profile_patient.conf.py"
        with gunicorn("wsgi:app", env, config) as (url, master):
            sessions = open_links(url, tokens)
            script = {
                "landing": lambda: lua_landing(tokens),
                "answer": lambda: lua_answer_get(sessions),
                "save": lambda: lua_answer_post(sessions),
            }[args.page]()
            run_wrk(url, script, 2, 8)  # warm-up (the profile starts during it)
            figures = run_wrk(url, script, args.seconds, 8, _children(master))
        profiles = sorted(Path(directory).glob("worker-*.prof"))
        if not profiles:
            sys.exit("no worker profile was written")
        stats = pstats.Stats(*(str(p) for p in profiles))
        if args.dump:
            stats.dump_stats(args.dump)

    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    by_package: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), row in stats.stats.items():  # type: ignore[attr-defined]
        by_package[_package(filename)] += row[2]
    print(
        f"{args.page}: {figures['rps']:.0f} req/s, {figures['cpu_ms']:.2f} ms of worker CPU per"
        f" request with the profiler on; {len(profiles)} worker profiles, own CPU by package:"
    )
    for name, seconds in sorted(by_package.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds / total:6.1%}  {name}")
    if args.top:
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
