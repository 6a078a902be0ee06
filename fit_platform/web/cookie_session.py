"""The browser's cookie session, encrypted as well as signed.

Flask's default cookie is only signed: anyone holding it can base64-decode what it carries
(the patient's link row id, patient id, the staff id between password and code, a TOTP secret
waiting for its first code). This interface seals the same data with Fernet (AES-128-CBC +
HMAC-SHA256, from `cryptography`), with a key derived by HKDF from SECRET_KEY, so the cookie
reveals nothing and is still tamper-proof; its age is checked against the session lifetime
as before. Everything else (cookie flags, refresh rules) is Flask's own.
"""

from __future__ import annotations

import base64
import functools
import zlib
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask
from flask.sessions import SecureCookieSessionInterface, session_json_serializer
from itsdangerous import BadSignature


class _SealingSerializer:
    """The `dumps`/`loads` pair Flask's cookie session expects, with Fernet tokens."""

    def __init__(self, secret_key: str | bytes) -> None:
        raw = secret_key.encode() if isinstance(secret_key, str) else secret_key
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"fit-platform", info=b"cookie-session"
        ).derive(raw)
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def dumps(self, value: Any) -> str:
        # Compressed first, as Flask's signed cookie is: repeated flash messages would
        # otherwise push the cookie past the 4 kB browsers keep.
        plain = session_json_serializer.dumps(value).encode()
        packed = zlib.compress(plain)
        payload = b"z" + packed if len(packed) < len(plain) else b"j" + plain
        return self._fernet.encrypt(payload).decode()

    def loads(self, data: str | bytes, max_age: int | None = None) -> Any:
        token = data.encode() if isinstance(data, str) else data
        try:
            plain = self._fernet.decrypt(token, ttl=max_age)
        except InvalidToken as exc:
            # Flask starts an empty session on BadSignature (altered, foreign or too old).
            raise BadSignature("session cookie cannot be opened") from exc
        body = zlib.decompress(plain[1:]) if plain[:1] == b"z" else plain[1:]
        return session_json_serializer.loads(body.decode())


@functools.lru_cache(maxsize=8)
def _serializer(secret_key: str | bytes) -> _SealingSerializer:
    return _SealingSerializer(secret_key)


class EncryptedCookieSessionInterface(SecureCookieSessionInterface):
    def get_signing_serializer(self, app: Flask) -> Any:
        if not app.secret_key:
            return None
        return _serializer(app.secret_key)
