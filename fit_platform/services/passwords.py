"""Password hashing with Argon2id (argon2-cffi) and the rules for new passwords.

argon2-cffi is the maintained binding of the Password Hashing Competition winner; it handles
salts, parameters in the hash string and `check_needs_rehash` so parameters can be raised later.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

MIN_LENGTH = 12
# Length and a denylist instead of composition rules (NIST SP 800-63B §5.1.1.2).
COMMON_PASSWORDS = frozenset(
    {
        "passord123456",
        "password1234",
        "123456789012",
        "qwertyuiopå",
        "sommer2026!!",
        "vinter2026!!",
        "passordpassord",
        "password123!",
        "administrator",
        "letmein12345",
        "qwertyuiop12",
        "1234567890ab",
        "iloveyou1234",
        "welcome12345",
        "velkommen123",
    }
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str) -> str | None:
    """A code for why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if password.lower() in COMMON_PASSWORDS:
        return "too_common"
    return None
