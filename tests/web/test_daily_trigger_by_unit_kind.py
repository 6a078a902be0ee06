""" "Every programme day" belongs to day programmes: at an outpatient clinic (DPS poliklinikk)
the administrator's template and the therapist's episode schedule neither offer nor accept it,
and a daily rule stored there before (old data, or a unit whose kind changed) sends nothing and
is marked on the page. Each test goes from the form post or the scheduler tick to what the
other person sees; every time is fixed (Oslo), nothing reads the wall clock."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import AdminAudit, Invitation, SchedulePlan, ScheduleRule, Unit
from fit_platform.domain.codes import Role, ScheduleTrigger, UnitKind
from fit_platform.scheduler.clock import run_once
from tests.support.factories import PASSWORD, make_staff, make_unit, make_world
from tests.support.html import csrf_token, log_in
from tests.support.scheduling import Clock, RuleSpec, give_plan, oslo

REFUSED_EN = "“Every programme day” is for day programmes only"
REFUSED_NB = "«Hver dag i dagtilbudet» gjelder bare dagtilbud"
NOTE_EN = "Not sent: “Every programme day” is for day programmes only"
MARKED_EN = "Every programme day (day programmes only: not sent here)"
# Wednesday 2 December 2026, 12:00 in Oslo: a programme day, outside quiet hours.
MIDDAY = oslo(2026, 12, 2, 12)
DAILY_AT_TEN = RuleSpec(
    "phq9", ScheduleTrigger.DAILY, weekdays="1,2,3,4,5", send_time="10:00", window_hours=8
)


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _daily(prefix: str = "new", **changes: str) -> dict[str, object]:
    fields: dict[str, object] = {
        "instrument": "phq9",
        "trigger": "daily",
        "offset_hours": "0",
        "send_time": "10:00",
        "window_hours": "8",
        "min_interval_hours": "0",
        "active": "y",
        **changes,
    }
    return {f"{prefix}-{key}": value for key, value in fields.items()}


def _rule_form_action(page: str, rule_id: int) -> str:
    """Where the page's own form for a stored rule posts to (built during a GET, it must
    still name the rule: a query string was ignored and the post went to the new rule)."""
    actions: list[str] = re.findall(rf'action="([^"]*/(?:rules|schedule)/{rule_id})"', page)
    [action] = actions
    return action


def _template_of(client: FlaskClient, unit: Unit) -> str:
    """An administrator logged in with an empty template for `unit`; returns its URL."""
    admin = make_staff(_db(client), (Role.ADMIN, None), name="Ada Admin")
    log_in(client, admin.username, PASSWORD)
    token = csrf_token(client.get("/admin/schedule-templates").get_data(as_text=True))
    created = client.post(
        "/admin/schedule-templates",
        data={"csrf_token": token, "name": "Standard", "owner": f"unit:{unit.id}"},
    )
    assert created.status_code == 302
    return created.headers["Location"]


def test_an_outpatient_template_neither_offers_nor_accepts_every_programme_day(
    client: FlaskClient,
) -> None:
    db = _db(client)
    client.application.extensions["fit_clock"] = Clock(MIDDAY)
    url = _template_of(client, make_unit(db, UnitKind.OUTPATIENT))
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Weekly on chosen days" in page
    assert 'value="daily"' not in page
    # Nothing on the page names the daily rule it does not offer.
    assert "daily" not in page.lower().replace('value="daily"', "")
    assert "Days (weekly rules)" in page and "Time of day (weekly rules)" in page
    assert "Weekly rules go on for as long as the episode is open" in page
    audits = _count(db, AdminAudit)

    # A crafted post (an old tab, or a hand-made request) gets the reason in the page's
    # language, with what was typed kept, and nothing is saved.
    for lang, message in (("en", REFUSED_EN), ("nb", REFUSED_NB)):
        token = csrf_token(page)
        refused = client.post(f"{url}?lang={lang}", data={"new-csrf_token": token, **_daily()})
        assert refused.status_code == 422
        html = refused.get_data(as_text=True)
        assert message in html
        assert 'value="10:00"' in html
    assert _count(db, ScheduleRule) == 0
    assert _count(db, AdminAudit) == audits


def test_a_day_programme_template_offers_and_keeps_every_programme_day(
    client: FlaskClient,
) -> None:
    db = _db(client)
    client.application.extensions["fit_clock"] = Clock(MIDDAY)
    url = _template_of(client, make_unit(db, UnitKind.DAY_PROGRAMME))
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert 'value="daily"' in page and MARKED_EN not in page
    assert "Days (weekly and daily rules)" in page
    assert "Weekly and daily rules go on for as long as the episode is open" in page
    saved = client.post(url, data={"new-csrf_token": csrf_token(page), **_daily()})
    assert saved.status_code == 302
    with db.session() as session:
        assert session.scalars(select(ScheduleRule.trigger)).one() is ScheduleTrigger.DAILY
    # The preview lists the daily questionnaire from tomorrow (today's 10:00 has passed).
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Every programme day" in page


def test_a_therapist_at_an_outpatient_unit_cannot_add_a_daily_rule(client: FlaskClient) -> None:
    db = _db(client)
    world = make_world(db, unit=make_unit(db, UnitKind.OUTPATIENT))
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/schedule"
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Weekly on chosen days" in page and 'value="daily"' not in page
    assert "Days (weekly rules)" in page and "and daily rules" not in page
    refused = client.post(url + "?lang=nb", data={"new-csrf_token": csrf_token(page), **_daily()})
    assert refused.status_code == 422
    assert REFUSED_NB in refused.get_data(as_text=True)
    assert _count(db, ScheduleRule) == 0


def test_an_old_daily_rule_at_an_outpatient_unit_sends_nothing_and_says_so(
    client: FlaskClient,
) -> None:
    """A daily rule stored before this check (or before the unit became an outpatient
    clinic): the scheduler's tick creates no invitation from it, while the same rule at a day
    programme does; the therapist sees it marked and can switch it off."""
    db = _db(client)
    clock = Clock(MIDDAY)
    client.application.extensions["fit_clock"] = clock
    outpatient = make_world(db, unit=make_unit(db, UnitKind.OUTPATIENT))
    day_programme = make_world(db, unit=make_unit(db, UnitKind.DAY_PROGRAMME))
    for world in (outpatient, day_programme):
        give_plan(db, world.episode_id, DAILY_AT_TEN)

    run_once(db, None, clock=clock)
    with db.session() as session:
        invited = session.scalars(select(Invitation.episode_id)).all()
    assert invited == [day_programme.episode_id]

    log_in(client, outpatient.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{outpatient.episode_id}/schedule"
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert f'<option selected value="daily">{MARKED_EN}</option>' in page
    assert NOTE_EN in page
    # No link to the patient's programme days: there are none at an outpatient clinic.
    assert "The patient&#39;s days in the programme" not in page
    with db.session() as session:
        rule_id = session.scalars(
            select(ScheduleRule.id)
            .join(SchedulePlan, SchedulePlan.id == ScheduleRule.plan_id)
            .where(SchedulePlan.episode_id == outpatient.episode_id)
        ).one()
    switched_off = _daily(f"rule-{rule_id}")
    switched_off.pop(f"rule-{rule_id}-active")
    response = client.post(
        _rule_form_action(page, rule_id),
        data={f"rule-{rule_id}-csrf_token": csrf_token(page), **switched_off},
    )
    assert response.status_code == 302
    with db.session() as session:
        assert session.get_one(ScheduleRule, rule_id).active is False


def test_an_old_daily_rule_in_an_outpatient_template_is_marked_and_not_previewed(
    client: FlaskClient,
) -> None:
    db = _db(client)
    client.application.extensions["fit_clock"] = Clock(MIDDAY)
    unit = make_unit(db, UnitKind.OUTPATIENT)
    url = _template_of(client, unit)
    template_id = int(url.rstrip("/").rsplit("/", 1)[1])
    with db.transaction() as session:
        session.add(ScheduleRule(plan_id=template_id, **vars(DAILY_AT_TEN)))
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert MARKED_EN in page
    assert NOTE_EN in page
    assert "Nothing would be sent" in page
    with db.session() as session:
        rule_id = session.scalars(select(ScheduleRule.id)).one()
    kept_in_use = client.post(
        _rule_form_action(page, rule_id) + "?lang=en",
        data={f"rule-{rule_id}-csrf_token": csrf_token(page), **_daily(f"rule-{rule_id}")},
    )
    assert kept_in_use.status_code == 422
    assert REFUSED_EN in kept_in_use.get_data(as_text=True)
