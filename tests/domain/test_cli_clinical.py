import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from fit_platform.cli_clinical import instruments, score_command, signals_command
from fit_platform.domain.instruments import INSTRUMENTS_DIR


def test_score_phq9_all_ones_prints_json_with_total_band_and_risk() -> None:
    r = CliRunner().invoke(score_command, ["phq9", *["1"] * 9, "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["instrument"] == "phq9" and data["scorable"] is True
    assert (data["total"], data["band"]) == (9, "mild")
    assert data["risk"] is True and data["risk_items"] == ["phq9_9"]
    assert "subscales" not in data


def test_score_accepts_the_unscored_phq9_item_10() -> None:
    r = CliRunner().invoke(score_command, ["phq9", *["0"] * 9, "2", "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["total"] == 0


def test_a_dash_marks_a_missing_answer_and_the_reason_is_given() -> None:
    r = CliRunner().invoke(score_command, ["gad7", "1", "-", "1", "1", "1", "1", "1", "--json"])
    data = json.loads(r.output)
    assert data["scorable"] is False and data["reason"] == "missing_items"
    assert data["total"] is None


def test_wai_sr_json_includes_subscales() -> None:
    r = CliRunner().invoke(score_command, ["wai_sr", *["4"] * 12, "--json"])
    assert json.loads(r.output)["subscales"]["bond"]["score"] == 16


def test_an_unknown_instrument_is_a_usage_error_without_traceback() -> None:
    r = CliRunner().invoke(score_command, ["phq99", "1"])
    assert r.exit_code == 2 and "unknown instrument 'phq99'" in r.output
    assert "Traceback" not in r.output


def test_an_out_of_range_answer_names_the_item_and_the_allowed_values() -> None:
    r = CliRunner().invoke(score_command, ["phq9", "1", "1", "4", *["1"] * 6])
    assert r.exit_code == 2 and "phq9_3" in r.output and "0, 1, 2, 3" in r.output


def test_a_wrong_number_of_answers_is_a_usage_error() -> None:
    r = CliRunner().invoke(score_command, ["gad7", "1", "1"])
    assert r.exit_code == 2 and "takes 7 answers, got 2" in r.output


def test_a_non_number_answer_is_rejected() -> None:
    r = CliRunner().invoke(score_command, ["gad7", *["x"] * 7])
    assert r.exit_code == 2 and "not a number" in r.output


def test_plain_output_shows_total_and_risk() -> None:
    r = CliRunner().invoke(score_command, ["core10", *["0"] * 5, "2", *["0"] * 4])
    assert "total 10" in r.output and "RISK: core10_6" in r.output


def test_instruments_list_names_every_instrument() -> None:
    r = CliRunner().invoke(instruments, ["list"])
    assert r.exit_code == 0
    assert [line.split("\t")[0] for line in r.output.splitlines()] == [
        "core10",
        "gad7",
        "phq9",
        "sai",
        "vas_demo",
        "wai_sr",
    ]


def test_instruments_validate_accepts_a_shipped_file() -> None:
    r = CliRunner().invoke(instruments, ["validate", str(INSTRUMENTS_DIR / "phq9.json")])
    assert r.exit_code == 0 and "ok: phq9.json defines phq9 1.0.0" in r.output


def test_instruments_validate_names_file_and_field_of_a_broken_definition(tmp_path: Path) -> None:
    data = json.loads((INSTRUMENTS_DIR / "gad7.json").read_text(encoding="utf-8"))
    del data["licence"]["status"]
    f = tmp_path / "gad7_local.json"
    f.write_text(json.dumps(data), encoding="utf-8")
    r = CliRunner().invoke(instruments, ["validate", str(f)])
    assert r.exit_code == 1 and "gad7_local.json: licence" in r.output


def test_score_and_list_see_instruments_from_a_service_directory(tmp_path: Path) -> None:
    data = json.loads((INSTRUMENTS_DIR / "vas_demo.json").read_text(encoding="utf-8"))
    data["id"] = "vas_local"
    (tmp_path / "vas_local.json").write_text(json.dumps(data), encoding="utf-8")
    r = CliRunner().invoke(
        score_command, ["vas_local", "9.5", "8", "--json", "--extra-dir", str(tmp_path)]
    )
    assert r.exit_code == 0 and json.loads(r.output)["total"] == 17.5
    r = CliRunner().invoke(instruments, ["list", "--extra-dir", str(tmp_path)])
    assert "vas_local" in r.output


def _signals(*args: str) -> list[dict[str, Any]]:
    r = CliRunner().invoke(signals_command, [*args, "--json"])
    assert r.exit_code == 0, r.output
    sessions: list[dict[str, Any]] = json.loads(r.output)["sessions"]
    return sessions


def test_signals_prints_each_session_with_its_total_and_codes() -> None:
    sessions = _signals("phq9", "12", "12", "12", "12", "12", "12")
    assert [s["session"] for s in sessions] == [1, 2, 3, 4, 5, 6]
    assert sessions[0] == {"session": 1, "total": 12, "signals": []}
    assert sessions[5]["signals"] == ["not_on_track"]


def test_signals_runs_the_alliance_rules_on_an_alliance_instrument() -> None:
    sessions = _signals("sai", "28", "27.5", "26")
    assert sessions[1]["total"] == 27.5 and sessions[2]["signals"] == ["alliance_drop"]


def test_signals_refuses_a_total_outside_the_range_without_traceback() -> None:
    r = CliRunner().invoke(signals_command, ["gad7", "8", "22"])
    assert r.exit_code == 2 and "22 is outside gad7's range 0-21" in r.output
    assert "TOTAL 2" in r.output and "Traceback" not in r.output


def test_signals_refuses_text_and_nan_as_totals() -> None:
    for bad in ("ten", "nan", "inf"):
        r = CliRunner().invoke(signals_command, ["phq9", "10", bad])
        assert r.exit_code == 2 and "is not a number" in r.output, bad


def test_signals_needs_at_least_one_total_and_a_known_instrument() -> None:
    assert CliRunner().invoke(signals_command, ["phq9"]).exit_code == 2
    r = CliRunner().invoke(signals_command, ["phq99", "3"])
    assert r.exit_code == 2 and "unknown instrument 'phq99'" in r.output


def test_signals_prints_a_plain_table_without_json() -> None:
    r = CliRunner().invoke(signals_command, ["gad7", "9", "9", "9", "9"])
    assert r.exit_code == 0
    assert r.output.splitlines()[-1] == "session 4\ttotal 9\tnot_on_track"
