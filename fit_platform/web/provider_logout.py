"""The second step of logging out after a login through an identity provider (the staff's
provider, or ID-porten for patients): our session has ended, and a page offers the provider's
own logout (`templates/macros/provider_logout.html`), because the provider's single sign-on
would otherwise let the next person at the browser in without a password.

A page with a button the person presses, not a redirect: the page can say what happens and
why, and no Content-Security-Policy has to open our forms to the provider's logout host.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderLogout:
    provider: str  # its name, for the heading and the button
    url: str  # its end_session_endpoint with our client id and return address
