"""Pluggable staff login through OpenID Connect (HelseID, Microsoft Entra ID, ID-porten).

The interface; `services/oidc_login.py` implements it for any OpenID Connect provider. The web
layer sends the browser to ``authorization_url``, receives the callback, calls ``complete`` and
opens the same server-side session as a password login for the staff account an administrator
linked to the verified identity (``staff_external_identity``). Roles always come from our own
``StaffRole`` rows, never from claims, so an IdP misconfiguration cannot hand out patient
access (docs/identity.md).
"""

from __future__ import annotations

from collections.abc import Mapping
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
        self,
        request: AuthorizationRequest,
        callback_params: Mapping[str, str],
        redirect_uri: str,
    ) -> ExternalIdentity:
        """Check state, exchange the code, validate the ID token (signature against the
        provider's JWKS, issuer, audience, expiry, nonce) and return the identity; raise on
        any failure."""
        ...
