"""Every `fit-platform` command loads the service's own instruments folder (`FIT_INSTRUMENTS_DIR`).

Only the web app loaded it: `instruments list` left the service's forms out, `fhir questionnaire`
knew none of them, `fhir episode` dropped their answers from the Bundle, `export` had no column
for them and the scheduler process enqueued a group form named by an individual rule (it could
not tell what the form was). The commands run as an operator runs them (real processes,
production settings) with a folder holding a copy of the test fixture form, saved as the
service's own (not marked demo, so the export counts it).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Invitation, SchedulePlan, ScheduleRule, Unit
from fit_platform.domain.codes import ScheduleTrigger
from fit_platform.domain.instruments import configure_extra_dirs
from tests.support.cli import run_fit_platform
from tests.support.factories import add_appointment, add_history, make_world

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "instruments_test_only" / "gsrs.json"
OWN = "own_group_form"


@pytest.fixture
def own_folder(tmp_path: Path) -> Path:
    """A service's folder with its own group form: the fixture's items under its own id."""
    definition = json.loads(FIXTURE.read_text(encoding="utf-8"))
    definition.update(id=OWN, demo=False, contentStatus="secondary_source_unverified")
    definition["licence"]["status"] = "check_with_authors"
    folder = tmp_path / "own-instruments"
    folder.mkdir()
    (folder / f"{OWN}.json").write_text(json.dumps(definition), encoding="utf-8")
    return folder


@pytest.fixture
def loaded_here(own_folder: Path) -> Iterator[None]:
    """This test process knows the form too, to write answers to it."""
    configure_extra_dirs([own_folder])
    yield
    configure_extra_dirs([])


def _run(db: Database, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = run_fit_platform(
        db.engine.url.render_as_string(hide_password=False),
        *args,
        FIT_INSTRUMENTS_DIR=str(folder),
        FIT_PUBLIC_BASE_URL="https://fit.helse-test.no",
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def test_instruments_list_and_the_questionnaire_include_the_services_own_form(
    db: Database, own_folder: Path
) -> None:
    listed = _run(db, own_folder, "instruments", "list").stdout.splitlines()
    assert OWN in [line.split("\t")[0] for line in listed]
    assert "phq9" in [line.split("\t")[0] for line in listed]
    resource = json.loads(_run(db, own_folder, "fhir", "questionnaire", OWN, "--lang", "nb").stdout)
    assert resource["url"] == f"https://fit.helse-test.no/fhir/Questionnaire/{OWN}-nb-NO"


def test_the_episode_bundle_and_the_export_include_the_own_forms_answers(
    db: Database, own_folder: Path, loaded_here: None, tmp_path: Path
) -> None:
    world = make_world(db)
    add_history(db, world, [20])
    add_history(db, world, [30], instrument_id=OWN)
    done = _run(
        db, own_folder, "fhir", "episode", str(world.episode_id), "--as", world.therapist_username
    )
    bundle = json.loads(done.stdout)
    answered = [
        entry["resource"]["questionnaire"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "QuestionnaireResponse"
    ]
    assert len(answered) == 2 and any(OWN in url for url in answered), answered
    assert "not in the library" not in done.stderr
    target = tmp_path / "figures.csv"
    exported = _run(db, own_folder, "export", "--output", str(target))
    assert "not in the library" not in exported.stderr
    header = next(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig")), delimiter=";"))
    # The export reads the own form as a group form: it has no column of its own (a unit's mean
    # of it would be the group's figure, docs/export.md), as the shipped group forms have none.
    assert f"{OWN}_mean_score" not in header and any("phq9" in name for name in header), header


def _machine_now() -> dt.datetime:
    """The clock the scheduler process runs on (this test's clock may be moved, see conftest)."""
    done = subprocess.run(
        [sys.executable, "-c", "import time; print(time.time())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return dt.datetime.fromtimestamp(float(done.stdout), dt.UTC).replace(microsecond=0)


def test_the_scheduler_process_knows_the_own_group_form_is_not_for_individual_rules(
    db: Database, own_folder: Path
) -> None:
    world = make_world(db)
    # Due an hour ago, open for a day, with no quiet hours: due whenever the test runs.
    add_appointment(db, world, _machine_now() + dt.timedelta(hours=23))
    with db.transaction() as session:
        session.get_one(Unit, world.unit_id).quiet_from = "00:00"
        session.get_one(Unit, world.unit_id).quiet_until = "00:00"
        plan = SchedulePlan(
            name="", episode_id=world.episode_id, quiet_from="00:00", quiet_until="00:00"
        )
        session.add(plan)
        session.flush()
        for instrument_id in ("phq9", OWN):
            session.add(
                ScheduleRule(
                    plan_id=plan.id,
                    instrument_id=instrument_id,
                    trigger=ScheduleTrigger.BEFORE_APPOINTMENT,
                    offset_hours=24,
                    window_hours=24,
                )
            )
    _run(db, own_folder, "scheduler", "--once", "--no-dispatch")
    with db.session() as session:
        enqueued = session.scalars(
            select(Invitation.instrument_id).where(Invitation.episode_id == world.episode_id)
        ).all()
    # The rule naming the group form is skipped, as the web app's own checks say; the other
    # rule shows the run enqueued at all.
    assert enqueued == ["phq9"]
