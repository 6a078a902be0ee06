from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fit_platform.domain.contact_mask import masked_email, phone_ending


def test_a_number_shows_only_its_last_two_digits() -> None:
    assert phone_ending("+4791234567") == "67"
    assert phone_ending(None) is None
    assert phone_ending("+47") is None


def test_an_address_shows_its_first_letter_and_domain() -> None:
    assert masked_email("kari.nordmann@example.org") == "k\u2022\u2022\u2022@example.org"
    assert masked_email(None) is None
    assert masked_email("no-at-sign") is None


@given(st.from_regex(r"\+47[49]\d{7}", fullmatch=True))
def test_no_more_than_two_digits_of_a_number_are_shown(number: str) -> None:
    shown = phone_ending(number)
    assert shown is not None and len(shown) == 2 and number.endswith(shown)


@given(st.from_regex(r"[a-z]{2,20}@[a-z]{2,10}\.no", fullmatch=True))
def test_the_local_part_beyond_its_first_letter_is_never_shown(address: str) -> None:
    local = address.split("@")[0]
    shown = masked_email(address)
    assert shown is not None and shown.split("@")[0] == local[0] + "\u2022" * 3
