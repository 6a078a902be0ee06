"""Properties of the signal rules over whole courses (issue 11, "must show")."""

import math
from collections.abc import Iterable

from hypothesis import given, settings
from hypothesis import strategies as st

from fit_platform.domain.expected_recovery import ExpectedBand, ExpectedModel
from fit_platform.domain.instruments import Instrument, default_instruments
from fit_platform.domain.signal_series import SessionSignals, signals_over_series
from fit_platform.domain.signals import SignalCode

LIB = default_instruments()
OUTCOMES = ("phq9", "gad7", "core10")
ALLIANCES = ("wai_sr", "sai", "vas_demo")
FAST = settings(max_examples=150, deadline=None)


def _fired(series: Iterable[SessionSignals], code: SignalCode) -> list[int]:
    return [s.session for s in series if code in s.codes]


@st.composite
def flat_above_caseness(draw: st.DrawFn) -> tuple[Instrument, list[int]]:
    inst = LIB[draw(st.sampled_from(OUTCOMES))]
    assert inst.clinical_cutoff is not None and inst.not_on_track is not None
    intake = draw(st.integers(int(inst.clinical_cutoff.value), int(inst.score_max)))
    length = draw(st.integers(inst.not_on_track.by_session, 16))
    return inst, [intake] * length


@FAST
@given(flat_above_caseness())
def test_a_flat_course_above_caseness_is_flagged_from_session_n_at_every_intake(
    case: tuple[Instrument, list[int]],
) -> None:
    inst, totals = case
    assert inst.not_on_track is not None
    fired = _fired(signals_over_series(inst, totals), SignalCode.NOT_ON_TRACK)
    assert fired == list(range(inst.not_on_track.by_session, len(totals) + 1))


class _AlwaysOffTrack:
    """A service band that calls every total off track: only the minimum session holds it."""

    def band(self, intake: float, session: int) -> ExpectedBand | None:
        return ExpectedBand(session, 0, 0, 0, "service_percentiles", True)


@FAST
@given(st.sampled_from(OUTCOMES), st.data())
def test_not_on_track_never_fires_before_the_minimum_session(
    inst_id: str, data: st.DataObject
) -> None:
    inst = LIB[inst_id]
    assert inst.not_on_track is not None
    totals = data.draw(
        st.lists(st.integers(int(inst.score_min), int(inst.score_max)), min_size=1, max_size=12)
    )
    models: tuple[ExpectedModel | None, ...] = (None, _AlwaysOffTrack())
    for model in models:
        fired = _fired(signals_over_series(inst, totals, model=model), SignalCode.NOT_ON_TRACK)
        assert all(s >= inst.not_on_track.min_sessions for s in fired)


@st.composite
def ordinary_improvement(draw: st.DrawFn) -> tuple[Instrument, list[int]]:
    """Intake at caseness, never worse from one session to the next, and by session N either
    reliably improved or below the cut-off."""
    inst = LIB[draw(st.sampled_from(OUTCOMES))]
    assert inst.clinical_cutoff is not None and inst.reliable_change is not None
    assert inst.not_on_track is not None
    cut, rc = int(inst.clinical_cutoff.value), math.ceil(inst.reliable_change.threshold)
    n = inst.not_on_track.by_session
    intake = draw(st.integers(cut, int(inst.score_max)))
    at_n = draw(st.integers(int(inst.score_min), max(intake - rc, cut - 1)))
    middle = sorted(draw(st.lists(st.integers(at_n, intake), min_size=n - 2, max_size=n - 2)))
    after = sorted(draw(st.lists(st.integers(int(inst.score_min), at_n), max_size=8)))
    return inst, [intake, *reversed(middle), at_n, *reversed(after)]


@FAST
@given(ordinary_improvement())
def test_an_ordinary_improving_course_is_never_flagged(case: tuple[Instrument, list[int]]) -> None:
    inst, totals = case
    series = signals_over_series(inst, totals)
    assert not [s for s in series if s.codes], totals


@st.composite
def alliance_slide(draw: st.DrawFn) -> tuple[Instrument, list[float]]:
    """A fall of at least 15 % of the range over 2 to 6 sessions, never rising on the way."""
    inst = LIB[draw(st.sampled_from(ALLIANCES))]
    lo, hi = inst.score_min, inst.score_max
    fall = 0.15 * (hi - lo)
    step = 0.1 if inst.items[0].vas is not None else 1.0

    def grid(a: float, b: float) -> st.SearchStrategy[float]:
        return st.integers(math.ceil(a / step - 1e-9), math.floor(b / step + 1e-9)).map(
            lambda k: round(k * step, 1)
        )

    start = draw(grid(lo + fall, hi))
    end = draw(grid(lo, start - fall))
    length = draw(st.integers(2, 6))
    middle = sorted(draw(st.lists(grid(end, start), min_size=length - 2, max_size=length - 2)))
    return inst, [start, *reversed(middle), end]


@FAST
@given(alliance_slide())
def test_an_alliance_slide_of_15_percent_of_the_range_within_6_sessions_is_flagged(
    case: tuple[Instrument, list[float]],
) -> None:
    inst, totals = case
    assert _fired(signals_over_series(inst, totals), SignalCode.ALLIANCE_DROP), totals
