"""Pluggable staff login through OpenID Connect (HelseID, Microsoft Entra ID).

This is the interface only; no identity provider is wired in yet (see docs/security.md). An
adapter implements :class:`IdentityProvider`; the web layer sends the browser to
``authorization_url``, receives the callback, calls ``complete`` and maps the verified identity
to a ``Staff`` row with :func:`match_staff` before opening the same server-side session as a
password login (``staff_auth._open_session``). Roles always come from our own ``StaffRole``
rows, never from claims, so an IdP misconfiguration cannot hand out patient access.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class AuthorizationRequest:
    """What the browser is sent to, and what we keep (server-side) to check the callback."""

    url: str
    state: str
    nonce: str
    code_verifier: str  # PKCE


@dataclass(frozen=True)
class ExternalIdentity:
    """A verified ID token, reduced to what we use."""

    issuer: str
    subject: str
    username: str | None  # e.g. preferred_username / HPR number mapping, provider specific
    # Authentication strength (HelseID: idporten-loa-high etc.); refuse logins below policy.
    assurance: str | None
    multi_factor: bool


class IdentityProvider(Protocol):
    name: str

    def authorization_url(self, redirect_uri: str) -> AuthorizationRequest:
        """Build the authorisation-code + PKCE request (state and nonce random per login)."""
        ...

    def complete(
        self, request: AuthorizationRequest, callback_params: dict[str, str]
    ) -> ExternalIdentity:
        """Check state, exchange the code, validate the ID token (signature against the
        provider's JWKS, issuer, audience, expiry, nonce) and return the identity; raise on
        any failure."""
        ...


def match_staff_username(identity: ExternalIdentity) -> str | None:
    """The ``Staff.username`` an external identity logs in as (lower-cased), or None.

    Kept deliberately simple: an administrator creates the staff row first; an unknown
    identity is refused, never created on the fly.
    """
    return identity.username.strip().lower() if identity.username else None
