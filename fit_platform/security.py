"""Security headers on every response. No inline script or style anywhere, so CSP stays strict."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, g, request


def content_security_policy(form_action_origin: str | None = None) -> str:
    """The policy; `form_action_origin` lets one page's form go to an outside origin (the
    staff login's button to the identity provider, which browsers check after our redirect)."""
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


def allow_form_action_to(url: str) -> None:
    """Let this response's forms lead to `url`'s origin (scheme, host and port only)."""
    parts = urlsplit(url)
    if parts.scheme in ("https", "http") and parts.netloc:
        g.csp_form_action_origin = f"{parts.scheme}://{parts.netloc}"


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    extra = g.get("csp_form_action_origin")
    headers.setdefault(
        "Content-Security-Policy",
        content_security_policy(extra) if extra else CONTENT_SECURITY_POLICY,
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if not request.path.startswith("/static/"):
        # Pages show personal data; nothing of them may be kept by a browser or proxy.
        headers["Cache-Control"] = "no-store"
    return response


def configure_security(app: Flask) -> None:
    app.after_request(add_security_headers)
