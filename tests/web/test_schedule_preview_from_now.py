"""The schedule template's preview starts from the page's clock: a send time already passed
today is never listed as coming. The administrator adds a daily rule through the form and
reads the preview at 06:00, 14:00 and 22:30 Oslo time (the app's injected clock)."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Role, UnitKind
from tests.support.factories import PASSWORD, make_staff, make_unit
from tests.support.html import csrf_token, log_in
from tests.support.scheduling import Clock, oslo


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _template_with_daily_rule(
    client: FlaskClient, window_hours: str, send_time: str = "10:00"
) -> str:
    """An administrator's template for a day programme, with a GAD-7 every programme day at
    `send_time` (Monday to Friday); returns the template's URL."""
    unit = make_unit(_db(client), UnitKind.DAY_PROGRAMME)
    admin = make_staff(_db(client), (Role.ADMIN, None), name="Ada Admin")
    log_in(client, admin.username, PASSWORD)
    token = csrf_token(client.get("/admin/schedule-templates").get_data(as_text=True))
    created = client.post(
        "/admin/schedule-templates",
        data={"csrf_token": token, "name": "Dagtilbud", "owner": f"unit:{unit.id}"},
    )
    url = created.headers["Location"]
    rule = {
        "instrument": "gad7",
        "trigger": "daily",
        "offset_hours": "0",
        "weekdays": ["1", "2", "3", "4", "5"],
        "send_time": send_time,
        "window_hours": window_hours,
        "min_interval_hours": "0",
        "active": "y",
    }
    saved = client.post(
        url, data={"new-csrf_token": token, **{f"new-{k}": v for k, v in rule.items()}}
    )
    assert saved.status_code == 302
    return url


def _preview_rows(client: FlaskClient, url: str) -> list[str]:
    page = client.get(url + "?lang=en").get_data(as_text=True)
    start = page.index('id="preview-heading"')
    preview = page[start : page.index("</section>", start)]
    rows = re.findall(r"<tr>(.*?)</tr>", preview, re.S)
    return [row.strip() for row in rows if "<td>" in row]


@pytest.mark.parametrize(
    ("hour", "minute", "first"),
    [
        (6, 0, "07/12/2026, 10:00"),  # before 10:00: today's is still to come
        (22, 30, "08/12/2026, 10:00"),  # today's 10:00 has passed: tomorrow's is first
    ],
    ids=["06:00", "22:30"],
)
def test_the_preview_lists_no_send_time_that_has_already_passed(
    client: FlaskClient, hour: int, minute: int, first: str
) -> None:
    # Monday 7 December 2026 in Oslo.
    client.application.extensions["fit_clock"] = Clock(oslo(2026, 12, 7, hour, minute))
    url = _template_with_daily_rule(client, window_hours="8")
    rows = _preview_rows(client, url)
    assert rows[0].startswith(f"<td>{first}")
    if hour > 10:
        assert not any("07/12/2026, 10:00" in row for row in rows)
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert f"A patient registered now (07/12/2026, {hour:02d}:{minute:02d})" in page


def test_a_questionnaire_whose_time_passed_but_can_still_be_answered_goes_at_registration(
    client: FlaskClient,
) -> None:
    client.application.extensions["fit_clock"] = Clock(oslo(2026, 12, 7, 14))
    url = _template_with_daily_rule(client, window_hours="48")
    first, second = _preview_rows(client, url)[:2]
    assert first.startswith("<td>07/12/2026, 14:00")
    assert "at registration: its planned time has passed" in first
    assert second.startswith("<td>08/12/2026, 10:00")
    assert "at registration" not in second
    page = client.get(url + "?lang=nn").get_data(as_text=True)
    assert "ved registreringa: tidspunktet var passert" in page


def test_a_late_slot_found_in_quiet_hours_is_listed_when_they_end_and_marked_late(
    client: FlaskClient,
) -> None:
    # Registered at 23:00, in the unit's quiet hours (21:00-08:00): today's 20:00 questionnaire
    # can still be answered, so the scheduler sends it at 08:00, late. The preview said
    # 08:00 without saying why.
    client.application.extensions["fit_clock"] = Clock(oslo(2026, 12, 7, 23))
    url = _template_with_daily_rule(client, window_hours="24", send_time="20:00")
    first, second = _preview_rows(client, url)[:2]
    assert first.startswith("<td>08/12/2026, 08:00")
    assert "late: its planned time had passed at registration" in first
    assert second.startswith("<td>08/12/2026, 20:00")
    assert "late" not in second and "at registration" not in second
    nynorsk = client.get(url + "?lang=nn").get_data(as_text=True)
    assert "for seint: tidspunktet var passert ved registreringa" in nynorsk


def test_a_slot_planned_for_the_minute_of_registration_is_on_time(client: FlaskClient) -> None:
    client.application.extensions["fit_clock"] = Clock(oslo(2026, 12, 7, 8))
    url = _template_with_daily_rule(client, window_hours="8", send_time="08:00")
    first = _preview_rows(client, url)[0]
    assert first.startswith("<td>07/12/2026, 08:00")
    assert "at registration" not in first and "late" not in first
