"""A staff member and a patient talking to a running server over real HTTP (httpx), the way
a browser with JavaScript off does: forms with their CSRF tokens, cookies, redirects."""

from __future__ import annotations

import re

import httpx

from fit_platform.domain.instruments import default_instruments
from fit_platform.services.answering import page_plan
from tests.support.html import csrf_token


def staff_client(base_url: str, username: str, password: str) -> httpx.Client:
    """A logged-in staff client (no second factor)."""
    client = httpx.Client(base_url=base_url, timeout=30)
    page = client.get("/staff/login?lang=en").text
    response = client.post(
        "/staff/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302, response.text[:1000]
    return client


def register_patient(
    client: httpx.Client,
    *,
    unit_id: int,
    name: str,
    started_on: str,
    phone: str = "",
    email: str = "",
    channel: str = "sms",
) -> int:
    """Register through /clinician/register; returns the new episode's id."""
    page = client.get("/clinician/register?lang=en").text
    response = client.post(
        "/clinician/register",
        data={
            "csrf_token": csrf_token(page),
            "display_name": name,
            "external_id": "",
            "phone": phone,
            "email": email,
            "language": "nb",
            "channel": channel,
            "unit": str(unit_id),
            "started_on": started_on,
        },
    )
    assert response.status_code == 302, response.text[:2000]
    match = re.search(r"/clinician/episodes/(\d+)/appointments", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def add_day_before_rule(client: httpx.Client, episode_id: int, instrument: str = "phq9") -> None:
    """The episode's plan: the questionnaire 24 hours before each session, until it starts."""
    url = f"/clinician/episodes/{episode_id}/schedule"
    page = client.get(url + "?lang=en").text
    rule = {
        "instrument": instrument,
        "trigger": "before_appointment",
        "offset_hours": "24",
        "window_hours": "24",
        "min_interval_hours": "0",
        "active": "y",
    }
    response = client.post(
        url, data={"new-csrf_token": csrf_token(page), **{f"new-{k}": v for k, v in rule.items()}}
    )
    assert response.status_code == 302, response.text[:2000]


def add_appointment(client: httpx.Client, episode_id: int, day: str, time: str) -> None:
    url = f"/clinician/episodes/{episode_id}/appointments"
    page = client.get(url + "?lang=en").text
    response = client.post(url, data={"csrf_token": csrf_token(page), "day": day, "time": time})
    assert response.status_code == 302, response.text[:2000]


def link_in(text: str, base_url: str) -> str:
    match = re.search(re.escape(base_url) + r"/p/[A-Za-z0-9_\-]+", text)
    assert match, f"no link to {base_url} in {text!r}"
    return match.group(0)


def answer_link(
    link: str, instrument: str = "phq9", code: str = "2", *, client: httpx.Client | None = None
) -> httpx.Response:
    """Open the link, start, answer every page with `code`, finish; returns the last response
    (a 302 to /p/done when the answers were saved)."""
    own = client is None
    client = client or httpx.Client(timeout=30)
    try:
        landing = client.get(link)
        assert landing.status_code == 200, landing.text[:1000]
        token = csrf_token(landing.text)
        base = link.split("/p/")[0]
        response = client.post(link, data={"csrf_token": token, "action": "start"})
        assert response.status_code == 302, response.text[:1000]
        inst = default_instruments()[instrument]
        for number, link_ids in enumerate(page_plan(inst), start=1):
            response = client.post(
                f"{base}/p/answer/{number}",
                data={"csrf_token": token, **{link_id: code for link_id in link_ids}},
            )
            assert response.status_code == 302, response.text[:1000]
        return client.post(f"{base}/p/finish", data={"csrf_token": token})
    finally:
        if own:
            client.close()
