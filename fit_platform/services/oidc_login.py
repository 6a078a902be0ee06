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
from urllib.parse import urlencode, urlsplit

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


# A page that only needs the endpoints' origins waits at most this long for the provider, and
# does not ask again for a minute after it failed to answer.
PAGE_DISCOVERY_TIMEOUT_SECONDS = 2
PAGE_DISCOVERY_RETRY_SECONDS = 60
_unreachable_until: dict[str, float] = {}


def _metadata(config: OidcConfig, timeout: float = HTTP_TIMEOUT_SECONDS) -> dict[str, Any]:
    """The provider's discovery document, fetched once an hour per process."""
    cached = _discovery.get(config.issuer)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    url = config.issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=timeout)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise OidcFailed("unavailable") from exc
    if document.get("issuer") != config.issuer:
        # OpenID Connect Discovery 1.0, 4.3: the issuer must be exactly the one configured.
        raise OidcFailed("unavailable")
    _discovery[config.issuer] = (time.monotonic() + DISCOVERY_TTL_SECONDS, document)
    return document


def _origin(url: object) -> str | None:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("https", "http") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


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

    def end_session_url(self, post_logout_redirect_uri: str) -> str | None:
        """Where the browser ends the provider's own session too (single sign-on: otherwise
        the next person at this browser who presses the login button is let in without a
        password). None when the provider offers no `end_session_endpoint` or cannot be
        reached: our own session has ended either way.

        OpenID Connect RP-Initiated Logout 1.0 with our `client_id` and a return address the
        provider has registered for this client, and deliberately without `id_token_hint`:
        this is a URL the browser keeps in its history, on what may be a shared computer, and
        an ID token names the person (ID-porten's carries the national identity number).
        Without the hint the provider asks the person to confirm, as the standard requires."""
        try:
            endpoint = _metadata(self.config).get("end_session_endpoint")
        except OidcFailed:
            return None
        if not isinstance(endpoint, str) or _origin(endpoint) is None:
            return None
        query = urlencode(
            {
                "client_id": self.config.client_id,
                "post_logout_redirect_uri": post_logout_redirect_uri,
            }
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    def browser_origins(self) -> tuple[str, ...]:
        """The origins our login button's form may lead the browser to through our redirect:
        the issuer's, and the login endpoint's when the discovery document is at hand
        (ID-porten's is on another host than its issuer: login.idporten.no). For the page's
        Content-Security-Policy `form-action`, which browsers also check on redirects. A page
        waits at most two seconds for the discovery document, and not at all for a minute
        after the provider did not answer (its button would fail anyway)."""
        document: Mapping[str, Any] = {}
        if _unreachable_until.get(self.config.issuer, 0.0) <= time.monotonic():
            try:
                document = _metadata(self.config, PAGE_DISCOVERY_TIMEOUT_SECONDS)
            except OidcFailed:
                _unreachable_until[self.config.issuer] = (
                    time.monotonic() + PAGE_DISCOVERY_RETRY_SECONDS
                )
        found = [_origin(self.config.issuer), _origin(document.get("authorization_endpoint"))]
        return tuple(dict.fromkeys(origin for origin in found if origin is not None))

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
    with db.transaction(now=now) as session:
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
