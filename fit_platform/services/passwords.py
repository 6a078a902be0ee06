"""Password hashing with Argon2id (argon2-cffi) and the rules for new passwords.

New passwords: at least 12 characters and hard to guess by zxcvbn's estimate (the Dropbox
algorithm; `zxcvbn` is its maintained Python port, with its frequency lists of passwords,
words and names).

argon2-cffi is the maintained binding of the Password Hashing Competition winner; it handles
salts, parameters in the hash string and `check_needs_rehash` so parameters can be raised later.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

MIN_LENGTH = 12
# Length plus an estimate of how many guesses the password would take (NIST SP 800-63B
# §5.1.1.2: no composition rules, but refuse what is in dictionaries and breach lists).
# zxcvbn knows common passwords, English words, names, keyboard patterns, dates, repeats and
# l33t. We ask for 10^9 estimated guesses, between its scores 3 and 4: score 3 starts at 10^8,
# where season-and-year passwords ("Sommer2026!!") sit, the first ones guessed in a spraying.
MIN_GUESSES = 10**9
# zxcvbn has no Norwegian dictionary: the words Norwegian passwords are most often made of.
NORWEGIAN_WORDS = (
    "passord",
    "hemmelig",
    "velkommen",
    "sommer",
    "vinter",
    "høst",
    "våren",
    "mandag",
    "fredag",
    "norge",
    "oslo",
    "bergen",
    "trondheim",
    "klinikk",
    "sykehus",
    "helse",
    "poliklinikk",
    "behandling",
    "fit",
    "dps",
    "jul",
    "kjærlighet",
    "elsker",
)
# zxcvbn's time grows with the length; the first characters decide the score anyway.
_SCORED_LENGTH = 72  # the most zxcvbn accepts


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@functools.cache
def dummy_hash() -> str:
    """A hash of a random password, to verify a login against when there is nothing to check
    (an unknown username, a throttled account), so that the answer takes as long as a real
    check. One per process, made at its first use: Argon2 at the production cost takes about
    0.3 s, which the scheduler and the commands never need. The web entry point (`wsgi.py`)
    makes it at start, so a worker's first such login takes no longer than its others."""
    return hash_password(secrets.token_hex(16))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def _personal_words(user_inputs: Sequence[str]) -> list[str]:
    """The inputs, their e-mail local part and each of their words ("kari.nordmann@dps.no"
    gives kari.nordmann, kari, nordmann, dps …)."""
    words: list[str] = []
    for value in user_inputs:
        value = (value or "").lower()
        words += [value, value.split("@", 1)[0], *re.split(r"[\W_]+", value)]
    return [word for word in words if len(word) >= 2]


def password_problem(password: str, *, user_inputs: Sequence[str] = ()) -> str | None:
    """A code for why a new password is refused (too_short, too_common), or None.

    `user_inputs` are words about the user (username, name) that make a password easy to
    guess for someone who knows them.
    """
    if len(password) < MIN_LENGTH:
        return "too_short"
    words = [*NORWEGIAN_WORDS, *_personal_words(user_inputs)]
    if float(zxcvbn(password[:_SCORED_LENGTH], user_inputs=words)["guesses"]) < MIN_GUESSES:
        return "too_common"
    return None
