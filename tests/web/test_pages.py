from __future__ import annotations

import pytest
from flask.testing import FlaskClient

LANGUAGE_HEADINGS = {
    "nb": "Tilbakemelding i behandlingen",
    "nn": "Tilbakemelding i behandlinga",
    "en": "Feedback in treatment",
}


@pytest.mark.parametrize("language", sorted(LANGUAGE_HEADINGS))
@pytest.mark.parametrize("path", ["/", "/staff/login", "/privacy"])
def test_public_pages_answer_in_every_language(
    client: FlaskClient, path: str, language: str
) -> None:
    response = client.get(f"{path}?lang={language}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{language}">' in html
    assert LANGUAGE_HEADINGS[language] in html


def test_bokmaal_is_the_default_language(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="nb">' in html


def test_accept_language_picks_english_when_nothing_was_chosen(client: FlaskClient) -> None:
    html = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in html


def test_plain_norwegian_accept_language_means_bokmaal(client: FlaskClient) -> None:
    html = client.get("/", headers={"Accept-Language": "no"}).get_data(as_text=True)
    assert '<html lang="nb">' in html


def test_explicit_language_choice_is_remembered_over_accept_language(client: FlaskClient) -> None:
    client.get("/?lang=nn")
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="nn">' in html


def test_language_route_remembers_choice_and_refuses_offsite_redirects(client: FlaskClient) -> None:
    response = client.get("/language/en?next=//evil.example/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_every_response_carries_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_is_sent_over_https(client: FlaskClient) -> None:
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_have_no_inline_script_or_style(client: FlaskClient) -> None:
    html = client.get("/staff/login").get_data(as_text=True)
    assert "<script" not in html
    assert "style=" not in html and "<style" not in html


def test_health_endpoint_answers(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
