"""Run `fit-platform` as an operator does: a real process with production settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOTP_KEY = "pRmgMa8T0INjEAfksaq2aafzoZXEuwKI7wDe4c1F8AY="


def operator_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of an operator's `fit-platform` command in production mode; extra
    `FIT_*` settings as keyword arguments. Production settings over http on loopback are a
    lab, so the lab flag is set unless a test gives an https public base URL."""
    return {
        **os.environ,
        "FIT_ENV": "production",
        "FIT_DATABASE_URL": database_url,
        "FIT_SECRET_KEY": "command-test-secret-key-0123456789-abcdef",
        "FIT_TOTP_ENCRYPTION_KEY": TOTP_KEY,
        "FIT_ALLOW_INSECURE_HTTP": "true",
        "FIT_PUBLIC_BASE_URL": "http://127.0.0.1:5000",
        **settings,
    }


def run_fit_platform(
    database_url: str, *args: str, stdin: str = "", **settings: str
) -> subprocess.CompletedProcess[str]:
    """`fit-platform ARGS` against `database_url` in production mode (see `operator_env`)."""
    return subprocess.run(
        [sys.executable, "-m", "fit_platform.cli", *args],
        cwd=ROOT,
        env=operator_env(database_url, **settings),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
