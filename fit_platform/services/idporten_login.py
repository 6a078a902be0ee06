"""Patients log in through ID-porten to see their progress: the staff OpenID Connect path
(`services/oidc_login.py`: Authlib, PKCE, joserfc ID-token checks) with a second client.

On top of what every login checks (state, the PKCE code exchange, signature, issuer, audience,
expiry, nonce) an ID-porten login must come back at the configured assurance level or higher
(`acr`: idporten-loa-substantial < idporten-loa-high) and carry the person's national identity
number (`pid`). The number is handed to `services/patient_identity.py` to be hashed and matched;
it is never logged, stored in clear or kept in the browser's session.
"""

from __future__ import annotations

from collections.abc import Mapping

from fit_platform.config_checks import IDPORTEN_ACR_LEVELS
from fit_platform.services.identity_providers import AuthorizationRequest
from fit_platform.services.oidc_login import OidcConfig, OidcFailed, OidcProvider

# ID-porten's languages for its own pages (nb, nn, en; it also has se).
UI_LOCALES = {"nb": "nb", "nn": "nn", "en": "en"}


def _rank(level: object) -> int:
    return IDPORTEN_ACR_LEVELS.index(level) if level in IDPORTEN_ACR_LEVELS else -1


class IdPortenLogin:
    """One ID-porten client; `acr_values` is what is asked for, the lowest of them the floor."""

    name = "ID-porten"

    def __init__(self, config: OidcConfig, acr_values: str) -> None:
        self.provider = OidcProvider(config, self.name)
        self.acr_values = acr_values
        self.lowest_accepted = min(_rank(level) for level in acr_values.split())

    def authorization_url(self, redirect_uri: str, language: str) -> AuthorizationRequest:
        extra = {"acr_values": self.acr_values}
        if language in UI_LOCALES:
            extra["ui_locales"] = UI_LOCALES[language]
        return self.provider.authorization_url(redirect_uri, extra)

    def verified_pid(
        self,
        request: AuthorizationRequest,
        callback_params: Mapping[str, str],
        redirect_uri: str,
    ) -> str:
        """The `pid` of a login that passed every check; `OidcFailed` with the reason (acr,
        pid, or the general codes of `OidcProvider`) otherwise."""
        claims = self.provider.verified_claims(request, callback_params, redirect_uri)
        if _rank(claims.get("acr")) < max(self.lowest_accepted, 0):
            raise OidcFailed("acr")
        pid = claims.get("pid")
        if not isinstance(pid, str) or not pid:
            raise OidcFailed("pid")
        return pid
