"""Staff login through an OpenID Connect provider: authorization code flow with PKCE.

The provider's discovery document gives the endpoints. Authlib builds the authorization
request (state, nonce, S256 code challenge) and exchanges the code; joserfc checks the ID
token: signature against the provider's published keys, issuer, audience, expiry and nonce.
A verified identity (`iss`, `sub`) opens a session only for a staff account an administrator
linked to it (`staff_external_identity`); roles always come from our own rows. Nothing here is
written to the log but ids and outcome codes.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Staff, StaffExternalIdentity
from fit_platform.services.identity_providers import AuthorizationRequest, ExternalIdentity
from fit_platform.services.staff_auth import LoginOutcome, LoginResult, open_session

log = logging.getLogger(__name__)

SIGNING_ALGORITHMS = ["RS256", "PS256", "ES256"]
DISCOVERY_TTL_SECONDS = 3600
HTTP_TIMEOUT_SECONDS = 10
# Our clock and the provider's may differ a little: an ID token "issued" a second from now
# by our clock is not forged. One minute, as common relying-party libraries allow.
CLOCK_SKEW_SECONDS = 60


class OidcFailed(Exception):
    """Why a provider login failed, as a stable code (provider_error, state, token, id_token,
    unavailable); the web layer shows one translated message for all of them."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str = "openid profile"


_discovery: dict[str, tuple[float, dict[str, Any]]] = {}


def _metadata(config: OidcConfig) -> dict[str, Any]:
    """The provider's discovery document, fetched once an hour per process."""
    cached = _discovery.get(config.issuer)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    url = config.issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise OidcFailed("unavailable") from exc
    if document.get("issuer") != config.issuer:
        # OpenID Connect Discovery 1.0, 4.3: the issuer must be exactly the one configured.
        raise OidcFailed("unavailable")
    _discovery[config.issuer] = (time.monotonic() + DISCOVERY_TTL_SECONDS, document)
    return document


def _client(config: OidcConfig, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        config.client_id,
        config.client_secret,
        scope=config.scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name
    )


class OidcProvider:
    """An `IdentityProvider` for any OpenID Connect provider (HelseID, Entra ID, ID-porten)."""

    def __init__(self, config: OidcConfig, name: str) -> None:
        self.config = config
        self.name = name

    def authorization_url(
        self, redirect_uri: str, extra: Mapping[str, str] | None = None
    ) -> AuthorizationRequest:
        """Where to send the browser; keep the returned request (server-side or sealed).
        `extra` adds request parameters (ID-porten: acr_values, ui_locales)."""
        metadata = _metadata(self.config)
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        url, _state = _client(self.config, redirect_uri).create_authorization_url(
            metadata["authorization_endpoint"],
            state=state,
            nonce=nonce,
            code_verifier=verifier,
            **dict(extra or {}),
        )
        return AuthorizationRequest(url, state, nonce, verifier)

    def complete(
        self,
        request: AuthorizationRequest,
        callback_params: Mapping[str, str],
        redirect_uri: str,
    ) -> ExternalIdentity:
        """Check the callback and the ID token; raise `OidcFailed` on anything wrong."""
        claims = self.verified_claims(request, callback_params, redirect_uri)
        amr = claims.get("amr") or []
        return ExternalIdentity(
            issuer=self.config.issuer,
            subject=str(claims["sub"]),
            username=None,
            assurance=claims.get("acr"),
            multi_factor=isinstance(amr, list) and any(m in ("mfa", "otp", "hwk") for m in amr),
        )

    def verified_claims(
        self,
        request: AuthorizationRequest,
        callback_params: Mapping[str, str],
        redirect_uri: str,
    ) -> dict[str, Any]:
        """The ID token's claims once state, code exchange (with the PKCE verifier), signature,
        issuer, audience, expiry and nonce are checked; `OidcFailed` otherwise."""
        if "error" in callback_params:
            raise OidcFailed("provider_error")
        state = callback_params.get("state", "")
        if not state or not hmac.compare_digest(state, request.state):
            raise OidcFailed("state")
        code = callback_params.get("code")
        if not code:
            raise OidcFailed("token")
        metadata = _metadata(self.config)
        try:
            token = _client(self.config, redirect_uri).fetch_token(
                metadata["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=request.code_verifier,
            )
        except Exception as exc:  # Authlib raises OAuthError, requests its own errors
            raise OidcFailed("token") from exc
        return self._verified_claims(str(token.get("id_token", "")), metadata, request.nonce)

    def _verified_claims(
        self, id_token: str, metadata: Mapping[str, Any], nonce: str
    ) -> dict[str, Any]:
        try:
            keys = KeySet.import_key_set(
                requests.get(metadata["jwks_uri"], timeout=HTTP_TIMEOUT_SECONDS).json()
            )
            decoded = jwt.decode(id_token, keys, algorithms=SIGNING_ALGORITHMS)
            jwt.JWTClaimsRegistry(
                leeway=CLOCK_SKEW_SECONDS,
                iss={"essential": True, "value": self.config.issuer},
                aud={"essential": True, "value": self.config.client_id},
                sub={"essential": True},
                exp={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(decoded.claims)
        except (JoseError, ValueError, KeyError, requests.RequestException) as exc:
            raise OidcFailed("id_token") from exc
        return dict(decoded.claims)


def log_in_linked(
    db: Database, identity: ExternalIdentity, *, absolute: dt.timedelta, now: dt.datetime
) -> LoginResult:
    """Open a session for the active staff account linked to `identity`, else INVALID.

    The provider has authenticated the person (with its own second factor where it requires
    one), so no local password or TOTP code is asked for.
    """
    with db.transaction() as session:
        found = session.execute(
            select(StaffExternalIdentity, Staff)
            .join(Staff, Staff.id == StaffExternalIdentity.staff_id)
            .where(
                StaffExternalIdentity.issuer == identity.issuer,
                StaffExternalIdentity.subject == identity.subject,
            )
        ).first()
        if found is None or not found[1].is_active:
            log.info(
                "provider login refused: no linked active account",
                # The subject is the provider's pseudonymous id (no name); an admin needs it
                # to link the account.
                extra={
                    "event": "oidc_unlinked",
                    "linked": found is not None,
                    "subject": identity.subject,
                },
            )
            return LoginResult(LoginOutcome.INVALID)
        link, staff = found
        link.last_login_at = now
        log.info("provider login", extra={"event": "oidc_login_ok", "staff_id": staff.id})
        return open_session(session, staff, now, absolute)
