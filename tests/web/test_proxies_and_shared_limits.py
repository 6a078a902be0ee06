"""Behind a reverse proxy and with several workers: limits count per client and are shared.

Two app instances stand for two gunicorn workers; they share limits only through Redis.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from fit_platform.config import load_settings
from fit_platform.config_error import ConfigurationError
from tests.conftest import make_test_app
from tests.support.html import csrf_token
from tests.support.redis_server import throwaway_redis

LOGIN_LIMIT = 10  # POSTs per minute per client on /staff/login


@pytest.fixture
def database_file(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "fit.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with throwaway_redis() as url:
        yield url


def _wrong_login(client: FlaskClient, **environ: str) -> int:
    headers = {key: value for key, value in environ.items()}
    page = client.get("/staff/login?lang=en", headers=headers).get_data(as_text=True)
    response = client.post(
        "/staff/login",
        data={"username": "nobody@x.no", "password": "wrong", "csrf_token": csrf_token(page)},
        headers=headers,
    )
    # A wrong password is 401; a 400 would mean the CSRF check refused the form.
    assert response.status_code in (401, 429), response.status_code
    return response.status_code


def _workers(database_url: str, tmp_path: Path, **settings: object) -> list[Flask]:
    return [make_test_app(database_url, tmp_path / f"instance{n}", **settings) for n in range(2)]


def test_two_workers_share_the_login_limit_through_redis(
    database_file: str, tmp_path: Path, redis_url: str
) -> None:
    first, second = _workers(database_file, tmp_path, ratelimit_storage_uri=redis_url)
    clients = [first.test_client(), second.test_client()]
    codes = [_wrong_login(clients[n % 2]) for n in range(LOGIN_LIMIT)]
    assert 429 not in codes
    # The eleventh attempt is refused by whichever worker gets it, and the count lives in
    # Redis (in one test process the workers would share an in-memory count too).
    assert _wrong_login(clients[0]) == 429
    assert _wrong_login(clients[1]) == 429
    store = redis.Redis.from_url(redis_url)
    # redis-py types keys() for its blocking and asyncio clients at once.
    assert any(b"login" in key for key in store.keys("LIMITS*"))  # type: ignore[union-attr]
    store.close()


def test_behind_a_trusted_https_proxy_forms_work_limits_count_per_client_and_hsts_is_sent(
    database_file: str, tmp_path: Path
) -> None:
    app = make_test_app(database_file, tmp_path / "i", trusted_proxies=1)
    client = app.test_client()
    alice = {"X-Forwarded-For": "203.0.113.5", "X-Forwarded-Proto": "https"}
    bob = {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}
    for _ in range(LOGIN_LIMIT):
        assert _wrong_login(client, **alice) != 429
    assert _wrong_login(client, **alice) == 429
    assert _wrong_login(client, **bob) != 429
    response = client.get("/", headers=bob)
    assert "max-age" in response.headers.get("Strict-Transport-Security", "")


def test_without_trusted_proxies_forwarded_headers_are_ignored(
    database_file: str, tmp_path: Path
) -> None:
    app = make_test_app(database_file, tmp_path / "i")
    client = app.test_client()
    for n in range(LOGIN_LIMIT):
        # A forged header per request must not buy a fresh bucket.
        _wrong_login(client, **{"X-Forwarded-For": f"192.0.2.{n}"})
    assert _wrong_login(client, **{"X-Forwarded-For": "192.0.2.200"}) == 429
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_rate_limits_can_be_switched_off_for_benchmarks(database_file: str, tmp_path: Path) -> None:
    app = make_test_app(database_file, tmp_path / "i", ratelimit_enabled=False)
    client = app.test_client()
    assert all(_wrong_login(client) != 429 for _ in range(LOGIN_LIMIT + 2))


@pytest.mark.parametrize("value", ["-1", "6", "many"])
def test_a_wrong_number_of_trusted_proxies_stops_the_start(value: str) -> None:
    with pytest.raises(ConfigurationError):
        load_settings({"FIT_ENV": "test", "FIT_TRUSTED_PROXIES": value})
