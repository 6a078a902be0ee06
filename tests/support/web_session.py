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
    # The appointments next, or the schedule first when the unit has no template in use.
    match = re.search(
        r"/clinician/episodes/(\d+)/(?:appointments|schedule)", response.headers["Location"]
    )
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


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{re.escape(name)}"', html
    )
    assert match, f"page has no hidden field {name}"
    return match.group(1)


def _id_in(location: str, pattern: str) -> int:
    match = re.search(pattern, location)
    assert match, location
    return int(match.group(1))


def admin_creates_unit(client: httpx.Client, *, name: str, code: str, phone: str) -> int:
    """An administrator creates an outpatient unit on /admin/units; returns its id."""
    page = client.get("/admin/units?lang=en").text
    fields = {
        "name": name,
        "code": code,
        "kind": "outpatient",
        "phone": phone,
        "opening_hours": "08:00–15:30",
        "quiet_from": "21:00",
        "quiet_until": "08:00",
    }
    response = client.post(
        "/admin/units",
        data={
            "new-csrf_token": _hidden(page, "new-csrf_token"),
            **{f"new-{key}": value for key, value in fields.items()},
        },
    )
    assert response.status_code == 302, response.text[:2000]
    return _id_in(response.headers["Location"], r"/admin/units/(\d+)")


def admin_invites_therapist(client: httpx.Client, *, email: str, name: str, unit_id: int) -> None:
    """An administrator invites a therapist of `unit_id` by e-mail (/admin/staff/invite)."""
    page = client.get("/admin/staff/invite?lang=en").text
    response = client.post(
        "/admin/staff/invite",
        data={
            "csrf_token": csrf_token(page),
            "form_nonce": _hidden(page, "form_nonce"),
            "email": email,
            "display_name": name,
            "role": "therapist",
            "unit": str(unit_id),
        },
    )
    assert response.status_code == 302, response.text[:2000]


def admin_creates_day_before_template(client: httpx.Client, *, unit_id: int) -> int:
    """A schedule template for the whole unit: PHQ-9 24 hours before each session."""
    page = client.get("/admin/schedule-templates?lang=en").text
    response = client.post(
        "/admin/schedule-templates",
        data={"csrf_token": csrf_token(page), "name": "Poliklinikk", "owner": f"unit:{unit_id}"},
    )
    assert response.status_code == 302, response.text[:2000]
    template_id = _id_in(response.headers["Location"], r"/admin/schedule-templates/(\d+)")
    url = f"/admin/schedule-templates/{template_id}"
    page = client.get(url + "?lang=en").text
    rule = {
        "instrument": "phq9",
        "trigger": "before_appointment",
        "offset_hours": "24",
        "window_hours": "24",
        "min_interval_hours": "0",
        "active": "y",
    }
    response = client.post(
        url,
        data={
            "new-csrf_token": _hidden(page, "new-csrf_token"),
            **{f"new-{key}": value for key, value in rule.items()},
        },
    )
    assert response.status_code == 302, response.text[:2000]
    return template_id


def invite_link_in(text: str, base_url: str) -> str:
    match = re.search(re.escape(base_url) + r"/staff/invite/[A-Za-z0-9_\-]+", text)
    assert match, f"no invitation link to {base_url} in {text!r}"
    return match.group(0)


def set_password_from_invite(link: str, password: str) -> None:
    """The invited person opens the e-mailed link and chooses a password."""
    with httpx.Client(timeout=30) as client:
        page = client.get(link + "?lang=en")
        assert page.status_code == 200, page.text[:2000]
        response = client.post(
            link, data={"csrf_token": csrf_token(page.text), "new": password, "confirm": password}
        )
        assert response.status_code == 302, response.text[:2000]
