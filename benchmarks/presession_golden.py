"""The pre-session view's HTML, kept so that a change made for speed can be shown to leave the
page as it was.

Run from the project root, with a database of its own (it is emptied by ``seed``):

    python benchmarks/presession_golden.py seed   --database-url URL --dir DIR
    python benchmarks/presession_golden.py render --database-url URL --dir DIR --name before
    (change the code)
    python benchmarks/presession_golden.py render --database-url URL --dir DIR --name after
    diff -r DIR/before DIR/after

``seed`` builds the benchmark's patient (``bench_presession.seed_patient_with_history``) and a
second, richer one (a resolved signal, a consent event, a failed delivery, a decision, the
patient's comments, a crisis plan saved twice, two standing choices, one of them withdrawn),
and writes the clock the pages are rendered at to ``DIR/seed.json``. ``render`` logs the
therapist in with that clock and saves, for each patient and in nb, nn and en, the
pre-session view, the page of all scores and the journal summary; CSRF tokens (new with every
login) are masked. The same code renders the same bytes twice.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from benchmarks.bench_presession import WEEKS, seed_patient_with_history
from fit_platform.app import create_app
from fit_platform.db import Base, models  # noqa: F401 - registers the tables
from fit_platform.db.session import make_engine
from fit_platform.domain.codes import ConsentEventKind
from fit_platform.domain.own_plan import ChoiceEventKind, ChoiceKind, PlanPart
from fit_platform.domain.signals import SignalCode
from fit_platform.services.comments import comment_on_result
from fit_platform.services.own_plan import change_choice, clean_plan, save_crisis_plan
from tests.support.clinical import (
    add_consent_event,
    add_decision,
    add_failed_message,
    add_goal,
    add_signal,
    add_topic,
    resolve_signal,
)
from tests.support.factories import PASSWORD, add_appointment, add_history, make_world
from tests.support.html import log_in

LANGUAGES = ("nb", "nn", "en")
# Every form's token, the own-plan forms' prefixed ones too (``own-choice-csrf_token``).
CSRF = re.compile(
    r'(name="[\w-]*csrf_token"[^>]*value=")[^"]+(")|(value=")[^"]+("[^>]*name="[\w-]*csrf_token")'
)


def _app(database_url: str, clock: dt.datetime | None = None) -> Any:
    app = create_app(
        overrides={
            "environment": "test",
            "database_url": database_url,
            "secret_key": "golden-secret-key",
            "public_base_url": "http://localhost",
            "log_level": "WARNING",
            "instance_path": Path("instance-bench"),
        }
    )
    if clock is not None:
        app.extensions["fit_clock"] = lambda: clock
    return app


def _richer_patient(db: Any, clock: dt.datetime) -> Any:
    """Everything the view can show besides the scores, with half a year of answers."""
    world = make_world(db)
    start = clock - dt.timedelta(weeks=26)
    phq = add_history(db, world, [20 - i // 2 for i in range(26)], "phq9", start=start)
    add_history(db, world, [15 - i // 3 for i in range(26)], "gad7", start=start)
    add_history(db, world, [22 + i % 5 for i in range(26)], "sai", start=start)
    for code in (SignalCode.RISK_ANSWER, SignalCode.RELIABLE_DETERIORATION):
        add_signal(db, world, code, raised_at=clock - dt.timedelta(hours=30))
    resolved = add_signal(db, world, SignalCode.NOT_ON_TRACK, raised_at=start)
    resolve_signal(
        db,
        resolved,
        at=start + dt.timedelta(days=3),
        acknowledge_note="Talked about it",
        resolve_note="Back on track",
    )
    add_goal(db, world, "Back to work <part time> & sleep")
    add_topic(db, world, "My sister's visit", at=clock - dt.timedelta(days=2))
    add_consent_event(db, world, ConsentEventKind.PAUSED, at=clock - dt.timedelta(days=40))
    add_failed_message(db, world, at=clock - dt.timedelta(days=5))
    add_decision(
        db,
        world,
        "Add group therapy",
        at=clock - dt.timedelta(days=20),
        review_on=(clock + dt.timedelta(days=30)).date(),
    )
    comment_on_result(
        db, phq[-1], world.patient_id, 'Worse week, "work" again', clock - dt.timedelta(days=1)
    )
    comment_on_result(db, phq[-2], world.patient_id, "Better", clock - dt.timedelta(days=8))
    for days, words in ((60, "Not sleeping"), (10, "Not sleeping, pacing at night")):
        plan = clean_plan({part: f"{words}: {part.value}" for part in PlanPart})
        save_crisis_plan(db, world.patient_id, plan, clock - dt.timedelta(days=days))
    change_choice(
        db,
        world.patient_id,
        clock - dt.timedelta(days=9),
        event=ChoiceEventKind.RECORDED,
        kind=ChoiceKind.MEDICATION_FREE,
        text="I want to talk about a medication-free option",
    )
    withdrawn = change_choice(
        db,
        world.patient_id,
        clock - dt.timedelta(days=8),
        event=ChoiceEventKind.RECORDED,
        kind=ChoiceKind.OTHER,
        text="No calls at work",
    )
    change_choice(
        db,
        world.patient_id,
        clock - dt.timedelta(days=7),
        event=ChoiceEventKind.WITHDRAWN,
        choice_id=withdrawn,
    )
    add_appointment(db, world, clock + dt.timedelta(hours=20))
    return world


def seed(database_url: str, directory: Path, weeks: int = WEEKS) -> None:
    engine = make_engine(database_url)
    Base.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    Base.metadata.create_all(engine)
    engine.dispose()
    clock = dt.datetime.now(dt.UTC).replace(microsecond=0)
    app = _app(database_url)
    db = app.extensions["fit_db"]
    bench = seed_patient_with_history(db, weeks)
    richer = _richer_patient(db, clock)
    db.dispose()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "seed.json").write_text(
        json.dumps(
            {
                "clock": clock.isoformat(),
                "patients": {
                    "bench": [bench.therapist_username, bench.episode_id],
                    "richer": [richer.therapist_username, richer.episode_id],
                },
            },
            indent=2,
        )
    )


def _masked(html: str) -> str:
    return CSRF.sub(lambda m: f"{m[1] or m[3]}CSRF{m[2] or m[4]}", html)


def render(database_url: str, directory: Path, name: str) -> None:
    seeded = json.loads((directory / "seed.json").read_text())
    app = _app(database_url, dt.datetime.fromisoformat(seeded["clock"]))
    out = directory / name
    out.mkdir(parents=True, exist_ok=True)
    for patient, (username, episode_id) in seeded["patients"].items():
        client = app.test_client()
        log_in(client, username, PASSWORD)
        for language in LANGUAGES:
            client.get(f"/staff/account?lang={language}")
            for page, path in (
                ("view", f"/clinician/episodes/{episode_id}"),
                ("scores", f"/clinician/episodes/{episode_id}/scores"),
                ("summary", f"/clinician/episodes/{episode_id}/summary"),
            ):
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                html = _masked(response.get_data(as_text=True))
                (out / f"{patient}-{page}-{language}.html").write_text(html)
    app.extensions["fit_db"].dispose()
    print(f"saved {len(list(out.glob('*.html')))} pages in {out}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=("seed", "render"))
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--name", default="pages", help="render: the folder the pages go to")
    parser.add_argument(
        "--weeks", type=int, default=WEEKS, help="seed: weeks of the benchmark patient's history"
    )
    args = parser.parse_args()
    if args.step == "seed":
        seed(args.database_url, args.dir, args.weeks)
    else:
        render(args.database_url, args.dir, args.name)


if __name__ == "__main__":
    main()
