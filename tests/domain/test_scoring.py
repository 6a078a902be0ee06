"""Scoring by each instrument's published rule.

Sources: PHQ-9 bands Kroenke, Spitzer & Williams 2001 (J Gen Intern Med 16:606-613);
GAD-7 bands Spitzer et al. 2006 (Arch Intern Med 166:1092-1097); CORE-10 prorating and
reverse items as in CamCOPS core10.py ("clinical score = number of questions x total score /
number of questions completed") and Barkham et al. 2013; caseness per NHS Talking Therapies.
"""

from collections.abc import Mapping

import pytest

from fit_platform.domain.instruments import Instrument
from fit_platform.domain.scoring import (
    InvalidAnswerError,
    RiskLevel,
    UnscorableReason,
    answers_from_codes,
    score,
)
from tests.domain.helpers import answers


def _total_answers(inst: Instrument, total: float) -> dict[str, float | None]:
    """Answers (in item order) summing to ``total`` on a 0-based choice scale."""
    top = max(o.value for o in inst.items[0].options)
    out = []
    for _ in inst.scored_link_ids:
        v = min(top, total)
        out.append(v)
        total -= v
    return answers(inst, *out)


@pytest.mark.parametrize(
    ("total", "band", "clinical"),
    [
        (0, "minimal", False),
        (4, "minimal", False),
        (5, "mild", False),
        (9, "mild", False),
        (10, "moderate", True),
        (14, "moderate", True),
        (15, "moderately_severe", True),
        (19, "moderately_severe", True),
        (20, "severe", True),
        (27, "severe", True),
    ],
)
def test_phq9_band_boundaries_follow_kroenke_2001(
    instruments: Mapping[str, Instrument], total: int, band: str, clinical: bool
) -> None:
    inst = instruments["phq9"]
    r = score(inst, _total_answers(inst, total))
    assert (r.total, r.band, r.clinical) == (total, band, clinical)


@pytest.mark.parametrize(
    ("total", "band", "clinical"),
    [
        (0, "minimal", False),
        (4, "minimal", False),
        (5, "mild", False),
        (7, "mild", False),
        (8, "mild", True),
        (9, "mild", True),
        (10, "moderate", True),
        (14, "moderate", True),
        (15, "severe", True),
        (21, "severe", True),
    ],
)
def test_gad7_band_boundaries_follow_spitzer_2006_and_caseness_starts_at_8(
    instruments: Mapping[str, Instrument], total: int, band: str, clinical: bool
) -> None:
    inst = instruments["gad7"]
    r = score(inst, _total_answers(inst, total))
    assert (r.total, r.band, r.clinical) == (total, band, clinical)


def _core10_with_total(inst: Instrument, total: float) -> dict[str, float | None]:
    # Items 2 and 3 are reversed: raw 4 scores 0, so start there and fill the others.
    vals: dict[str, float | None] = {x: 0.0 for x in inst.scored_link_ids}
    vals["core10_2"] = vals["core10_3"] = 4.0
    for x in inst.scored_link_ids:
        if x in ("core10_2", "core10_3"):
            continue
        v = min(4, total)
        vals[x] = v
        total -= v
    for x in ("core10_2", "core10_3"):
        v = min(4, total)
        vals[x] = 4 - v
        total -= v
    return vals


@pytest.mark.parametrize(
    ("total", "band", "clinical"),
    [
        (0, "low", False),
        (10, "low", False),
        (11, "mild", True),
        (14, "mild", True),
        (15, "moderate", True),
        (19, "moderate", True),
        (20, "moderate_to_severe", True),
        (24, "moderate_to_severe", True),
        (25, "severe", True),
        (40, "severe", True),
    ],
)
def test_core10_band_boundaries_and_cutoff_11(
    instruments: Mapping[str, Instrument], total: int, band: str, clinical: bool
) -> None:
    inst = instruments["core10"]
    r = score(inst, _core10_with_total(inst, total))
    assert (r.total, r.band, r.clinical) == (total, band, clinical)


def test_phq9_all_ones_scores_9_mild_and_flags_item_9(
    instruments: Mapping[str, Instrument],
) -> None:
    r = score(instruments["phq9"], answers(instruments["phq9"], *[1] * 9))
    assert r.total == 9 and r.band == "mild" and r.risk_level is RiskLevel.FLAG
    assert r.risk_items == ("phq9_9",)


def test_phq9_item_9_at_two_or_more_is_high_risk(instruments: Mapping[str, Instrument]) -> None:
    r = score(instruments["phq9"], answers(instruments["phq9"], *[0] * 8, 2))
    assert r.risk_level is RiskLevel.HIGH


def test_phq9_item_9_at_zero_raises_no_risk(instruments: Mapping[str, Instrument]) -> None:
    r = score(instruments["phq9"], answers(instruments["phq9"], *[3] * 8, 0))
    assert not r.risk and r.risk_items == ()


