"""Small helpers for reading server-rendered pages in tests."""

from __future__ import annotations

import json
import re
from typing import Any


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


def log_in_from(client, login_url: str, username: str, password: str) -> str:  # type: ignore[no-untyped-def]
    """Log in on the login page a refused request was sent to (its `next=` kept); returns
    where the login lands."""
    page = client.get(login_url).get_data(as_text=True)
    response = client.post(
        login_url,
        data={"username": username, "password": password, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return str(response.headers["Location"])


def download_patient_file(admin, unit_id: int, patient_id: int, lang: str = "en") -> Any:  # type: ignore[no-untyped-def]
    """The administrator's download of everything held about a patient, as parsed JSON."""
    page = admin.get(f"/admin/patients?unit={unit_id}&lang={lang}").get_data(as_text=True)
    download = admin.post(
        f"/admin/patients/{patient_id}/export?lang={lang}",
        data={"csrf_token": csrf_token(page), "unit": unit_id},
    )
    assert download.status_code == 200, download.status_code
    return json.loads(download.get_data(as_text=True))
