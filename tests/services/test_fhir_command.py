"""`fit-platform fhir`: the same resources as the web, with the same access rule and log."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import AccessLog
from fit_platform.domain.codes import Role
from tests.support.cli import run_fit_platform
from tests.support.factories import add_history, make_staff, make_unit, make_world
from tests.support.fhir_validation import assert_valid_r4

ROOT = Path(__file__).resolve().parents[2]


def _fit_platform(db: Database, *args: str) -> subprocess.CompletedProcess[str]:
    return run_fit_platform(
        db.engine.url.render_as_string(hide_password=False),
        "fhir",
        *args,
        FIT_PUBLIC_BASE_URL="https://fit.helse-test.no",
        FIT_FHIR_PATIENT_IDENTIFIER_SYSTEM="urn:oid:2.16.578.1.12.4.1.4.1",
    )


def test_the_command_prints_a_questionnaire_in_one_language(db: Database) -> None:
    done = _fit_platform(db, "questionnaire", "gad7", "--lang", "nn")
    assert done.returncode == 0, done.stderr
    resource = json.loads(done.stdout)
    assert_valid_r4(resource)
    assert resource["url"] == "https://fit.helse-test.no/fhir/Questionnaire/gad7-nn-NO"
    assert resource["language"] == "nn-NO"
    refused = _fit_platform(db, "questionnaire", "nope")
    assert refused.returncode != 0 and "No instrument 'nope'" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_episode_bundle_follows_the_readers_access_and_is_logged(
    db: Database, tmp_path: Path
) -> None:
    world = make_world(db)
    add_history(db, world, [20, 15])
    outsider = make_staff(db, (Role.THERAPIST, make_unit(db).id))
    refused = _fit_platform(db, "episode", str(world.episode_id), "--as", outsider.username)
    assert refused.returncode != 0
    assert f"No episode {world.episode_id} that" in refused.stderr
    target = tmp_path / "bundle.json"
    done = _fit_platform(
        db,
        *("episode", str(world.episode_id), "--as", world.therapist_username),
        *("--output", str(target)),
    )
    assert done.returncode == 0, done.stderr
    bundle = json.loads(target.read_text(encoding="utf-8"))
    assert_valid_r4(bundle)
    assert len(bundle["entry"]) == 4
    with db.session() as session:
        rows = session.execute(
            select(AccessLog.staff_id, AccessLog.action).where(
                AccessLog.patient_id == world.patient_id
            )
        ).all()
    assert [tuple(row) for row in rows] == [(world.therapist_id, "fhir_export")]
