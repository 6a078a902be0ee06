"""Small helpers for reading server-rendered pages in tests."""

from __future__ import annotations

import re


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)


def log_in(client, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Log a test client in through the real login form (no TOTP)."""
    page = client.get("/staff/login?lang=en").get_data(as_text=True)
    response = client.post(
        "/staff/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
