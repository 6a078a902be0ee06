from collections.abc import Iterable, Mapping, Sequence

import pytest

from fit_platform.domain.expected_recovery import ExpectedBand, ExpectedModel
from fit_platform.domain.instruments import Instrument
from fit_platform.domain.scoring import score
from fit_platform.domain.signals import (
    SIGNAL_RULES,
    HistoryEntry,
    InvitationOutcome,
    Severity,
    Signal,
    SignalCode,
    SignalSettings,
    evaluate_signals,
    missed_answers_signal,
)
from tests.domain.helpers import answers

E, C, X = InvitationOutcome.EXPIRED, InvitationOutcome.COMPLETED, InvitationOutcome.CANCELLED


def _phq(inst: Instrument, total: int, item9: int = 0, session: int | None = None) -> HistoryEntry:
    vals = [0] * 9
    vals[8] = item9
    rest = total - item9
    for i in range(8):
        vals[i] = min(3, rest)
        rest -= vals[i]
    return HistoryEntry(score(inst, answers(inst, *vals)), session)


def _codes(signals: Iterable[Signal]) -> list[SignalCode]:
    return [s.code for s in signals]


def test_the_signal_table_has_one_row_per_code_with_a_severity() -> None:
    assert [r.code for r in SIGNAL_RULES] == list(SignalCode)
    assert all(r.severity in Severity for r in SIGNAL_RULES)


