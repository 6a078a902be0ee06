import pytest

from fit_platform.domain.expected_recovery import ExpectedBand
from fit_platform.domain.scoring import score
from fit_platform.domain.signals import (
    SIGNAL_RULES,
    HistoryEntry,
    InvitationOutcome,
    Severity,
    SignalCode,
    SignalSettings,
    evaluate_signals,
    missed_answers_signal,
)
from tests.domain.helpers import answers

E, C, X = InvitationOutcome.EXPIRED, InvitationOutcome.COMPLETED, InvitationOutcome.CANCELLED


def _phq(inst, total, item9=0, session=None):
    vals = [0] * 9
    vals[8] = item9
    rest = total - item9
    for i in range(8):
        vals[i] = min(3, rest)
        rest -= vals[i]
    return HistoryEntry(score(inst, answers(inst, *vals)), session)


def _codes(signals):
    return [s.code for s in signals]


def test_the_signal_table_has_one_row_per_code_with_a_severity():
    assert [r.code for r in SIGNAL_RULES] == list(SignalCode)
    assert all(r.severity in Severity for r in SIGNAL_RULES)


def test_a_risk_answer_raises_a_high_signal_with_the_item(instruments):
    inst = instruments["phq9"]
    sig = evaluate_signals(inst, [_phq(inst, 5, item9=1, session=1)])
    assert _codes(sig) == [SignalCode.RISK_ANSWER]
    assert sig[0].severity is Severity.HIGH and sig[0].link_ids == ("phq9_9",)


def test_a_risk_answer_in_an_unscorable_response_still_raises_the_signal(instruments):
    inst = instruments["phq9"]
    history = [_phq(inst, 10, session=1), HistoryEntry(score(inst, {"phq9_9": 3}), 2)]
    assert _codes(evaluate_signals(inst, history)) == [SignalCode.RISK_ANSWER]


def test_reliable_deterioration_against_the_first_score(instruments):
    inst = instruments["phq9"]
    history = [_phq(inst, 10, session=1), _phq(inst, 13, session=2), _phq(inst, 16, session=3)]
    sig = [
        s for s in evaluate_signals(inst, history) if s.code is SignalCode.RELIABLE_DETERIORATION
    ]
    assert len(sig) == 1 and sig[0].compared_with == "first" and sig[0].reference == 10


def test_reliable_deterioration_against_the_previous_score(instruments):
    inst = instruments["phq9"]
    history = [_phq(inst, 20, session=1), _phq(inst, 8, session=2), _phq(inst, 14, session=3)]
    sig = [
        s for s in evaluate_signals(inst, history) if s.code is SignalCode.RELIABLE_DETERIORATION
    ]
    assert sig[0].compared_with == "previous" and sig[0].threshold == 6


def test_a_rise_just_below_the_threshold_raises_no_deterioration(instruments):
    inst = instruments["phq9"]
    history = [_phq(inst, 10, session=1), _phq(inst, 15, session=2)]
    assert SignalCode.RELIABLE_DETERIORATION not in _codes(evaluate_signals(inst, history))


def test_not_on_track_when_the_score_is_above_the_expected_band(instruments):
    inst = instruments["phq9"]
    # Intake 20; by session 8 the default curve expects about 12.5 +/- 6, so 19 is off track.
    history = [_phq(inst, 20, session=1), _phq(inst, 19, session=8)]
    sig = [s for s in evaluate_signals(inst, history) if s.code is SignalCode.NOT_ON_TRACK]
    assert sig and sig[0].compared_with == "default_curve" and sig[0].value == 19
    assert not [
        s
        for s in evaluate_signals(inst, [_phq(inst, 20, session=1), _phq(inst, 17, session=8)])
        if s.code is SignalCode.NOT_ON_TRACK
    ]


def test_not_on_track_uses_a_given_expected_model(instruments):
    inst = instruments["phq9"]

    class Tight:
        def band(self, intake, session):
            return ExpectedBand(session, 10, 9, 11, "service_percentiles", True)

    history = [_phq(inst, 20, session=1), _phq(inst, 12, session=3)]
    sig = evaluate_signals(inst, history, model=Tight())
    assert SignalCode.NOT_ON_TRACK in _codes(sig)


def _alliance(inst, *totals):
    out = []
    for t in totals:
        a = {"vas_demo_1": t / 2, "vas_demo_2": t / 2}
        out.append(HistoryEntry(score(inst, a)))
    return out


def test_alliance_below_the_cutoff_raises_alliance_low(instruments):
    inst = instruments["vas_demo"]
    assert _codes(evaluate_signals(inst, _alliance(inst, 17))) == [SignalCode.ALLIANCE_LOW]


def test_a_drop_near_the_ceiling_raises_alliance_drop_without_crossing_the_cutoff(instruments):
    inst = instruments["vas_demo"]
    sig = evaluate_signals(inst, _alliance(inst, 19.8, 19.2))
    assert _codes(sig) == [SignalCode.ALLIANCE_DROP]
    assert sig[0].reference == 19.8 and sig[0].threshold == 0.5


def test_a_small_dip_below_the_drop_threshold_raises_nothing(instruments):
    inst = instruments["vas_demo"]
    assert evaluate_signals(inst, _alliance(inst, 19.8, 19.4)) == ()


def test_wai_sr_drop_of_three_points_raises_alliance_drop(instruments):
    inst = instruments["wai_sr"]
    h = [HistoryEntry(score(inst, answers(inst, *[5] * 12)))]
    h.append(HistoryEntry(score(inst, answers(inst, *[4] * 3, *[5] * 9))))
    assert _codes(evaluate_signals(inst, h)) == [SignalCode.ALLIANCE_DROP]


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
def test_missed_answers_counts_expired_invitations_in_a_row(outcomes, raised):
    sig = missed_answers_signal(outcomes)
    assert (sig is not None) == raised
    if sig:
        assert sig.code is SignalCode.MISSED_ANSWERS and sig.severity is Severity.LOW


def test_the_missed_answers_threshold_is_a_setting():
    assert missed_answers_signal([E, E], SignalSettings(missed_in_row=2)) is not None


def test_an_empty_history_raises_no_signal(instruments):
    assert evaluate_signals(instruments["phq9"], []) == ()


def test_signals_serialise_to_codes(instruments):
    inst = instruments["phq9"]
    d = evaluate_signals(inst, [_phq(inst, 5, item9=2, session=1)])[0].to_dict()
    assert d["code"] == "risk_answer" and d["severity"] == "high" and d["link_ids"] == ["phq9_9"]
