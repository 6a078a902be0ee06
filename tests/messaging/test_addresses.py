import pytest

from fit_platform.messaging.addresses import InvalidAddress, normalise_email, normalise_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("912 34 567", "+4791234567"),
        ("+47 412 34 567", "+4741234567"),
        ("0047 91234567", "+4791234567"),
        ("+46 70 123 45 67", "+46701234567"),
    ],
)
def test_mobile_numbers_are_normalised_to_e164_with_norway_as_default(
    raw: str, expected: str
) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["22 12 34 56", "123", "not a number", ""])
def test_landlines_and_nonsense_are_refused_as_sms_numbers(raw: str) -> None:
    with pytest.raises(InvalidAddress):
        normalise_phone(raw)


def test_email_addresses_are_normalised() -> None:
    assert normalise_email(" Kari.Nordmann@Eksempel.NO ") == "Kari.Nordmann@eksempel.no"


@pytest.mark.parametrize("raw", ["kari", "kari@", "kari@@eksempel.no", "kari@eksempel"])
def test_invalid_email_addresses_are_refused(raw: str) -> None:
    with pytest.raises(InvalidAddress):
        normalise_email(raw)
