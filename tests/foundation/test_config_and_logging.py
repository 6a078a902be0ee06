from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from fit_platform.config import load_settings
from fit_platform.config_error import ConfigurationError
from fit_platform.logging_setup import PATIENT_PAGE_NAMES, JsonFormatter, redact


def test_production_refuses_to_start_without_a_database_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="FIT_DATABASE_URL"):
        load_settings({"FIT_ENV": "production", "FIT_SECRET_KEY": "x" * 40})


def test_production_refuses_to_start_without_a_secret_key() -> None:
    with pytest.raises(ConfigurationError, match="FIT_SECRET_KEY"):
        load_settings({"FIT_ENV": "production", "FIT_DATABASE_URL": "sqlite://"})


def test_production_refuses_to_start_without_a_key_for_totp_secrets() -> None:
    env = {
        "FIT_ENV": "production",
        "FIT_DATABASE_URL": "sqlite://",
        "FIT_SECRET_KEY": "x" * 40,
        "FIT_PUBLIC_BASE_URL": "https://fit.dps.example.no",
    }
    with pytest.raises(ConfigurationError, match="FIT_TOTP_ENCRYPTION_KEY"):
        load_settings(env)
    with pytest.raises(ConfigurationError, match="FIT_TOTP_ENCRYPTION_KEY"):
        load_settings({**env, "FIT_TOTP_ENCRYPTION_KEY": "not a fernet key"})


def test_production_refuses_to_start_without_a_public_base_url() -> None:
    """A missing one was refused quoting the demo's loopback address as if the operator had
    written it, and with FIT_ALLOW_INSECURE_HTTP it quietly became that address: every patient
    link would have pointed at 127.0.0.1."""
    from tests.support.cli import TOTP_KEY

    env = {
        "FIT_ENV": "production",
        "FIT_DATABASE_URL": "sqlite://",
        "FIT_SECRET_KEY": "x" * 40,
        "FIT_TOTP_ENCRYPTION_KEY": TOTP_KEY,
    }
    for lab in ({}, {"FIT_ALLOW_INSECURE_HTTP": "true"}):
        with pytest.raises(ConfigurationError, match="FIT_PUBLIC_BASE_URL is required") as refused:
            load_settings({**env, **lab})
        assert "127.0.0.1" not in str(refused.value)
    given = load_settings({**env, "FIT_PUBLIC_BASE_URL": "https://fit.dps.example.no/"})
    assert given.public_base_url == "https://fit.dps.example.no"


def test_demo_keeps_its_generated_key_for_totp_secrets(tmp_path: Path) -> None:
    env = {"FIT_ENV": "demo", "FIT_INSTANCE_PATH": str(tmp_path)}
    assert load_settings(env).totp_encryption_key == load_settings(env).totp_encryption_key
    assert (tmp_path / "totp_key").stat().st_mode & 0o077 == 0


def test_demo_defaults_to_a_sqlite_file_and_keeps_its_generated_key(tmp_path: Path) -> None:
    env = {"FIT_ENV": "demo", "FIT_INSTANCE_PATH": str(tmp_path)}
    first, second = load_settings(env), load_settings(env)
    assert first.database_url == f"sqlite:///{tmp_path / 'fit_platform.sqlite3'}"
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_bad_values_name_the_variable() -> None:
    base = {"FIT_ENV": "test"}
    with pytest.raises(ConfigurationError, match="FIT_SMTP_PORT"):
        load_settings({**base, "FIT_SMTP_PORT": "many"})
    with pytest.raises(ConfigurationError, match="FIT_TIMEZONE"):
        load_settings({**base, "FIT_TIMEZONE": "Mars/Olympus"})
    with pytest.raises(ConfigurationError, match="FIT_ENV"):
        load_settings({"FIT_ENV": "staging"})


def test_the_log_level_is_a_level_name_in_any_case_and_the_error_names_the_setting() -> None:
    assert load_settings({"FIT_ENV": "test", "FIT_LOG_LEVEL": "warning"}).log_level == "WARNING"
    with pytest.raises(ConfigurationError, match="FIT_LOG_LEVEL") as refused:
        load_settings({"FIT_ENV": "test", "FIT_LOG_LEVEL": "verbose"})
    assert refused.value.setting == "FIT_LOG_LEVEL"


def test_time_zone_defaults_to_oslo() -> None:
    assert load_settings({"FIT_ENV": "test"}).timezone == "Europe/Oslo"


def test_tokens_and_secrets_are_redacted_from_log_lines() -> None:
    token = "Zx9_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abc"
    line = redact(f"GET /p/{token}/answer?lang=nb&code=123456&password=hunter2 200")
    assert token not in line and "123456" not in line and "hunter2" not in line
    assert "/p/[redacted]" in line


