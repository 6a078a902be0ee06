"""Which instruments may be scheduled, and loading a service's own instruments folder."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fit_platform.domain.instruments import (
    INSTRUMENTS_DIR,
    configure_extra_dirs,
    default_instruments,
    load_library,
    parse_definition,
)
from fit_platform.domain.schedulability import NotSchedulable, is_schedulable, why_not_schedulable


def _raw(instrument_id: str) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(
        (INSTRUMENTS_DIR / f"{instrument_id}.json").read_text(encoding="utf-8")
    )
    return raw


@pytest.fixture
def shipped_only() -> Iterator[None]:
    yield
    configure_extra_dirs([])


def test_the_sai_is_a_draft_and_cannot_be_scheduled() -> None:
    sai = default_instruments()["sai"]
    assert sai.status == "draft"
    assert why_not_schedulable(sai) is NotSchedulable.DRAFT
    assert not is_schedulable(sai)


@pytest.mark.parametrize("instrument_id", ["phq9", "gad7", "core10", "wai_sr"])
def test_active_instruments_can_be_scheduled(instrument_id: str) -> None:
    assert why_not_schedulable(default_instruments()[instrument_id]) is None


def test_a_retired_or_missing_instrument_cannot_be_scheduled() -> None:
    data = copy.deepcopy(_raw("phq9"))
    data["status"] = "retired"
    assert why_not_schedulable(parse_definition(data)) is NotSchedulable.RETIRED
    assert why_not_schedulable(None) is NotSchedulable.UNKNOWN


def test_a_bad_file_in_the_service_folder_is_reported_by_file_and_field_and_the_rest_load(
    tmp_path: Path,
) -> None:
    good = _raw("gad7")
    good["version"] = "1.1.0"
    (tmp_path / "gad7.json").write_text(json.dumps(good), encoding="utf-8")
    bad = _raw("phq9")
    bad["scoring"]["range"]["max"] = 99
    (tmp_path / "phq9.json").write_text(json.dumps(bad), encoding="utf-8")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")

    library = load_library([tmp_path])

    assert library.instruments["gad7"].version == "1.1.0"
    assert library.instruments["phq9"].version == "1.0.0"  # the shipped one stays
    problems = {(p.path, p.field) for p in library.problems}
    assert ("phq9.json", "scoring.range") in problems
    assert ("broken.json", "line 1 column 2") in problems


def test_a_missing_service_folder_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    library = load_library([tmp_path / "nowhere"])
    assert set(library.instruments) >= {"phq9", "sai"}
    (problem,) = library.problems
    assert problem.path.endswith("nowhere") and problem.field == "(directory)"


def test_the_configured_folder_is_what_the_process_runs_with(
    tmp_path: Path, shipped_only: None
) -> None:
    local = _raw("vas_demo")
    local["id"] = "vas_local"
    (tmp_path / "vas_local.json").write_text(json.dumps(local), encoding="utf-8")
    configure_extra_dirs([tmp_path])
    assert "vas_local" in default_instruments()
    configure_extra_dirs([])
    assert "vas_local" not in default_instruments()
