"""The privacy notice names the controller and the contact from configuration, states the
retention limits in force and the patient's rights, in each language; production warns at
start when the controller or the contact is missing; retention settings are checked at start."""

from __future__ import annotations

import logging
from html import unescape
from pathlib import Path

import pytest

from fit_platform.config import load_settings
from fit_platform.config_error import ConfigurationError
from fit_platform.web.public.privacy_notice import warn_if_privacy_notice_incomplete
from tests.conftest import make_test_app

CONFIGURED = {
    "privacy_controller": "Helse Testvik HF, org.nr. 999 999 999",
    "privacy_contact": "personvernombud@testvik.no, 22 00 00 00",
    "privacy_notice_url": "https://testvik.no/personvern",
    "retention_link_token_days": 14,
    "retention_access_log_years": 12,
}


def _page(database_url: str, tmp_path: Path, lang: str, **settings: object) -> str:
    app = make_test_app(database_url, tmp_path / "instance", **settings)
    try:
        response = app.test_client().get(f"/privacy?lang={lang}")
        assert response.status_code == 200
        return unescape(response.get_data(as_text=True))
    finally:
        app.extensions["fit_db"].dispose()


def test_the_notice_names_the_configured_controller_contact_and_retention(
    database_url: str, tmp_path: Path
) -> None:
    html = _page(database_url, tmp_path, "en", **CONFIGURED)
    assert "Helse Testvik HF, org.nr. 999 999 999" in html
    assert "personvernombud@testvik.no, 22 00 00 00" in html
    assert 'href="https://testvik.no/personvern"' in html
    assert "A questionnaire link is deleted 14 days after it stopped working." in html
    assert "is kept for 12 years" in html
    assert "A one-time code is deleted 1 day after it expired." in html
    for heading in (
        "Who is responsible",
        "Why we may use your answers",
        "What is collected",
        "Who sees it",
        "How long it is kept",
        "Your rights",
    ):
        assert f">{heading}</h2>" in html
    assert "article 9(2)(h)" in html
    assert "Datatilsynet" in html
    assert "Correction:" in html and "Erasure:" in html and "Access:" in html


def test_without_configuration_the_notice_tells_the_patient_to_ask_the_clinic(
    database_url: str, tmp_path: Path
) -> None:
    html = _page(database_url, tmp_path, "en")
    assert "Ask your clinic which one." in html
    assert "Your clinic can tell you how to reach them." in html
    assert "full privacy notice" not in html


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nb", ["Hvem som er ansvarlig", "Dine rettigheter", "Datatilsynet"]),
        ("nn", ["Kven som er ansvarleg", "Rettane dine", "Datatilsynet"]),
    ],
)
def test_the_notice_is_written_in_bokmaal_and_nynorsk(
    database_url: str, tmp_path: Path, lang: str, expected: list[str]
) -> None:
    html = _page(database_url, tmp_path, lang, **CONFIGURED)
    for text in expected:
        assert text in html
    assert "Who is responsible" not in html


def _production(**environ: str) -> dict[str, str]:
    return {
        "FIT_ENV": "production",
        "FIT_DATABASE_URL": "sqlite:///unused.sqlite3",
        "FIT_SECRET_KEY": "x" * 40,
        "FIT_TOTP_ENCRYPTION_KEY": "k" * 43 + "=",
        "FIT_PUBLIC_BASE_URL": "https://fit.helse-test.no",
        **environ,
    }


def test_production_warns_at_start_when_the_controller_or_contact_is_missing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    settings = load_settings(_production(FIT_PRIVACY_CONTROLLER="Helse Testvik HF"))
    assert warn_if_privacy_notice_incomplete(settings) is True
    assert "FIT_PRIVACY_CONTACT" in caplog.text and "FIT_PRIVACY_CONTROLLER" not in caplog.text
    complete = load_settings(
        _production(FIT_PRIVACY_CONTROLLER="Helse Testvik HF", FIT_PRIVACY_CONTACT="pvo@t.no")
    )
    assert warn_if_privacy_notice_incomplete(complete) is False


def test_retention_defaults_and_limits_are_checked_at_start() -> None:
    settings = load_settings(_production())
    assert (
        settings.retention_link_token_days,
        settings.retention_outbox_days,
        settings.retention_one_time_code_days,
        settings.retention_access_log_years,
    ) == (30, 90, 1, 10)
    for variable, value in (
        ("FIT_RETENTION_ACCESS_LOG_YEARS", "2"),
        ("FIT_RETENTION_LINK_TOKEN_DAYS", "0"),
        ("FIT_RETENTION_OUTBOX_DAYS", "ninety"),
        ("FIT_RETENTION_ONE_TIME_CODE_DAYS", "400"),
        ("FIT_PRIVACY_NOTICE_URL", "javascript:alert(1)"),
    ):
        with pytest.raises(ConfigurationError, match=variable):
            load_settings(_production(**{variable: value}))


def test_what_the_notice_says_the_unit_leaders_see_is_what_a_unit_lead_can_read(
    database_url: str, tmp_path: Path
) -> None:
    """The notice said a unit's leader saw answers only when a risk answer was overdue; a unit
    lead reads every patient of the unit (the caseload "Everyone in the units I lead")."""
    from fit_platform.domain.codes import Role
    from tests.support.factories import PASSWORD, make_staff, make_world
    from tests.support.html import log_in
    from tests.support.patient import Patient, open_invitation

    app = make_test_app(database_url, tmp_path / "instance")
    try:
        db = app.extensions["fit_db"]
        world = make_world(db)
        _invitation, token = open_invitation(db, world, "phq9")
        patient = Patient(app.test_client(), token)
        patient.start()
        patient.answer_all("phq9", "0")  # no risk answer, no signal: nothing overdue
        assert patient.finish().status_code == 302
        lead = make_staff(db, (Role.UNIT_LEAD, world.unit_id))
        client = app.test_client()
        log_in(client, lead.username, PASSWORD)
        view = client.get(f"/clinician/episodes/{world.episode_id}?lang=en")
        assert view.status_code == 200 and "PHQ-9" in view.get_data(as_text=True)
        notice = unescape(client.get("/privacy?lang=en").get_data(as_text=True))
    finally:
        app.extensions["fit_db"].dispose()
    assert "who can read the answers of every patient in the unit" in notice
    assert "if a risk answer has not been followed up in time." not in notice
