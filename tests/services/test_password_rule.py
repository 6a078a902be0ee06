"""The rule for new passwords: 12 characters or more and hard to guess by zxcvbn's estimate."""

from __future__ import annotations

import pytest

from fit_platform.services.passwords import password_problem


@pytest.mark.parametrize(
    "password",
    [
        "Passord12345",
        "Sommer2026!!",
        "velkommen123",
        "administrator",
        "password1234",
        "qwertyuiop12",
    ],
)
def test_common_and_patterned_passwords_are_refused(password: str) -> None:
    assert password_problem(password) == "too_common"


@pytest.mark.parametrize(
    "password",
    ["correct horse battery staple", "kaffe og boller hver dag", "Sommerferie på Hvaler"],
)
def test_a_few_words_in_a_row_are_accepted(password: str) -> None:
    assert password_problem(password) is None


def test_a_password_made_of_the_users_own_name_is_refused() -> None:
    assert password_problem("kari.nordmann", user_inputs=("kari.nordmann@dps.no",)) == "too_common"


def test_short_passwords_are_refused_before_anything_else() -> None:
    assert password_problem("Kx9!mQ2#vL") == "too_short"


def test_a_very_long_password_is_judged_without_error() -> None:
    assert password_problem("ab" * 600) == "too_common"
    assert password_problem("correct horse battery staple " * 30) is None
