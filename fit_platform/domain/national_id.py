"""Norwegian national identity numbers (fødselsnummer and D-number): checked, never kept.

The platform stores a national identity number only as a keyed hash, so a patient can later
log in through ID-porten (docs/identity.md). Before it is hashed it must be one ID-porten could
send back as the ``pid`` claim: eleven digits, a real day and month, and both mod-11 check
digits right (the rule of Skatteetaten's "fødselsnummer" description, in force until the new
numbers of 2032).

Accepted:

* fødselsnummer (day 01-31, month 01-12);
* D-number (day + 40), which ID-porten also issues for people without a fødselsnummer;
* only when asked for (test environments): Skatteetaten's synthetic test numbers from the
  Tenor test data that ID-porten's test environment logs in (month + 80), also as D-numbers.

Refused: H-numbers and NAV's synthetic numbers (month + 40): ID-porten never sends them.
"""

from __future__ import annotations

from enum import StrEnum

DIGITS = 11
_FIRST_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_SECOND_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # 29 February: any century
D_NUMBER_DAY_OFFSET = 40
TENOR_MONTH_OFFSET = 80


class NationalIdProblem(StrEnum):
    """Why a number was refused; the web layer translates each code."""

    FORMAT = "format"  # not eleven digits
    DATE = "date"  # no such day and month (or an offset ID-porten never sends)
    CHECK_DIGITS = "check_digits"  # a typing error, most likely
    TEST_NUMBER = "test_number"  # a synthetic number where only real ones are allowed


class InvalidNationalId(ValueError):
    def __init__(self, problem: NationalIdProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def _check_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11
    if remainder == 0:
        return 0
    check = 11 - remainder
    return None if check == 10 else check  # 10: no number is issued with these digits


def normalise_national_id(raw: str, *, allow_test_numbers: bool) -> str:
    """The eleven digits of a valid number (spaces, dots and a dash are allowed in between).

    Raises `InvalidNationalId` with the reason otherwise. The number itself never appears in
    the exception, so an error that reaches a log carries no identity.
    """
    digits = "".join(ch for ch in raw if ch not in " .-\u00a0\t")
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit():
        raise InvalidNationalId(NationalIdProblem.FORMAT)
    day, month = int(digits[0:2]), int(digits[2:4])
    synthetic = month > TENOR_MONTH_OFFSET
    if synthetic:
        month -= TENOR_MONTH_OFFSET
    if day > D_NUMBER_DAY_OFFSET:
        day -= D_NUMBER_DAY_OFFSET
    if not (1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month - 1]):
        raise InvalidNationalId(NationalIdProblem.DATE)
    first = _check_digit(digits[:9], _FIRST_WEIGHTS)
    second = _check_digit(digits[:9] + str(first), _SECOND_WEIGHTS) if first is not None else None
    if first is None or second is None or digits[9:] != f"{first}{second}":
        raise InvalidNationalId(NationalIdProblem.CHECK_DIGITS)
    if synthetic and not allow_test_numbers:
        raise InvalidNationalId(NationalIdProblem.TEST_NUMBER)
    return digits


def with_check_digits(first_nine: str) -> str | None:
    """The full number for nine leading digits, or None when no check digits exist (tests,
    demo data)."""
    first = _check_digit(first_nine, _FIRST_WEIGHTS)
    if first is None:
        return None
    second = _check_digit(first_nine + str(first), _SECOND_WEIGHTS)
    return None if second is None else f"{first_nine}{first}{second}"
