"""Normalising and validating where messages go: phone numbers (E.164, default
region Norway) and e-mail addresses."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email


class InvalidAddress(ValueError):
    """The phone number or e-mail address cannot receive messages."""


def normalise_phone(raw: str, default_region: str = "NO") -> str:
    """E.164 form (`+4791234567`) of a mobile number; raises `InvalidAddress`.

    Only numbers that can receive SMS are accepted (mobile, or fixed-line-or-mobile
    where the numbering plan cannot tell).
    """
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidAddress("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidAddress("not a valid phone number")
    kind = phonenumbers.number_type(number)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidAddress("not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def readable_phone(e164: str) -> str:
    """A stored number grouped for reading aloud (`+47 912 34 567`); as stored when it does
    not parse (the page shows what is on file rather than nothing)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalise_email(raw: str, check_deliverability: bool = False) -> str:
    """The normalised address (domain lower-cased, IDNA handled); raises `InvalidAddress`.

    Deliverability (a DNS lookup) is off by default so validation works offline.
    """
    try:
        result = validate_email(raw.strip(), check_deliverability=check_deliverability)
    except EmailNotValidError as exc:
        raise InvalidAddress("not a valid e-mail address") from exc
    return result.normalized
