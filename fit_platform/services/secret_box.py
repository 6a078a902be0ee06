"""Secrets kept encrypted at rest (TOTP keys), with Fernet from the `cryptography` package.

Fernet is authenticated encryption (AES-128-CBC + HMAC-SHA256) with a versioned token format;
`MultiFernet` lets an operator rotate keys: FIT_TOTP_ENCRYPTION_KEY lists keys separated by
commas, the first encrypts and any of them decrypts.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretBox:
    def __init__(self, keys: str) -> None:
        parts = [part.strip() for part in keys.split(",") if part.strip()]
        if not parts:
            raise ValueError("no key")
        self._fernet = MultiFernet([Fernet(part.encode()) for part in parts])

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def reseal(self, sealed: str) -> str:
        """`sealed` sealed again with the first key, so the other keys can be retired;
        ValueError if no key we hold opens it."""
        try:
            return self._fernet.rotate(sealed.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("secret cannot be opened with the configured keys") from exc

    def open(self, sealed: str) -> str:
        """The plain secret; ValueError if it was sealed with no key we hold or was altered."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("secret cannot be opened with the configured keys") from exc