def test_phq9_item_10_does_not_count_towards_the_total(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["phq9"]
    a = answers(inst, *[1] * 9) | {"phq9_10": 3}
    assert score(inst, a).total == 9


@pytest.mark.parametrize("missing", range(1, 10))
def test_phq9_with_any_item_missing_is_not_scorable(
    instruments: Mapping[str, Instrument], missing: int
) -> None:
    inst = instruments["phq9"]
    a = answers(inst, *[2] * 9)
    a[f"phq9_{missing}"] = None
    r = score(inst, a)
    assert not r.scorable and r.total is None and r.band is None
    assert r.reason is UnscorableReason.MISSING_ITEMS


def test_phq9_item_9_flags_risk_even_when_every_other_item_is_missing(
    instruments: Mapping[str, Instrument],
) -> None:
    r = score(instruments["phq9"], {"phq9_9": 1})
    assert not r.scorable and r.risk and r.risk_items == ("phq9_9",)


@pytest.mark.parametrize("missing", range(1, 8))
def test_gad7_with_any_item_missing_is_not_scorable(
    instruments: Mapping[str, Instrument], missing: int
) -> None:
    inst = instruments["gad7"]
    a = answers(inst, *[1] * 7)
    del a[f"gad7_{missing}"]
    assert score(inst, a).reason is UnscorableReason.MISSING_ITEMS


def test_core10_reverses_items_2_and_3(instruments: Mapping[str, Instrument]) -> None:
    inst = instruments["core10"]
    # "Not at all" (raw 0) on "I have someone to turn to" scores 4.
    a = answers(inst, *[0] * 10)
    assert score(inst, a).total == 8
    a["core10_2"] = a["core10_3"] = 4
    assert score(inst, a).total == 0


@pytest.mark.parametrize("missing", range(1, 11))
def test_core10_with_one_missing_item_is_prorated_as_mean_times_ten(
    instruments: Mapping[str, Instrument], missing: int
) -> None:
    inst = instruments["core10"]
    a = answers(inst, *[3] * 10)
    a[f"core10_{missing}"] = None
    answered = [(1 if x in ("core10_2", "core10_3") else 3) for x in a if a[x] is not None]
    r = score(inst, a)
    assert r.scorable and r.prorated and r.n_missing == 1
    assert r.total == round(sum(answered) / 9 * 10, 2)


def test_core10_with_two_missing_items_is_not_scorable(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["core10"]
    a = answers(inst, *[3] * 10)
    a["core10_1"] = a["core10_9"] = None
    r = score(inst, a)
    assert not r.scorable and r.reason is UnscorableReason.TOO_MANY_MISSING_ITEMS


def test_core10_item_6_at_one_flags_risk(instruments: Mapping[str, Instrument]) -> None:
    inst = instruments["core10"]
    r = score(inst, answers(inst, *[0] * 5, 1, *[0] * 4))
    assert r.risk_items == ("core10_6",)


def test_wai_sr_scores_total_and_task_bond_goal_subscales(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["wai_sr"]
    vals = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2]
    r = score(inst, answers(inst, *vals))
    subs = {s.id: s.score for s in r.subscales}
    assert r.total == sum(vals)
    assert subs == {"task": 1 + 2 + 5 + 2, "bond": 3 + 5 + 2 + 4, "goal": 4 + 1 + 3 + 1}
    assert r.clinical is None and r.band is None


def test_wai_sr_with_a_missing_item_is_not_scorable_and_only_its_subscale_fails(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["wai_sr"]
    a = answers(inst, *[4] * 12)
    a["wai_sr_3"] = None
    r = score(inst, a)
    subs = {s.id: s for s in r.subscales}
    assert r.reason is UnscorableReason.MISSING_ITEMS
    assert subs["bond"].score is None and subs["task"].score == 16


def test_sai_needs_all_six_items(instruments: Mapping[str, Instrument]) -> None:
    inst = instruments["sai"]
    assert score(inst, answers(inst, *[5] * 6)).total == 30
    assert not score(inst, answers(inst, *[5] * 5, None)).scorable


def test_a_vas_answer_takes_one_decimal(instruments: Mapping[str, Instrument]) -> None:
    inst = instruments["vas_demo"]
    r = score(inst, {"vas_demo_1": 7.3, "vas_demo_2": 9.9})
    assert r.total == 17.2 and r.clinical is True


def test_a_vas_answer_typed_with_a_decimal_comma_reads_as_the_number(
    instruments: Mapping[str, Instrument],
) -> None:
    # A Norwegian keyboard gives 7,3; the answer page accepts it, so scoring must too.
    inst = instruments["vas_demo"]
    values = answers_from_codes(inst, {"vas_demo_1": "7,3", "vas_demo_2": " 9.9 "})
    assert values == {"vas_demo_1": 7.3, "vas_demo_2": 9.9}
    with pytest.raises(InvalidAnswerError):
        answers_from_codes(inst, {"vas_demo_1": "7,3,1"})


@pytest.mark.parametrize("value", [7.35, 10.1, -0.1])
def test_a_vas_answer_with_two_decimals_or_outside_0_to_10_is_rejected(
    instruments: Mapping[str, Instrument], value: float
) -> None:
    with pytest.raises(InvalidAnswerError):
        score(instruments["vas_demo"], {"vas_demo_1": value, "vas_demo_2": 5})


@pytest.mark.parametrize(("link_id", "value"), [("phq9_1", 4), ("phq9_1", 1.5), ("phq9_x", 1)])
def test_an_answer_outside_the_options_or_an_unknown_item_is_rejected(
    instruments: Mapping[str, Instrument], link_id: str, value: float
) -> None:
    with pytest.raises(InvalidAnswerError):
        score(instruments["phq9"], {link_id: value})


def test_answer_codes_from_a_form_map_to_values(instruments: Mapping[str, Instrument]) -> None:
    inst = instruments["core10"]
    vals = answers_from_codes(inst, {"core10_1": "3", "core10_2": ""})
    assert vals == {"core10_1": 3.0, "core10_2": None}
    with pytest.raises(InvalidAnswerError):
        answers_from_codes(inst, {"core10_1": "9"})


def test_score_result_serialises_to_plain_json_types(instruments: Mapping[str, Instrument]) -> None:
    d = score(instruments["phq9"], {"phq9_9": 2}).to_dict()
    assert d["instrument"] == "phq9" and d["instrument_version"] == "1.0.0"
    assert d["scorable"] is False and d["reason"] == "missing_items"
    assert d["risk"] is True and d["risk_level"] == "high" and d["risk_items"] == ["phq9_9"]
