"""National identity numbers: what ID-porten can send is accepted, typing errors never are."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fit_platform.domain.national_id import (
    InvalidNationalId,
    NationalIdProblem,
    normalise_national_id,
    with_check_digits,
)


def _valid(day: int, month: int, year: int, individual: int) -> str | None:
    return with_check_digits(f"{day:02d}{month:02d}{year:02d}{individual:03d}")


def test_a_published_example_number_is_accepted_with_spaces_between() -> None:
    # 15076500565: the example fødselsnummer used in Norwegian public documentation.
    assert normalise_national_id("150765 005 65", allow_test_numbers=False) == "15076500565"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("1507650056", NationalIdProblem.FORMAT),
        ("150765005651", NationalIdProblem.FORMAT),
        ("15O76500565", NationalIdProblem.FORMAT),
        ("١٥٠٧٦٥٠٠٥٦٥", NationalIdProblem.FORMAT),  # Arabic-Indic digits are not digits here
        ("15076500566", NationalIdProblem.CHECK_DIGITS),
        ("31046500000", NationalIdProblem.DATE),
        ("15136500565", NationalIdProblem.DATE),
        ("15476500565", NationalIdProblem.DATE),  # month + 40: H-number or NAV synthetic
    ],
)
def test_what_id_porten_never_sends_is_refused_with_the_reason(
    raw: str, problem: NationalIdProblem
) -> None:
    with pytest.raises(InvalidNationalId) as refused:
        normalise_national_id(raw, allow_test_numbers=True)
    assert refused.value.problem is problem
    assert raw not in str(refused.value)  # the number never travels in an error


days = st.integers(1, 28)
months = st.integers(1, 12)
years = st.integers(0, 99)
individuals = st.integers(0, 999)


@given(days, months, years, individuals, st.booleans(), st.booleans())
def test_every_number_with_right_check_digits_is_accepted_when_allowed(
    day: int, month: int, year: int, individual: int, d_number: bool, synthetic: bool
) -> None:
    number = _valid(day + 40 * d_number, month + 80 * synthetic, year, individual)
    if number is None:  # no check digits exist for these nine digits: never issued
        return
    assert normalise_national_id(number, allow_test_numbers=True) == number
    if synthetic:
        with pytest.raises(InvalidNationalId) as refused:
            normalise_national_id(number, allow_test_numbers=False)
        assert refused.value.problem is NationalIdProblem.TEST_NUMBER
    else:
        assert normalise_national_id(number, allow_test_numbers=False) == number


@given(days, months, years, individuals, st.integers(0, 10), st.integers(1, 9))
def test_any_one_mistyped_digit_is_refused(
    day: int, month: int, year: int, individual: int, position: int, change: int
) -> None:
    number = _valid(day, month, year, individual)
    if number is None:
        return
    typo = number[:position] + str((int(number[position]) + change) % 10) + number[position + 1 :]
    with pytest.raises(InvalidNationalId):
        normalise_national_id(typo, allow_test_numbers=True)


def test_the_pids_in_digdirs_id_token_examples_are_accepted_and_one_is_a_test_number() -> None:
    # docs.digdir.no, "id_token from ID-porten": a Tenor synthetic person and a real-form number.
    assert normalise_national_id("20914695016", allow_test_numbers=True) == "20914695016"
    with pytest.raises(InvalidNationalId):
        normalise_national_id("20914695016", allow_test_numbers=False)
    assert normalise_national_id("23079410918", allow_test_numbers=False) == "23079410918"