def test_the_patient_pages_own_names_stay_readable_and_tokens_that_begin_with_one_do_not() -> None:
    """/p/progress and /p/my-crisis-plan read as /p/[redacted] in the logs: the pages' names
    are no secret, and an operator could not tell which page a line was about."""
    for page in ("progress", "my-crisis-plan/versions", "my-standing-choices", "logged-out"):
        assert redact(f"GET /p/{page} 200") == f"GET /p/{page} 200"
    for token in ("progressZx9_aBcDeFgHiJkLmNo", "idporten-9aBcDeFgHiJ", "Zx9_aBcDeFgHi"):
        assert redact(f"GET /p/{token} 200") == "GET /p/[redacted] 200"


def test_every_patient_page_name_of_eight_letters_or_more_is_listed(app: Flask) -> None:
    """A new patient page is masked in the logs until its name is listed (safe, unreadable)."""
    names = {
        rule.rule.split("/")[2]
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/p/") and not rule.rule.startswith("/p/<")
    }
    assert {name for name in names if len(name) >= 8} == set(PATIENT_PAGE_NAMES)


_TOKEN_PATH = re.compile(
    r"(/p/|/staff/invite/)"
    r"(?!(?:idporten|logged-out|my-crisis-plan|my-standing-choices|progress)(?![A-Za-z0-9_\-]))"
    r"[A-Za-z0-9_\-]{8,}"
)
_SECRET_PARAM = re.compile(r"((?:token|code|password|secret|sid)=)[^&\s\"']+", re.IGNORECASE)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "/p/",
                "/staff/invite/",
                "/P/",
                "=",
                "&",
                "?",
                " ",
                '"',
                "'",
                "token",
                "CODE",
                "Password",
                "secret",
                "sid",
                "abcDEF12",
                "x_-9",
                "answer",
                "/",
                "[redacted]",
            ]
        )
        | st.text(max_size=6),
        max_size=12,
    ).map("".join)
)
def test_redaction_masks_exactly_what_both_patterns_mask(text: str) -> None:
    # The substring checks in front of the patterns only skip values they cannot match.
    expected = _SECRET_PARAM.sub(r"\1[redacted]", _TOKEN_PATH.sub(r"\1[redacted]", text))
    assert redact(text) == expected


