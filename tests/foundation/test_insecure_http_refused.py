"""Production refuses an http:// public base URL: its session cookies would lack `Secure` and
the patients' links would travel in clear. A lab says so with FIT_ALLOW_INSECURE_HTTP=true and
gets a warning at start instead."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fit_platform.app import create_app
from fit_platform.config import load_settings
from fit_platform.config_error import ConfigurationError

ROOT = Path(__file__).resolve().parents[2]
TOTP_KEY = "pRmgMa8T0INjEAfksaq2aafzoZXEuwKI7wDe4c1F8AY="


def _production(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "FIT_ENV": "production",
        "FIT_DATABASE_URL": f"sqlite:///{tmp_path / 'fit.sqlite3'}",
        "FIT_SECRET_KEY": "insecure-http-test-secret-key-0123456789",
        "FIT_TOTP_ENCRYPTION_KEY": TOTP_KEY,
        "FIT_INSTANCE_PATH": str(tmp_path / "instance"),
        **extra,
    }


@pytest.mark.parametrize(
    "base_url", [None, "http://fit.dps.example.no", "HTTP://fit.dps.example.no/", "ftp://x"]
)
def test_production_refuses_a_public_base_url_that_is_not_https(
    tmp_path: Path, base_url: str | None
) -> None:
    env = _production(tmp_path)
    if base_url is not None:
        env["FIT_PUBLIC_BASE_URL"] = base_url
    with pytest.raises(ConfigurationError, match="FIT_PUBLIC_BASE_URL") as refused:
        load_settings(env)
    assert "https://" in str(refused.value)


def test_the_message_names_the_lab_setting_for_an_http_address(tmp_path: Path) -> None:
    env = _production(tmp_path, FIT_PUBLIC_BASE_URL="http://fit.lab")
    with pytest.raises(ConfigurationError, match="FIT_ALLOW_INSECURE_HTTP=true"):
        load_settings(env)


def test_production_over_https_starts_with_secure_cookies(tmp_path: Path) -> None:
    settings = load_settings(_production(tmp_path, FIT_PUBLIC_BASE_URL="https://fit.dps.no/"))
    assert settings.public_base_url == "https://fit.dps.no"
    assert not settings.allow_insecure_http
    app = create_app(settings)
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
    finally:
        app.extensions["fit_db"].dispose()


def test_the_app_factory_refuses_to_start_over_http_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in _production(tmp_path, FIT_PUBLIC_BASE_URL="http://fit.lab").items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("FIT_ALLOW_INSECURE_HTTP", raising=False)
    with pytest.raises(ConfigurationError, match="must be an https:// address in production"):
        create_app()


def test_a_lab_may_run_production_over_http_and_is_warned_at_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = _production(
        tmp_path, FIT_PUBLIC_BASE_URL="http://127.0.0.1:8000", FIT_ALLOW_INSECURE_HTTP="true"
    )
    settings = load_settings(env)
    assert settings.allow_insecure_http
    app = create_app(settings)
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is False
    finally:
        app.extensions["fit_db"].dispose()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line[:1] == "{"]
    warnings = [line for line in lines if line.get("event") == "insecure_http_allowed"]
    assert len(warnings) == 1 and warnings[0]["level"] == "WARNING"
    assert warnings[0]["role"] == "web"


def test_the_lab_flag_must_be_a_clear_yes_or_no(tmp_path: Path) -> None:
    env = _production(tmp_path, FIT_PUBLIC_BASE_URL="http://x", FIT_ALLOW_INSECURE_HTTP="maybe")
    with pytest.raises(ConfigurationError, match="FIT_ALLOW_INSECURE_HTTP must be true or false"):
        load_settings(env)


def test_demo_and_test_still_run_over_http_without_the_flag(tmp_path: Path) -> None:
    for environment in ("demo", "test"):
        env = {"FIT_ENV": environment, "FIT_INSTANCE_PATH": str(tmp_path)}
        assert load_settings(env).public_base_url == "http://127.0.0.1:5000"


def _command(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FIT_")}
    return subprocess.run(
        [sys.executable, "-m", "fit_platform.cli", *args],
        cwd=ROOT,
        env={**clean, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "args",
    [
        ("db", "upgrade"),
        ("scheduler", "--once"),
        ("create-admin", "ola@klinikk.no", "--name", "Ola"),
        ("export", "--unit", "x"),
    ],
)
def test_fit_platform_commands_refuse_to_start_over_http_in_production(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    done = _command(_production(tmp_path, FIT_PUBLIC_BASE_URL="http://fit.lab"), *args)
    assert done.returncode != 0
    assert "FIT_PUBLIC_BASE_URL must be an https:// address in production" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "fit.sqlite3").exists()  # nothing was started or created


def test_a_lab_command_runs_over_http_and_logs_the_warning(tmp_path: Path) -> None:
    """Every process warns at start, as deploy.md says: the migration and the first
    administrator too, which an operator runs first and reads most closely."""
    env = _production(
        tmp_path, FIT_PUBLIC_BASE_URL="http://127.0.0.1:8000", FIT_ALLOW_INSECURE_HTTP="true"
    )
    for args, stdin in (
        (("db", "upgrade"), ""),
        (("create-admin", "ola@klinikk.no", "--name", "Ola Drift"), "Fjellvegen-Solsikke-42\n"),
        (("scheduler", "--once", "--no-dispatch"), ""),
        (("retention", "apply"), ""),
        (("db", "downgrade", "-1"), ""),
    ):
        done = _command(env, *args, stdin=stdin)
        assert done.returncode == 0, done.stderr
        events = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
        warned = [e for e in events if e.get("event") == "insecure_http_allowed"]
        assert len(warned) == 1 and warned[0]["level"] == "WARNING", (args, done.stderr)
