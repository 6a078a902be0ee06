import math
from collections.abc import Mapping

import pytest

from fit_platform.domain.expected_recovery import (
    DefaultCurve,
    EpisodeScores,
    ExpectedBand,
    ExpectedModel,
    WithFallback,
    intake_strata,
    percentile,
    percentile_bands,
)
from fit_platform.domain.instruments import Instrument


def _band(model: ExpectedModel, intake: float, session: int) -> ExpectedBand:
    band = model.band(intake, session)
    assert band is not None
    return band


def test_the_default_curve_starts_at_the_intake_score_and_says_it_is_not_validated(
    instruments: Mapping[str, Instrument],
) -> None:
    band = DefaultCurve(instruments["phq9"]).band(20, 1)
    assert band is not None and band.expected == 20 and band.validated is False
    assert (band.low, band.high) == (14, 26)


def test_the_default_curve_improves_towards_the_good_end_and_never_past_the_fraction(
    instruments: Mapping[str, Instrument],
) -> None:
    curve = DefaultCurve(instruments["phq9"])
    expected = [_band(curve, 20, n).expected for n in range(1, 40)]
    assert expected == sorted(expected, reverse=True)
    assert expected[-1] >= 10  # at most half way to 0 with maxImprovementFraction 0.5
    b = _band(curve, 20, 6)
    assert math.isclose(b.expected, 20 - 10 * (1 - math.exp(-0.2 * 5)), abs_tol=0.01)


def test_the_default_band_is_clipped_to_the_score_range(
    instruments: Mapping[str, Instrument],
) -> None:
    band = _band(DefaultCurve(instruments["phq9"]), 3, 1)
    assert band.low == 0


def test_alliance_instruments_have_no_expected_curve(instruments: Mapping[str, Instrument]) -> None:
    assert DefaultCurve(instruments["wai_sr"]).band(40, 3) is None


def test_percentile_uses_linear_interpolation() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10], 90) == 10
    with pytest.raises(ValueError):
        percentile([], 50)


def _episodes(n: int, intake: float, session_scores: dict[int, float]) -> list[EpisodeScores]:
    return [
        EpisodeScores(intake, {s: v + (i % 5) for s, v in session_scores.items()}) for i in range(n)
    ]


def test_service_percentile_bands_are_used_only_where_a_stratum_has_enough_episodes(
    instruments: Mapping[str, Instrument],
) -> None:
    eps = _episodes(30, 18, {3: 12}) + _episodes(29, 8, {3: 6})
    model = percentile_bands(eps, [(0, 10), (10, 28)], min_n=30)
    band = model.band(18, 3)
    assert band is not None and band.source == "service_percentiles"
    assert (band.low, band.expected, band.high) == (12, 14, 16)
    assert model.band(8, 3) is None  # 29 episodes: below the minimum N
    assert model.band(18, 4) is None  # no data for that session
    assert model.cells[(0, 3)].n == 29


def test_a_percentile_model_falls_back_to_the_default_curve_where_it_has_no_band(
    instruments: Mapping[str, Instrument],
) -> None:
    model = WithFallback(percentile_bands([], [(0, 28)]), DefaultCurve(instruments["phq9"]))
    assert _band(model, 18, 3).source == "default_curve"


def test_episodes_outside_every_stratum_are_ignored() -> None:
    model = percentile_bands(_episodes(40, 99, {2: 1}), [(0, 28)], min_n=1)
    assert model.cells == {}


def test_intake_strata_are_the_instruments_severity_bands_with_the_maximum_in_the_last(
    instruments: Mapping[str, Instrument],
) -> None:
    strata = intake_strata(instruments["phq9"])
    assert [lo for lo, _hi in strata] == [0, 5, 10, 15, 20]
    assert [hi for _lo, hi in strata][:-1] == [5, 10, 15, 20]
    model = percentile_bands([], strata)
    assert model.stratum_of(27) == 4
    assert model.stratum_of(14.5) == 2
    assert model.stratum_of(28) is None
