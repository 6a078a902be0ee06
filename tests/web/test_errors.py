from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient


@pytest.mark.parametrize(
    ("language", "text"),
    [("nb", "Fant ikke siden"), ("nn", "Fann ikkje sida"), ("en", "Page not found")],
)
def test_unknown_page_gets_a_translated_404(client: FlaskClient, language: str, text: str) -> None:
    client.get(f"/?lang={language}")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert text in response.get_data(as_text=True)


def test_post_without_csrf_token_gets_a_translated_400(client: FlaskClient) -> None:
    client.get("/?lang=en")
    response = client.post("/staff/login", data={"username": "a", "password": "b"})
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)


def test_unsupported_language_in_the_url_is_a_404_page(client: FlaskClient) -> None:
    response = client.get("/language/%FF%FE")
    assert response.status_code == 404
    assert "<h1>" in response.get_data(as_text=True)


def test_malformed_query_parameters_never_break_a_page(client: FlaskClient) -> None:
    response = client.get("/staff/login?next=%00%ff&lang=%E0%A4%A")
    assert response.status_code == 200


def test_wrong_method_gets_a_405_page(client: FlaskClient) -> None:
    response = client.put("/")
    assert response.status_code == 405
    assert "<h1>" in response.get_data(as_text=True)


def test_an_unexpected_error_is_a_friendly_500_without_a_traceback(app: Flask) -> None:
    @app.route("/explode-for-test")
    def explode() -> str:
        raise RuntimeError("secret internals /p/abcdefghijklmnopqrstuvwxyz")

    response = app.test_client().get("/explode-for-test?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert "Traceback" not in html and "secret internals" not in html


def test_too_large_a_request_gets_a_413_page(client: FlaskClient) -> None:
    response = client.post("/staff/login", data={"username": "x" * 300_000})
    assert response.status_code == 413
