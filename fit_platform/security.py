"""Security headers on every response. No inline script or style anywhere, so CSP stays strict."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, g

from fit_platform.context_objects import this_g, this_request


def content_security_policy(form_action_origin: str | None = None) -> str:
    """The policy; `form_action_origin` (one origin or several, space-separated) lets one
    page's forms go to outside origins (the login and logout buttons of an identity provider,
    which browsers check after our redirect)."""
    form_action = "form-action 'self'" + (f" {form_action_origin}" if form_action_origin else "")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            form_action,
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy()

# The headers every response gets unless its view set them itself, in the order they are
# added; with their names in lower case, to look them up once per response. Built once per
# process: on a small page, Werkzeug's header-by-header `setdefault` (each a scan of the
# response's headers, lower-casing every name) was most of this hook's cost.
_DEFAULT_HEADERS = tuple(
    (name.lower(), name, value)
    for name, value in (
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    )
)
_HSTS = (
    "strict-transport-security",
    "Strict-Transport-Security",
    "max-age=31536000; includeSubDomains",
)


def allow_form_action_to(*urls: str) -> None:
    """Let this response's forms lead to these URLs' origins (scheme, host and port only), on
    top of any allowed earlier in the request."""
    allowed = g.get("csp_form_action_origin", "").split()
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in ("https", "http") and parts.netloc:
            allowed.append(f"{parts.scheme}://{parts.netloc}")
    if allowed:
        g.csp_form_action_origin = " ".join(dict.fromkeys(allowed))


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    present = {name.lower() for name in headers.keys()}  # noqa: SIM118 - Headers, not a dict
    extra = this_g().get("csp_form_action_origin")
    current = this_request()
    for lower, name, value in _DEFAULT_HEADERS:
        if lower not in present:
            if extra and lower == "content-security-policy":
                value = content_security_policy(extra)
            headers.add(name, value)
    if current.is_secure and _HSTS[0] not in present:
        headers.add(_HSTS[1], _HSTS[2])
    path = current.path
    if not path.startswith("/static/") and path != "/favicon.ico":
        # Pages show personal data; nothing of them may be kept by a browser or proxy.
        headers["Cache-Control"] = "no-store"
    return response


def configure_security(app: Flask) -> None:
    app.after_request(add_security_headers)
