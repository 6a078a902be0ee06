import copy
import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from fit_platform.domain.instruments import (
    INSTRUMENTS_DIR,
    Instrument,
    InstrumentDefinitionError,
    Kind,
    parse_definition,
)


def _raw(instrument_id: str) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(
        (INSTRUMENTS_DIR / f"{instrument_id}.json").read_text(encoding="utf-8")
    )
    return raw


def _fails_at(instrument_id: str, mutate: Callable[[dict[str, Any]], object]) -> str:
    data = copy.deepcopy(_raw(instrument_id))
    mutate(data)
    with pytest.raises(InstrumentDefinitionError) as exc:
        parse_definition(data, f"{instrument_id}.json")
    return exc.value.field


def test_every_outcome_instrument_has_a_not_on_track_rule_with_its_source(
    instruments: Mapping[str, Instrument],
) -> None:
    for inst in instruments.values():
        if inst.kind is Kind.OUTCOME:
            rule = inst.not_on_track
            assert rule is not None and rule.min_sessions <= rule.by_session
            assert rule.validated is False and "not validated" in rule.source


def test_every_alliance_instrument_has_alliance_rules_marked_not_validated(
    instruments: Mapping[str, Instrument],
) -> None:
    for inst in instruments.values():
        if inst.kind is Kind.ALLIANCE:
            assert inst.alliance_rules is not None and inst.alliance_rules.validated is False


def test_session_n_before_the_minimum_session_is_refused() -> None:
    field = _fails_at("phq9", lambda d: d["scoring"]["notOnTrack"].update(bySession=2))
    assert field == "scoring.notOnTrack.bySession"


def test_a_not_on_track_rule_needs_a_reliable_change_threshold() -> None:
    field = _fails_at("phq9", lambda d: d["scoring"].pop("reliableChange"))
    assert field == "scoring.notOnTrack"


def test_alliance_rules_on_an_outcome_instrument_are_refused() -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["scoring"]["allianceRules"] = copy.deepcopy(_raw("sai")["scoring"]["allianceRules"])

    assert _fails_at("phq9", mutate) == "scoring.allianceRules"


def test_alliance_rules_and_the_older_alliance_drop_together_are_refused() -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["scoring"]["allianceDrop"] = {"threshold": 1, "source": "x"}

    assert _fails_at("sai", mutate) == "scoring.allianceDrop"


def test_a_fraction_of_the_range_of_one_or_more_is_refused_by_the_schema() -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["scoring"]["allianceRules"]["dropFromPrevious"]["fractionOfRange"] = 1.5

    assert _fails_at("sai", mutate).startswith("scoring.allianceRules.dropFromPrevious")


def test_a_service_file_with_the_older_alliance_drop_in_points_still_loads() -> None:
    # A licensed SRS file written for the earlier format: 1 point from the previous session.
    data = copy.deepcopy(_raw("vas_demo"))
    del data["scoring"]["allianceRules"]
    data["scoring"]["allianceDrop"] = {"threshold": 1, "source": "OpenFIT", "validated": True}
    inst = parse_definition(data, "srs.json")
    assert inst.alliance_drop is not None and inst.alliance_rules is not None
    assert inst.alliance_drop.threshold == 1 and inst.alliance_rules.drop_from_previous == 1
    assert inst.alliance_rules.drop_from_running is None and inst.alliance_rules.low_below is None