def test_a_risk_answer_raises_a_high_signal_with_the_item(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["phq9"]
    sig = evaluate_signals(inst, [_phq(inst, 5, item9=1, session=1)])
    assert _codes(sig) == [SignalCode.RISK_ANSWER]
    assert sig[0].severity is Severity.HIGH and sig[0].link_ids == ("phq9_9",)


def test_a_risk_answer_in_an_unscorable_response_still_raises_the_signal(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["phq9"]
    history = [_phq(inst, 10, session=1), HistoryEntry(score(inst, {"phq9_9": 3}), 2)]
    assert _codes(evaluate_signals(inst, history)) == [SignalCode.RISK_ANSWER]


def test_reliable_deterioration_against_the_first_score(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["phq9"]
    history = [_phq(inst, 10, session=1), _phq(inst, 13, session=2), _phq(inst, 16, session=3)]
    sig = [
        s for s in evaluate_signals(inst, history) if s.code is SignalCode.RELIABLE_DETERIORATION
    ]
    assert len(sig) == 1 and sig[0].compared_with == "first" and sig[0].reference == 10


def test_reliable_deterioration_against_the_previous_score(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["phq9"]
    history = [_phq(inst, 20, session=1), _phq(inst, 8, session=2), _phq(inst, 14, session=3)]
    sig = [
        s for s in evaluate_signals(inst, history) if s.code is SignalCode.RELIABLE_DETERIORATION
    ]
    assert sig[0].compared_with == "previous" and sig[0].threshold == 6


def test_a_rise_just_below_the_threshold_raises_no_deterioration(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["phq9"]
    history = [_phq(inst, 10, session=1), _phq(inst, 15, session=2)]
    assert SignalCode.RELIABLE_DETERIORATION not in _codes(evaluate_signals(inst, history))


def _not_on_track(
    inst: Instrument, history: Sequence[HistoryEntry], model: ExpectedModel | None = None
) -> list[Signal]:
    signals = evaluate_signals(inst, history, model=model)
    return [s for s in signals if s.code is SignalCode.NOT_ON_TRACK]


def test_not_on_track_when_still_at_caseness_without_reliable_improvement_by_session_n(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["phq9"]
    assert inst.not_on_track is not None
    assert inst.not_on_track.by_session == 6
    history = [_phq(inst, 11, session=1), _phq(inst, 10, session=6)]
    sig = _not_on_track(inst, history)
    assert sig and sig[0].compared_with == "no_reliable_improvement"
    assert (sig[0].value, sig[0].reference, sig[0].threshold) == (10, 11, 6)


def test_not_on_track_waits_for_session_n(instruments: Mapping[str, Instrument]) -> None:
    inst = instruments["phq9"]
    assert _not_on_track(inst, [_phq(inst, 20, session=1), _phq(inst, 20, session=5)]) == []


def test_a_reliable_improvement_is_on_track_even_above_caseness(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["phq9"]
    assert _not_on_track(inst, [_phq(inst, 24, session=1), _phq(inst, 18, session=6)]) == []


def test_a_score_below_caseness_is_on_track(instruments: Mapping[str, Instrument]) -> None:
    inst = instruments["phq9"]
    assert _not_on_track(inst, [_phq(inst, 12, session=1), _phq(inst, 9, session=6)]) == []


def test_sessions_count_from_the_first_scorable_response(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["phq9"]
    unscorable = HistoryEntry(score(inst, {"phq9_1": 3}), 1)
    history = [unscorable, _phq(inst, 15, session=2), _phq(inst, 15, session=6)]
    assert _not_on_track(inst, history) == []
    assert _not_on_track(inst, [*history, _phq(inst, 15, session=7)])


class _Tight:
    def band(self, intake: float, session: int) -> ExpectedBand | None:
        return ExpectedBand(session, 10, 9, 11, "service_percentiles", True)


def test_not_on_track_uses_a_service_percentile_band_where_one_exists(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["phq9"]
    history = [_phq(inst, 20, session=1), _phq(inst, 12, session=3)]
    sig = _not_on_track(inst, history, model=_Tight())
    assert sig and sig[0].compared_with == "service_percentiles" and sig[0].threshold == 11


def test_a_service_band_cannot_fire_before_the_minimum_session(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["phq9"]
    assert inst.not_on_track is not None
    assert inst.not_on_track.min_sessions == 3
    history = [_phq(inst, 20, session=1), _phq(inst, 19, session=2)]
    assert _not_on_track(inst, history, model=_Tight()) == []


def test_without_a_service_band_for_the_cell_the_rule_of_the_file_applies(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["phq9"]

    class Empty:
        def band(self, intake: float, session: int) -> ExpectedBand | None:
            return None

    history = [_phq(inst, 15, session=1), _phq(inst, 15, session=6)]
    assert _not_on_track(inst, history, model=Empty())[0].compared_with == (
        "no_reliable_improvement"
    )


def _phq_blank9(inst: Instrument, others: Sequence[int | None], session: int) -> HistoryEntry:
    vals = [*others, None]
    return HistoryEntry(score(inst, answers(inst, *vals)), session)


def test_a_blank_phq9_item_9_on_an_answered_form_raises_risk_not_assessed(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["phq9"]
    history = [_phq(inst, 12, session=1), _phq_blank9(inst, [2] * 8, 2)]
    sig = evaluate_signals(inst, history)
    assert _codes(sig) == [SignalCode.RISK_NOT_ASSESSED]
    assert sig[0].link_ids == ("phq9_9",) and sig[0].severity is Severity.MEDIUM


def test_a_wholly_blank_form_does_not_raise_risk_not_assessed(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["phq9"]
    assert evaluate_signals(inst, [_phq_blank9(inst, [None] * 8, 1)]) == ()


def test_core10_prorates_a_blank_item_6_but_still_says_risk_was_not_assessed(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["core10"]
    vals: list[int | None] = [2] * 10
    vals[5] = None
    result = score(inst, answers(inst, *vals))
    assert result.scorable and result.prorated
    assert _codes(evaluate_signals(inst, [HistoryEntry(result, 1)])) == [
        SignalCode.RISK_NOT_ASSESSED
    ]


def test_a_risk_item_answered_zero_is_assessed(instruments: Mapping[str, Instrument]) -> None:
    inst = instruments["phq9"]
    assert evaluate_signals(inst, [_phq(inst, 12, session=1)]) == ()


def _alliance(inst: Instrument, *totals: float) -> list[HistoryEntry]:
    out = []
    for t in totals:
        a = {"vas_demo_1": t / 2, "vas_demo_2": t / 2}
        out.append(HistoryEntry(score(inst, a)))
    return out


def test_alliance_below_the_cutoff_raises_alliance_low(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["vas_demo"]
    assert _codes(evaluate_signals(inst, _alliance(inst, 17))) == [SignalCode.ALLIANCE_LOW]


def test_a_drop_near_the_ceiling_raises_alliance_drop_without_crossing_the_cutoff(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["vas_demo"]
    sig = evaluate_signals(inst, _alliance(inst, 19.8, 19.2))
    assert _codes(sig) == [SignalCode.ALLIANCE_DROP]
    assert sig[0].reference == 19.8 and sig[0].threshold == 0.5


def test_a_small_dip_below_the_drop_threshold_raises_nothing(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["vas_demo"]
    assert evaluate_signals(inst, _alliance(inst, 19.8, 19.4)) == ()


def _wai(inst: Instrument, *totals: float) -> list[HistoryEntry]:
    out = []
    for t in totals:
        # Twelve items of 1-5: spread the total as evenly as the answers allow.
        base, extra = divmod(int(t), 12)
        vals = [base + 1] * extra + [base] * (12 - extra)
        out.append(HistoryEntry(score(inst, answers(inst, *vals))))
    return out


def test_wai_sr_drop_of_two_points_from_the_previous_total_raises_alliance_drop(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["wai_sr"]
    sig = evaluate_signals(inst, _wai(inst, 60, 58))
    assert _codes(sig) == [SignalCode.ALLIANCE_DROP]
    assert sig[0].compared_with == "previous" and sig[0].threshold == 1.2


def test_a_slow_wai_sr_slide_is_caught_against_the_patients_running_median(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["wai_sr"]
    assert evaluate_signals(inst, _wai(inst, 60, 59, 58, 57)) == ()
    sig = evaluate_signals(inst, _wai(inst, 60, 59, 58, 57, 56))
    assert _codes(sig) == [SignalCode.ALLIANCE_DROP]
    assert sig[0].compared_with == "running_median" and sig[0].reference == 58.5


def test_alliance_thresholds_are_shares_of_the_range(instruments: Mapping[str, Instrument]) -> None:
    for inst_id in ("wai_sr", "sai", "vas_demo"):
        inst = instruments[inst_id]
        span = inst.score_max - inst.score_min
        rules = inst.alliance_rules
        assert rules is not None and inst.alliance_drop is not None
        assert rules.drop_from_previous == pytest.approx(0.025 * span, abs=0.01)
        assert rules.drop_from_running == pytest.approx(0.05 * span, abs=0.01)
        assert inst.alliance_drop.threshold == rules.drop_from_previous


def test_two_sai_totals_in_a_row_below_mid_scale_raise_persistently_low(
    instruments: Mapping[str, Instrument],
) -> None:
    inst = instruments["sai"]

    def sai(total: int) -> HistoryEntry:
        base, extra = divmod(total, 6)
        vals = [base + 1] * extra + [base] * (6 - extra)
        return HistoryEntry(score(inst, answers(inst, *vals)))

    assert SignalCode.ALLIANCE_PERSISTENTLY_LOW not in _codes(
        evaluate_signals(inst, [sai(20), sai(14)])
    )
    sig = evaluate_signals(inst, [sai(14), sai(14)])
    assert _codes(sig) == [SignalCode.ALLIANCE_PERSISTENTLY_LOW]
    assert sig[0].threshold == 15 and sig[0].compared_with == "last_2"


@pytest.mark.parametrize(
    ("outcomes", "raised"),
    [
        ([E, E, E], True),
        ([C, E, E, E], True),
        ([E, E, C], False),
        ([E, E], False),
        ([E, X, E, X, E], True),
        ([], False),
        (["expired", "expired", "expired"], True),
    ],
)
def test_missed_answers_counts_expired_invitations_in_a_row(
    outcomes: list[InvitationOutcome | str], raised: bool
) -> None:

    sig = missed_answers_signal(outcomes)
    assert (sig is not None) == raised
    if sig:
        assert sig.code is SignalCode.MISSED_ANSWERS and sig.severity is Severity.LOW


def test_the_missed_answers_threshold_is_a_setting() -> None:
    assert missed_answers_signal([E, E], SignalSettings(missed_in_row=2)) is not None


def test_an_empty_history_raises_no_signal(instruments: Mapping[str, Instrument]) -> None:
    assert evaluate_signals(instruments["phq9"], []) == ()


def test_signals_serialise_to_codes(instruments: Mapping[str, Instrument]) -> None:
    inst = instruments["phq9"]
    d = evaluate_signals(inst, [_phq(inst, 5, item9=2, session=1)])[0].to_dict()
    assert d["code"] == "risk_answer" and d["severity"] == "high" and d["link_ids"] == ["phq9_9"]
