"""A questionnaire an administrator switches off for a unit, followed to the therapist's rules,
the unit's template and the next patient registered.

A walk switched the PHQ-9 off for a clinic, then as the therapist unticked "In use" on a
patient's PHQ-9 rule to stop it: refused, "This questionnaire is not enabled for this unit",
and the rule went on sending; changing its hours was refused the same way, so nothing short
of another questionnaire (or the administrator) could stop it. The template's rule, meanwhile,
saved without a word, so every patient registered afterwards started with a rule that their
therapist could then neither change nor stop. Rules already running keep sending
(`docs/instruments.md`); a rule can always be switched off; a rule in use, an episode's or a
template's, names an enabled questionnaire; a new patient does not get a switched-off one.
"""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Episode, SchedulePlan, ScheduleRule
from fit_platform.domain.codes import Role
from fit_platform.services.enqueue import enqueue_due
from tests.support.factories import NOW, PASSWORD, make_staff, make_world
from tests.support.html import csrf_token, log_in
from tests.support.registration import post_registration
from tests.support.scheduling import OSLO, gad7_before_an_evening_session


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _rule(prefix: str, /, **changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "instrument": "gad7",
        "trigger": "before_appointment",
        "offset_hours": "4",
        "window_hours": "4",
        "min_interval_hours": "0",
        "active": "y",
        **changes,
    }
    return {f"{prefix}-{key}": value for key, value in fields.items() if value is not None}


def _switch_off_gad7(client: FlaskClient, unit_id: int) -> FlaskClient:
    admin = client.application.test_client()
    log_in(admin, make_staff(_db(client), (Role.ADMIN, None)).username, PASSWORD)
    page = admin.get("/admin/instruments?lang=en").get_data(as_text=True)
    switched = admin.post(
        f"/admin/instruments/units/{unit_id}/gad7",
        data={"csrf_token": csrf_token(page), "enabled": "0"},
    )
    assert switched.status_code == 302
    return admin


def _rules_of(db: Database, episode_id: int) -> list[ScheduleRule]:
    with db.session() as session:
        rules = session.scalars(
            select(ScheduleRule)
            .join(SchedulePlan, SchedulePlan.id == ScheduleRule.plan_id)
            .where(SchedulePlan.episode_id == episode_id)
        ).all()
        session.expunge_all()
        return list(rules)


def test_the_therapist_can_stop_a_rule_whose_questionnaire_was_switched_off(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    due = gad7_before_an_evening_session(db, world.episode_id, NOW)
    [rule] = _rules_of(db, world.episode_id)
    _switch_off_gad7(client, world.unit_id)
    log_in(client, world.therapist_username, PASSWORD)
    schedule = f"/clinician/episodes/{world.episode_id}/schedule"
    page = client.get(f"{schedule}?lang=en").get_data(as_text=True)
    assert "(not enabled for this unit: still sent until the rule is changed)" in page
    # Said under the select too: the option alone was cut off at 320 px.
    assert "the rule still sends it until it is changed. Choose another questionnaire" in page
    prefix = f"rule-{rule.id}"

    # Its hours changed while it stays in use: refused, as before (choose another one).
    kept_on = client.post(
        f"{schedule}/{rule.id}?lang=en",
        data={f"{prefix}-csrf_token": csrf_token(page), **_rule(prefix, window_hours="6")},
    )
    assert kept_on.status_code == 422
    assert "This questionnaire is not enabled for this unit." in kept_on.get_data(as_text=True)

    stopped = client.post(
        f"{schedule}/{rule.id}?lang=en",
        data={f"{prefix}-csrf_token": csrf_token(page), **_rule(prefix, active=None)},
    )
    assert stopped.status_code == 302
    [rule] = _rules_of(db, world.episode_id)
    assert rule.active is False
    # And it is stopped: the tick that would have sent its GAD-7 sends nothing.
    assert enqueue_due(db, due, zone=OSLO).invitations == 0
    upcoming = client.get(f"{schedule}?lang=en").get_data(as_text=True)
    assert "GAD-7" not in upcoming.split('id="upcoming', 1)[1].split("</section>", 1)[0]
    # Switched off, it is no longer said to be sent.
    assert "still sent until the rule is changed" not in upcoming
    assert "(not enabled for this unit)</option>" in upcoming
    assert "choose another before switching the rule on" in upcoming


def test_a_template_rule_in_use_names_an_enabled_questionnaire_and_new_patients_lack_it(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)  # its unit, and a therapist there
    admin = client.application.test_client()
    log_in(admin, make_staff(db, (Role.ADMIN, None)).username, PASSWORD)
    page = admin.get("/admin/schedule-templates?lang=en").get_data(as_text=True)
    created = admin.post(
        "/admin/schedule-templates",
        data={"csrf_token": csrf_token(page), "name": "Standard", "owner": f"unit:{world.unit_id}"},
    )
    template = created.headers["Location"]
    page = admin.get(f"{template}?lang=en").get_data(as_text=True)
    token = csrf_token(page)
    assert admin.post(template, data={"new-csrf_token": token, **_rule("new")}).status_code == 302
    with db.session() as session:
        rule_id = session.scalars(
            select(ScheduleRule.id)
            .join(SchedulePlan, SchedulePlan.id == ScheduleRule.plan_id)
            .where(SchedulePlan.episode_id.is_(None), SchedulePlan.unit_id == world.unit_id)
        ).one()

    _switch_off_gad7(client, world.unit_id)
    page = admin.get(f"{template}?lang=en").get_data(as_text=True)
    assert "(not enabled for this unit: not given to patients registered now)" in page
    assert "patients registered now do not get this rule" in page
    preview = page.split('id="preview-heading"', 1)[1].split("</section>", 1)[0]
    assert "GAD-7" not in preview

    # A patient registered now starts without it.
    log_in(client, world.therapist_username, PASSWORD)
    registered = post_registration(client, world.unit_id, started_on="2026-12-02")
    assert registered.status_code == 302
    with db.session() as session:
        newest = session.scalars(select(Episode.id).order_by(Episode.id.desc())).first()
    assert newest is not None and newest != world.episode_id
    assert _rules_of(db, newest) == []

    # The administrator is told why a change that keeps it in use is refused ...
    prefix = f"rule-{rule_id}"
    refused = admin.post(
        f"{template}/rules/{rule_id}?lang=en",
        data={f"{prefix}-csrf_token": token, **_rule(prefix, window_hours="6")},
    )
    assert refused.status_code == 422
    assert "patients registered from now on would not get it" in refused.get_data(as_text=True)
    # ... and may switch it off.
    stopped = admin.post(
        f"{template}/rules/{rule_id}",
        data={f"{prefix}-csrf_token": token, **_rule(prefix, active=None)},
    )
    assert stopped.status_code == 302
    with db.session() as session:
        assert session.get_one(ScheduleRule, rule_id).active is False
