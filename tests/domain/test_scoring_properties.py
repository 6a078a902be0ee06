"""Properties that must hold for every shipped instrument and any answers."""

from hypothesis import given, settings
from hypothesis import strategies as st

from fit_platform.domain.instruments import Instrument, default_instruments
from fit_platform.domain.scoring import score

INSTRUMENTS = list(default_instruments().values())
Case = tuple[Instrument, dict[str, float | None]]


def _item_values(inst: Instrument, link_id: str) -> st.SearchStrategy[float]:
    it = inst.item(link_id)
    if it.vas is not None:
        return st.integers(0, int(it.vas.max * 10)).map(lambda n: n / 10)
    return st.sampled_from(sorted(o.value for o in it.options))


@st.composite
def responses(draw: st.DrawFn, complete: bool = False) -> Case:
    inst = draw(st.sampled_from(INSTRUMENTS))
    answers: dict[str, float | None] = {}
    for link_id in inst.scored_link_ids:
        # About one answer in four is left out, so every missing-item rule gets exercised.
        missing = not complete and draw(st.integers(0, 3)) == 0
        answers[link_id] = None if missing else draw(_item_values(inst, link_id))
    return inst, answers


def _scored_value(inst: Instrument, link_id: str, raw: float) -> float:
    it = inst.item(link_id)
    return it.min_value + it.max_value - raw if link_id in inst.reverse_link_ids else raw


@given(responses())
def test_a_scorable_total_always_lies_within_the_instrument_range(case: Case) -> None:
    inst, answers = case
    r = score(inst, answers)
    if r.scorable:
        assert r.total is not None and inst.score_min <= r.total <= inst.score_max
        assert r.band is not None or not inst.bands


@given(responses())
def test_a_response_is_scorable_exactly_when_missing_items_are_within_the_published_limit(
    case: Case,
) -> None:
    inst, answers = case
    n_missing = sum(1 for v in answers.values() if v is None)
    r = score(inst, answers)
    assert r.scorable == (n_missing <= inst.max_missing)
    assert r.prorated == (r.scorable and n_missing > 0)


@given(responses(complete=True))
def test_a_complete_response_totals_the_scored_values_with_reverse_items_flipped(
    case: Case,
) -> None:
    inst, answers = case
    expected = sum(_scored_value(inst, k, v) for k, v in answers.items() if v is not None)
    assert score(inst, answers).total == round(expected, 2)


@settings(max_examples=300)
@given(responses(complete=True), st.data())
def test_moving_one_answer_towards_worse_never_makes_the_score_look_better(
    case: Case, data: st.DataObject
) -> None:
    inst, answers = case
    link_id = data.draw(st.sampled_from(inst.scored_link_ids))
    it = inst.item(link_id)
    raw = answers[link_id]
    assert raw is not None
    # "Worse" in scored terms: up when higher is worse, down when higher is better; a
    # reverse-scored item moves the other way in raw terms.
    worse_up = not inst.higher_is_better
    if link_id in inst.reverse_link_ids:
        worse_up = not worse_up
    candidates = [v for v in (it.min_value, it.max_value) if (v > raw if worse_up else v < raw)]
    if not candidates:
        return
    before = score(inst, answers).total
    after = score(inst, {**answers, link_id: candidates[0]}).total
    assert before is not None and after is not None
    assert after >= before if not inst.higher_is_better else after <= before


@given(responses(complete=True), st.data())
def test_prorating_one_missing_item_stays_between_the_totals_it_could_have_had(
    case: Case, data: st.DataObject
) -> None:
    inst, answers = case
    if inst.max_missing < 1:
        return
    link_id = data.draw(st.sampled_from(inst.scored_link_ids))
    it = inst.item(link_id)
    lo = score(inst, {**answers, link_id: it.min_value}).total
    hi = score(inst, {**answers, link_id: it.max_value}).total
    prorated = score(inst, {**answers, link_id: None}).total
    assert lo is not None and hi is not None and prorated is not None
    assert min(lo, hi) - 0.01 <= prorated <= max(lo, hi) + 0.01


@given(responses())
def test_risk_is_flagged_exactly_when_a_risk_item_reaches_its_threshold(case: Case) -> None:
    inst, answers = case
    expected = tuple(
        r.link_id
        for r in inst.risk_items
        if (a := answers.get(r.link_id)) is not None and a >= r.threshold
    )
    assert score(inst, answers).risk_items == expected
