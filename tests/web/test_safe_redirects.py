"""Every `next=` goes through one `safe_next()`: same-site paths only, never a 500."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fit_platform.web.redirects import is_same_site_path
from tests.support.factories import PASSWORD, make_world
from tests.support.html import csrf_token, log_in

# Targets as the browser sends them in the query string (already percent-encoded where needed).
KNOWN_BYPASSES = [
    "//evil.example",
    "//evil.example/",
    "/\\evil.example",
    "/%5Cevil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%0d/evil.example",
    "%5C%5Cevil.example",
    "\\\\evil.example",
    "https:evil.example",
    "https://evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "/%0d%0aLocation:%20https://evil.example",
    "/%0d%0aSet-Cookie:%20a=b",
    "%2F%2Fevil.example",
    "/%252F%252Fevil.example",
    "/%2F/evil.example",
    " //evil.example",
    "%20//evil.example",
    "/%00/evil.example",
    "evil.example",
    "///evil.example",
]


def _location(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code in (302, 303), response.status_code
    return str(response.headers["Location"])


def _browser_reading(location: str) -> str:
    """What a browser makes of a Location value: tab/CR/LF dropped, backslash read as slash."""
    return location.replace("\t", "").replace("\r", "").replace("\n", "").replace("\\", "/")


@pytest.mark.parametrize("target", KNOWN_BYPASSES)
def test_the_language_switch_never_sends_the_browser_to_another_site(
    client: FlaskClient, target: str
) -> None:
    response = client.get(f"/language/en?next={target}")
    assert _location(response) == "/"
    assert "The link pointed outside this service" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    "target", ["/", "/clinician/", "/privacy?lang=nb", "/clinician/episodes/3/appointments?x=1"]
)
def test_the_language_switch_returns_to_the_page_it_was_chosen_on(
    client: FlaskClient, target: str
) -> None:
    response = client.get(f"/language/nn?next={quote(target)}")
    assert _location(response) == target


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(target=st.text(alphabet=st.sampled_from("/\\:.%@?#\t\r\n 0aAdD9evil"), max_size=24))
def test_any_next_is_either_a_same_site_path_or_the_start_page(
    client: FlaskClient, target: str
) -> None:
    response = client.get("/language/en", query_string={"next": target})
    location = _browser_reading(_location(response))
    assert location.startswith("/") and not location.startswith("//")


@given(st.text(max_size=40))
def test_an_accepted_target_is_a_path_on_this_site_however_a_browser_reads_it(
    target: str,
) -> None:
    if is_same_site_path(target):
        reading = _browser_reading(target)
        assert reading.startswith("/") and not reading.startswith("//")
        parts = urlsplit(reading)
        assert not parts.scheme and not parts.netloc


@pytest.mark.parametrize(
    "target", ["/%0d%0aLocation:%20https://evil.example", "/%09/evil.example", "//evil.example"]
)
def test_a_login_with_a_hostile_next_lands_on_the_staff_start_page(
    app: Flask, client: FlaskClient, target: str
) -> None:
    world = make_world(app.extensions["fit_db"])
    page = client.get(f"/staff/login?lang=en&next={target}")
    assert page.status_code == 200
    response = client.post(
        f"/staff/login?next={target}",
        data={
            "username": world.therapist_username,
            "password": PASSWORD,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert _location(response) == "/staff/"


def test_a_login_returns_to_the_page_that_asked_for_it(app: Flask, client: FlaskClient) -> None:
    world = make_world(app.extensions["fit_db"])
    page = client.get("/clinician/?lang=en")
    assert _location(page).startswith("/staff/login?next=")
    login_page = client.get(_location(page))
    response = client.post(
        _location(page),
        data={
            "username": world.therapist_username,
            "password": PASSWORD,
            "csrf_token": csrf_token(login_page.get_data(as_text=True)),
        },
    )
    assert _location(response) == "/clinician/?lang=en"


@pytest.mark.parametrize(
    "target", ["/clinician/\r\nLocation: https://evil.example", "/\t/evil.example", "/\\evil"]
)
def test_extending_the_session_with_a_hostile_next_stays_on_this_site(
    app: Flask, client: FlaskClient, target: str
) -> None:
    world = make_world(app.extensions["fit_db"])
    log_in(client, world.therapist_username, PASSWORD)
    html = client.get("/clinician/?lang=en").get_data(as_text=True)
    response = client.post(
        "/staff/session/extend", data={"csrf_token": csrf_token(html), "next": target}
    )
    assert _location(response) == "/staff/"
    followed = client.get("/clinician/?lang=en").get_data(as_text=True)
    assert "The link pointed outside this service" in followed
