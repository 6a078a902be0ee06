"""Which outside origins a login button's form may lead to (the page's CSP `form-action`),
against a real discovery document served on loopback: ID-porten's login endpoint is on another
host than its issuer, so both must be allowed; a provider that is away costs a page at most
one short wait a minute, and the end-of-session link carries our client id, no ID token."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from fit_platform.services import oidc_login
from fit_platform.services.oidc_login import OidcConfig, OidcProvider


class _Discovery(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        assert isinstance(self.server, ThreadingHTTPServer)
        port = self.server.server_address[1]
        body = json.dumps(
            {
                "issuer": f"http://127.0.0.1:{port}",
                # Another host, as login.idporten.no is beside idporten.no.
                "authorization_endpoint": f"http://localhost:{port}/authorize",
                "end_session_endpoint": f"http://localhost:{port}/logout?ui=nb",
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def discovery() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Discovery)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    issuer = f"http://127.0.0.1:{server.server_address[1]}"
    yield issuer
    server.shutdown()
    server.server_close()
    oidc_login._discovery.pop(issuer, None)
    oidc_login._unreachable_until.pop(issuer, None)


def _provider(issuer: str) -> OidcProvider:
    return OidcProvider(OidcConfig(issuer, "our-client", "a-secret"), "ID-porten")


def test_the_login_endpoints_host_is_allowed_beside_the_issuer(discovery: str) -> None:
    port = urlsplit(discovery).port
    assert _provider(discovery).browser_origins() == (discovery, f"http://localhost:{port}")


def test_the_end_of_session_link_names_our_client_and_no_token(discovery: str) -> None:
    url = _provider(discovery).end_session_url("https://fit.example/p/logged-out")
    assert url is not None
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}".endswith("/logout")
    assert parse_qs(parts.query) == {
        "ui": ["nb"],  # the endpoint's own query is kept
        "client_id": ["our-client"],
        "post_logout_redirect_uri": ["https://fit.example/p/logged-out"],
    }


def test_a_provider_that_is_away_is_asked_again_only_after_a_minute() -> None:
    issuer = "http://127.0.0.1:9"  # nothing listens on port 9 of loopback
    try:
        provider = _provider(issuer)
        assert provider.browser_origins() == (issuer,)
        assert issuer in oidc_login._unreachable_until  # the next pages do not wait
        assert provider.browser_origins() == (issuer,)
        assert provider.end_session_url("https://fit.example/p/logged-out") is None
    finally:
        oidc_login._unreachable_until.pop(issuer, None)