def test_log_records_are_json_lines_in_utc_with_extra_fields() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("fit-test-json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("opened /p/%s", "secrettokenvalue123456", extra={"invitation_id": 7})
    finally:
        logger.removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert entry["ts"].endswith("+00:00")
    assert entry["invitation_id"] == 7
    assert "secrettokenvalue123456" not in entry["msg"]


def test_the_first_retry_of_a_failed_message_is_read_and_checked() -> None:
    base = {"FIT_ENV": "test"}
    assert load_settings(base).send_retry.total_seconds() == 30
    assert load_settings({**base, "FIT_SEND_RETRY_SECONDS": "5"}).send_retry.total_seconds() == 5
    for bad in ("0", "3601", "soon"):
        with pytest.raises(ConfigurationError, match="FIT_SEND_RETRY_SECONDS"):
            load_settings({**base, "FIT_SEND_RETRY_SECONDS": bad})


def test_how_often_the_clock_looks_for_due_invitations_is_read_and_checked() -> None:
    base = {"FIT_ENV": "test"}
    assert load_settings(base).enqueue_interval_seconds == 60
    assert (
        load_settings({**base, "FIT_ENQUEUE_INTERVAL_SECONDS": "5"}).enqueue_interval_seconds == 5
    )
    for bad in ("0", "3601", "often"):
        with pytest.raises(ConfigurationError, match="FIT_ENQUEUE_INTERVAL_SECONDS"):
            load_settings({**base, "FIT_ENQUEUE_INTERVAL_SECONDS": bad})


def test_the_minimum_time_to_answer_is_read_and_checked() -> None:
    base = {"FIT_ENV": "test"}
    assert load_settings(base).min_answer_window_minutes == 60
    assert (
        load_settings({**base, "FIT_MIN_ANSWER_WINDOW_MINUTES": "90"}).min_answer_window_minutes
        == 90
    )
    for bad in ("-1", "20000", "an hour"):
        with pytest.raises(ConfigurationError, match="FIT_MIN_ANSWER_WINDOW_MINUTES"):
            load_settings({**base, "FIT_MIN_ANSWER_WINDOW_MINUTES": bad})


def test_production_refuses_the_example_files_placeholder_or_a_short_secret_key(
    tmp_path: Path,
) -> None:
    """An env file copied from deploy/systemd/env.example with the database and TOTP key
    filled in but FIT_SECRET_KEY left as the placeholder must not start: the key signs every
    staff session cookie, and CHANGE-ME is in the repository for anyone to read."""
    from tests.support.cli import ROOT, run_fit_platform

    example = (ROOT / "deploy/systemd/env.example").read_text(encoding="utf-8")
    [placeholder] = [
        line.split("=", 1)[1] for line in example.splitlines() if line.startswith("FIT_SECRET_KEY=")
    ]
    url = f"sqlite:///{tmp_path / 'fit.sqlite3'}"
    for weak in (placeholder, "x" * 31):
        result = run_fit_platform(url, "db", "upgrade", FIT_SECRET_KEY=weak)
        assert result.returncode == 1
        assert "FIT_SECRET_KEY must be at least 32 random characters" in result.stderr
        assert "Traceback" not in result.stderr
    assert run_fit_platform(url, "db", "upgrade", FIT_SECRET_KEY="x" * 32).returncode == 0


PRODUCTION = {
    "FIT_ENV": "production",
    "FIT_DATABASE_URL": "sqlite://",
    "FIT_SECRET_KEY": "x" * 40,
    "FIT_TOTP_ENCRYPTION_KEY": "ZmRzZmRzZmRzZmRzZmRzZmRzZmRzZmRzZmRzZmRzZmQ=",
    "FIT_PUBLIC_BASE_URL": "https://fit.dps.example.no",
}
SMS = {"FIT_SMS_URL": "https://sms-gateway.example.no", "FIT_SMS_TOKEN": "gateway-token"}
MAIL = {"FIT_SMTP_HOST": "smtp.helse.example.no", "FIT_MAIL_FROM": "fit@dps.example.no"}


@pytest.mark.parametrize(
    ("changes", "setting", "problem"),
    [
        ({"FIT_SMS_TOKEN": ""}, "FIT_SMS_TOKEN", "is needed with FIT_SMS_URL"),
        ({"FIT_SMS_URL": ""}, "FIT_SMS_URL", "is needed with FIT_SMS_TOKEN"),
        ({"FIT_SMS_URL": "sms-gateway.example.no"}, "FIT_SMS_URL", "base address"),
        ({"FIT_SMS_URL": "https://gw.example.no/send?key=1"}, "FIT_SMS_URL", "base address"),
        ({"FIT_SMS_URL": "http://sms-gateway.example.no"}, "FIT_SMS_URL", "https:// address"),
        ({"FIT_SMS_SENDER": "DPS Nordre Aasen"}, "FIT_SMS_SENDER", "at most 11"),
        ({"FIT_SMS_SENDER": "+4712345678901234"}, "FIT_SMS_SENDER", "at most 15 digits"),
        ({"FIT_MAIL_FROM": ""}, "FIT_MAIL_FROM", "is needed with FIT_SMTP_HOST"),
        ({"FIT_MAIL_FROM": "DPS <fit@dps.example.no>"}, "FIT_MAIL_FROM", "one e-mail address"),
        ({"FIT_MAIL_FROM": "fit.dps.example.no"}, "FIT_MAIL_FROM", "one e-mail address"),
        ({"FIT_SMTP_USERNAME": "fit"}, "FIT_SMTP_USERNAME", "go together"),
        ({"FIT_SMTP_PASSWORD": "hemmelig"}, "FIT_SMTP_USERNAME", "go together"),
        ({"FIT_SMTP_PORT": "70000"}, "FIT_SMTP_PORT", "from 1 to 65535"),
    ],
)
def test_a_gateway_or_relay_that_could_not_send_is_refused_at_start_not_at_the_first_message(
    changes: dict[str, str], setting: str, problem: str
) -> None:
    """Each of these used to start, and then every SMS or e-mail failed when the dispatcher
    sent it (or the SMS channel was silently left out when the token was missing)."""
    with pytest.raises(ConfigurationError, match=re.escape(problem)) as refused:
        load_settings({**PRODUCTION, **SMS, **MAIL, **changes})
    assert refused.value.setting == setting
    assert "gateway-token" not in str(refused.value) and "hemmelig" not in str(refused.value)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"FIT_SMS_URL": "http://127.0.0.1:8025", "FIT_SMS_SENDER": "DPS Nord-1"},
        {"FIT_SMS_URL": "http://localhost:8025/v1", "FIT_SMS_SENDER": "+4722000000"},
        {"FIT_SMS_SENDER": "DPSNordre12"},
        {"FIT_SMTP_USERNAME": "fit", "FIT_SMTP_PASSWORD": "hemmelig", "FIT_SMTP_PORT": "465"},
        {"FIT_MAIL_FROM": "fit@relay", "FIT_SMTP_HOST": "relay"},
        {"FIT_SMTP_HOST": "", "FIT_MAIL_FROM": ""},
        {"FIT_SMS_URL": "", "FIT_SMS_TOKEN": ""},
    ],
)
def test_gateways_and_relays_as_clinics_configure_them_are_accepted(
    changes: dict[str, str],
) -> None:
    load_settings({**PRODUCTION, **SMS, **MAIL, **changes})


def test_outside_production_the_default_sender_address_and_a_lab_gateway_over_http_are_kept() -> (
    None
):
    settings = load_settings(
        {
            "FIT_ENV": "test",
            "FIT_SMTP_HOST": "127.0.0.1",
            "FIT_SMS_URL": "http://sms.lab",
            **{"FIT_SMS_TOKEN": "t"},
        }
    )
    assert settings.mail_from == "no-reply@fit.invalid"
    lab = {**PRODUCTION, **SMS, **MAIL, "FIT_PUBLIC_BASE_URL": "http://fit.lab"}
    load_settings({**lab, "FIT_ALLOW_INSECURE_HTTP": "true", "FIT_SMS_URL": "http://sms.lab"})
