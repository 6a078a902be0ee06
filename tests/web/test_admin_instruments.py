"""The admin Instruments page: drafts and why, per-unit switches with their audit rows, the
service's own instruments folder; and what a therapist's schedule form then offers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import AdminAudit, ScheduleRule, UnitInstrument
from fit_platform.domain.codes import Role, ScheduleTrigger
from fit_platform.domain.instruments import INSTRUMENTS_DIR, configure_extra_dirs
from fit_platform.services.enqueue import enqueue_due
from tests.conftest import make_test_app
from tests.support.factories import NOW, PASSWORD, make_staff, make_world
from tests.support.html import csrf_token, log_in
from tests.support.scheduling import OSLO, RuleSpec, gad7_before_an_evening_session, give_plan

DRAFT_REASON = "No: this definition is a draft."


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _rule(instrument: str) -> dict[str, object]:
    return {
        "new-instrument": instrument,
        "new-trigger": "after_appointment",
        "new-offset_hours": "1",
        "new-window_hours": "48",
        "new-min_interval_hours": "0",
        "new-active": "y",
    }


@pytest.fixture
def shipped_only() -> Iterator[None]:
    yield
    configure_extra_dirs([])


def test_the_page_says_why_the_sai_cannot_be_scheduled_and_lists_each_unit(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    html = client.get("/admin/instruments?lang=en").get_data(as_text=True)
    sai = html.split('id="instrument-sai"', 1)[1].split("</section>", 1)[0]
    assert DRAFT_REASON in sai and "<code>sai</code> 0.1.2" in sai
    assert "Checked on 2026-12-02" in sai  # the content note says what was checked
    phq9 = html.split('id="instrument-phq9"', 1)[1].split("</section>", 1)[0]
    assert "Yes, for units that enable it" in phq9 and "Official text" in phq9
    unit = html.split(f'id="unit-{world.unit_id}"', 1)[1].split("</section>", 1)[0]
    assert f'action="/admin/instruments/units/{world.unit_id}/gad7"' in unit
    assert "/sai" not in unit  # a draft has no switch
    assert "None is configured (FIT_INSTRUMENTS_DIR)" in html
    nb = client.get("/admin/instruments?lang=nb").get_data(as_text=True)
    assert "Nei: denne definisjonen er et utkast." in nb
    # Each language is named in the page's language (it read "English" on a bokmål page).
    phq9_nb = nb.split('id="instrument-phq9"', 1)[1].split("</section>", 1)[0]
    assert "<td>Engelsk</td>" in phq9_nb and "<td>Norsk nynorsk</td>" in phq9_nb
    assert "<td>English</td>" not in phq9_nb
    # ... while the language menu keeps naming each language in itself, as on every page.
    menu = nb.split('class="language-switcher"', 1)[1].split("</nav>", 1)[0]
    assert ">Bokmål</a>" in menu and ">English</a>" in menu and "Engelsk" not in menu


def test_an_admin_disables_an_instrument_and_the_therapist_is_no_longer_offered_it(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    admin = make_staff(db, (Role.ADMIN, None))
    schedule = f"/clinician/episodes/{world.episode_id}/schedule?lang=en"
    log_in(client, world.therapist_username, PASSWORD)
    assert '<option value="gad7"' in client.get(schedule).get_data(as_text=True)

    admin_client = client.application.test_client()
    log_in(admin_client, admin.username, PASSWORD)
    page = admin_client.get("/admin/instruments?lang=en").get_data(as_text=True)
    response = admin_client.post(
        f"/admin/instruments/units/{world.unit_id}/gad7",
        data={"csrf_token": csrf_token(page), "enabled": "0"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/instruments#unit-{world.unit_id}")
    page = admin_client.get("/admin/instruments?lang=en").get_data(as_text=True)
    assert "Saved. The change is recorded in the admin audit trail." in page
    audit = admin_client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "Questionnaire disabled for a unit" in audit

    form = client.get(schedule).get_data(as_text=True)
    assert '<option value="gad7"' not in form and '<option value="phq9"' in form
    # A forged post of the disabled instrument is refused with the reason, nothing saved.
    response = client.post(schedule, data={"new-csrf_token": csrf_token(form), **_rule("gad7")})
    assert response.status_code == 422
    assert "not enabled for this unit" in response.get_data(as_text=True)
    with db.session() as session:
        assert session.scalars(select(ScheduleRule)).all() == []


def test_a_therapist_posting_the_draft_sai_gets_a_clear_message_and_nothing_is_saved(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/schedule?lang=en"
    form = client.get(url).get_data(as_text=True)
    assert '<option value="sai"' not in form
    response = client.post(url, data={"new-csrf_token": csrf_token(form), **_rule("sai")})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This questionnaire is a draft" in html
    with db.session() as session:
        assert session.scalars(select(ScheduleRule)).all() == []
    nn = client.post(
        f"/clinician/episodes/{world.episode_id}/schedule?lang=nn",
        data={"new-csrf_token": csrf_token(form), **_rule("sai")},
    )
    assert "Dette skjemaet er eit utkast" in nn.get_data(as_text=True)


def test_an_old_rule_naming_the_sai_is_shown_marked_and_cannot_be_saved_unchanged(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    give_plan(db, world.episode_id, RuleSpec("sai", ScheduleTrigger.AFTER_APPOINTMENT, 1))
    with db.session() as session:
        rule_id = session.scalars(select(ScheduleRule.id)).one()
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/schedule"
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "(draft or retired: not sent)" in page
    data = {key.replace("new-", f"rule-{rule_id}-"): v for key, v in _rule("sai").items()}
    response = client.post(
        f"{url}/{rule_id}?lang=en", data={f"rule-{rule_id}-csrf_token": csrf_token(page), **data}
    )
    assert response.status_code == 422
    assert "This questionnaire is a draft" in response.get_data(as_text=True)


def test_bad_switch_requests_change_nothing(client: FlaskClient) -> None:
    db = _db(client)
    world = make_world(db)
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    token = csrf_token(client.get("/admin/instruments").get_data(as_text=True))
    base = f"/admin/instruments/units/{world.unit_id}"
    assert (
        client.post(f"{base}/gad7", data={"csrf_token": token, "enabled": "x"}).status_code == 400
    )
    assert client.post(f"{base}/gad7", data={"enabled": "0"}).status_code == 400  # no CSRF token
    assert (
        client.post(
            "/admin/instruments/units/999999/gad7", data={"csrf_token": token, "enabled": "0"}
        ).status_code
        == 404
    )
    response = client.post(
        f"{base}/sai?lang=en", data={"csrf_token": token, "enabled": "1"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "A draft questionnaire cannot be enabled." in response.get_data(as_text=True)
    response = client.post(f"{base}/nope", data={"csrf_token": token, "enabled": "1"})
    assert response.status_code == 302
    with db.session() as session:
        assert session.get(UnitInstrument, (world.unit_id, "gad7")) is not None
        assert session.get(UnitInstrument, (world.unit_id, "sai")) is None
        assert session.scalars(select(AdminAudit)).all() == []


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.SERVICE_DEVELOPER, Role.UNIT_LEAD])
def test_only_administrators_may_switch(client: FlaskClient, role: Role) -> None:
    db = _db(client)
    world = make_world(db)
    staff = make_staff(db, (role, world.unit_id))
    log_in(client, staff.username, PASSWORD)
    token = csrf_token(client.get("/clinician/register").get_data(as_text=True))
    response = client.post(
        f"/admin/instruments/units/{world.unit_id}/gad7", data={"csrf_token": token, "enabled": "0"}
    )
    assert response.status_code == 403
    with db.session() as session:
        assert session.get(UnitInstrument, (world.unit_id, "gad7")) is not None


def test_the_services_folder_is_loaded_and_a_bad_file_is_named_at_start_and_on_the_page(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], shipped_only: None
) -> None:
    folder = tmp_path / "instruments"
    folder.mkdir()
    local = json.loads((INSTRUMENTS_DIR / "wai_sr.json").read_text(encoding="utf-8"))
    local["id"], local["title"]["en"] = "wai_local", "Local alliance scale"
    (folder / "wai_local.json").write_text(json.dumps(local), encoding="utf-8")
    bad = json.loads((INSTRUMENTS_DIR / "gad7.json").read_text(encoding="utf-8"))
    bad["id"] = "gad7_local"
    del bad["scoring"]["range"]
    (folder / "gad7_local.json").write_text(json.dumps(bad), encoding="utf-8")

    app = make_test_app(database_url, tmp_path / "instance", instruments_dir=folder)
    try:
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
        logged = [line for line in lines if line.get("msg") == "instrument definition not loaded"]
        assert [(line["file"], line["field"], line["level"]) for line in logged] == [
            ("gad7_local.json", "scoring", "ERROR")
        ]
        client = app.test_client()
        admin = make_staff(app.extensions["fit_db"], (Role.ADMIN, None))
        log_in(client, admin.username, PASSWORD)
        response = client.get("/admin/instruments?lang=en")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert str(folder) in html
        assert "1 file could not be loaded and is left out." in html
        assert "<code>gad7_local.json</code>: field <code>scoring</code>" in html
        assert 'id="instrument-wai_local"' in html and "Local alliance scale" in html
        assert 'id="instrument-gad7_local"' not in html
    finally:
        app.extensions["fit_db"].dispose()


def test_the_instruments_folder_is_read_from_the_environment(tmp_path: Path) -> None:
    from fit_platform.config import load_settings

    settings = load_settings({"FIT_ENV": "test", "FIT_INSTRUMENTS_DIR": str(tmp_path)})
    assert settings.instruments_dir == tmp_path
    assert load_settings({"FIT_ENV": "test"}).instruments_dir is None


def test_a_rule_naming_a_questionnaire_switched_off_is_said_to_be_still_sent_and_it_is(
    client: FlaskClient,
) -> None:
    """Switching a questionnaire off for a unit does not stop a rule that already names it
    (docs/instruments.md): the therapist's schedule page says so, and the scheduler sends it."""
    db = _db(client)
    world = make_world(db)
    due = gad7_before_an_evening_session(db, world.episode_id, NOW)
    admin = client.application.test_client()
    log_in(admin, make_staff(db, (Role.ADMIN, None)).username, PASSWORD)
    page = admin.get("/admin/instruments?lang=en").get_data(as_text=True)
    admin.post(
        f"/admin/instruments/units/{world.unit_id}/gad7",
        data={"csrf_token": csrf_token(page), "enabled": "0"},
    )
    log_in(client, world.therapist_username, PASSWORD)
    schedule = client.get(f"/clinician/episodes/{world.episode_id}/schedule?lang=en")
    shown = schedule.get_data(as_text=True)
    assert "(not enabled for this unit: still sent until the rule is changed)" in shown
    assert "not sent" not in shown
    assert enqueue_due(db, due, zone=OSLO).invitations == 1
