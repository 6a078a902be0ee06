"""The security headers, added once per response from a list built once per process: each
exactly once, none replacing what a view set itself."""

from __future__ import annotations

from flask import Flask

from fit_platform.security import CONTENT_SECURITY_POLICY
from tests.support.factories import make_world
from tests.support.patient import open_invitation

EXPECTED = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def test_a_patient_page_has_each_security_header_once(app: Flask) -> None:
    db = app.extensions["fit_db"]
    _invitation_id, token = open_invitation(db, make_world(db))
    response = app.test_client().get(f"/p/{token}")
    assert response.status_code == 200
    for name, value in EXPECTED.items():
        assert response.headers.getlist(name) == [value], name
    assert "Strict-Transport-Security" not in response.headers


def test_a_header_the_view_set_is_kept_and_not_doubled(app: Flask) -> None:
    @app.get("/test-own-headers")
    def own_headers() -> tuple[str, int, dict[str, str]]:
        return "x", 200, {"X-Frame-Options": "SAMEORIGIN", "Strict-Transport-Security": "max-age=1"}

    response = app.test_client().get("/test-own-headers", base_url="https://localhost")
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers.getlist("Strict-Transport-Security") == ["max-age=1"]
    assert response.headers.getlist("X-Content-Type-Options") == ["nosniff"]


def test_the_kept_coroutine_check_answers_as_flask_does(app: Flask) -> None:
    """Not a header: the app factory's other once-per-process change (`FitFlask`)."""

    def plain() -> str:
        return "x"

    async def coroutine() -> str:
        return "x"

    assert app.ensure_sync(plain) is plain
    assert app.ensure_sync(plain) is plain  # the second time from the kept answer
    assert Flask.ensure_sync(app, plain) is plain
    try:
        wrapped = app.ensure_sync(coroutine)
    except RuntimeError:  # Flask without its "async" extra refuses, before and after
        return
    assert wrapped is not coroutine and wrapped() == "x"
