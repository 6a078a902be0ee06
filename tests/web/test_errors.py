from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import make_test_app
from tests.support.production_stack import free_port


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


def test_an_unhandled_database_error_is_logged_without_the_key_value_it_quotes(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL's message for a unique key quotes the key's value (an e-mail address, a
    record number): the unhandled-error line names the error, not the message, and carries
    no traceback (`db/failure.py`)."""
    from sqlalchemy import text

    from fit_platform.db import Database
    from tests.support.factories import make_staff

    db: Database = app.extensions["fit_db"]
    taken, other = make_staff(db).username, make_staff(db).id

    @app.route("/duplicate-for-test")
    def duplicate() -> str:
        with db.transaction() as session:  # a bug: no check for the taken name first
            session.execute(
                text("UPDATE staff SET username = :name WHERE id = :id"),
                {"name": taken, "id": other},
            )
        return "never"

    with caplog.at_level("INFO"):
        response = app.test_client().get("/duplicate-for-test?lang=en")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
    [line] = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    assert line.exc_info is None
    assert vars(line)["error"] in ("UniqueViolation", "IntegrityError")
    assert vars(line)["reason"] == "database constraint refused the change"
    logged = " ".join(str(v) for v in vars(line).values())
    assert taken not in logged


def test_too_large_a_request_gets_a_413_page(client: FlaskClient) -> None:
    response = client.post("/staff/login", data={"username": "x" * 300_000})
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("nb", "Tjenesten er utilgjengelig en liten stund"),
        ("nn", "Tenesta er utilgjengeleg ei lita stund"),
        ("en", "The service is unavailable for a moment"),
    ],
)
def test_a_database_that_does_not_answer_gets_a_translated_503_page(
    tmp_path: Path, language: str, text: str
) -> None:
    """Nothing listens on the port: what a patient sees while PostgreSQL restarts (the
    restart itself under load: tests/smoke/test_fault_database_restart.py)."""
    url = f"postgresql+psycopg://fit@127.0.0.1:{free_port()}/fit?connect_timeout=2"
    app = make_test_app(url, tmp_path / "instance")
    response = app.test_client().get(f"/p/{'x' * 43}?lang={language}")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert text in body and "Traceback" not in body and "127.0.0.1" not in body
    assert response.headers["Retry-After"] == "30"
    app.extensions["fit_db"].dispose()
