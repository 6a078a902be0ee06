"""A bad setting at start, as an operator meets it: the processes of docs/deploy.md's table,
started as the guide starts them (gunicorn reads gunicorn.conf.py) with production settings
and one setting wrong, and their output read the way a log shipper reads it, line by line as
JSON.

The promise: every line is JSON, exactly one is at ERROR, it names the setting (`setting`,
and in `msg`) and what is wrong, it quotes no secret, there is no traceback, and the process
exits with status 1. gunicorn used to print each worker's traceback, a bare text line per
worker and three more ERROR lines of the master; the scheduler and the commands a line
`Error: …` that was not JSON.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.production_stack import Stack, installed, production_stack

SECRET = "hemmelig-9f3Kq"  # a secret's value, in the settings that hold one

# (setting, value, what the message says); the value of a secret setting must never appear.
BAD_SETTINGS = [
    ("FIT_SMTP_PORT", "twenty-five", "must be a whole number"),
    ("FIT_ENV", "staging", "must be one of production, demo, test"),
    ("FIT_LOG_LEVEL", "verbose", "must be one of DEBUG, INFO"),
    ("FIT_SECRET_KEY", "", "is required in production"),
    ("FIT_SECRET_KEY", f"short-{SECRET}", "at least 32 random characters"),
    ("FIT_TOTP_ENCRYPTION_KEY", f"not-a-fernet-key-{SECRET}", "must be Fernet keys"),
    (
        "FIT_DATABASE_URL",
        f"postgres://fit:{SECRET}@127.0.0.1:5432/fit",
        "is not a database URL this platform can use",
    ),
    (
        "FIT_RATELIMIT_STORAGE_URI",
        f"redis-cluster://fit:{SECRET}@127.0.0.1:6379",
        "is not a rate-limit storage",
    ),
]
# The gateways: these started, and every SMS or e-mail failed at the dispatcher (a missing
# token left the SMS channel out without a word).
# (what is set, the setting the line names, what it says)
GATEWAYS = [
    ({"FIT_SMS_URL": "https://sms.example.no"}, "FIT_SMS_TOKEN", "is needed with FIT_SMS_URL"),
    (
        {
            "FIT_SMS_URL": "https://sms.example.no",
            "FIT_SMS_TOKEN": SECRET,
            "FIT_SMS_SENDER": "DPS Nordre Aasen",
        },
        "FIT_SMS_SENDER",
        "at most 11 letters",
    ),
    ({"FIT_SMTP_HOST": "smtp.example.no"}, "FIT_MAIL_FROM", "is needed with FIT_SMTP_HOST"),
    (
        {
            "FIT_SMTP_HOST": "smtp.example.no",
            "FIT_MAIL_FROM": "fit@dps.example.no",
            "FIT_SMTP_PASSWORD": SECRET,
        },
        "FIT_SMTP_USERNAME",
        "go together",
    ),
]
WEB_ONLY = [
    ("FIT_WEB_WORKERS", "two", "must be a whole number of at least 1"),
    ("FIT_BIND", "127.0.0.1:web", "must be host:port"),
]


def _run(stack: Stack, role: str, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        installed([*stack.commands[role], *more]),
        cwd=Path(__file__).resolve().parents[2],
        env=stack.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _assert_one_json_error_line(
    output: str, returncode: int, setting: str, problem: str, value: str
) -> None:
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]  # JSON, each
    errors = [line for line in lines if line["level"] in ("ERROR", "CRITICAL")]
    assert len(errors) == 1, output
    (error,) = errors
    assert error["setting"] == setting and error["event"] == "configuration_invalid"
    assert setting in error["msg"] and problem in error["msg"], error
    assert "exc" not in error and "Traceback" not in output
    assert SECRET not in output
    if value and setting in ("FIT_SECRET_KEY", "FIT_TOTP_ENCRYPTION_KEY", "FIT_DATABASE_URL"):
        assert value not in output
    assert returncode == 1, output


@pytest.mark.parametrize(
    ("setting", "value", "problem"),
    BAD_SETTINGS + WEB_ONLY,
    ids=lambda item: str(item)[:24],
)
def test_gunicorn_with_a_bad_setting_writes_one_json_error_line_and_exits(
    tmp_path: Path, setting: str, value: str, problem: str
) -> None:
    url = f"sqlite:///{tmp_path / 'fit.sqlite3'}"
    with production_stack(url, tmp_path, at=None, **{setting: value}) as stack:
        web = stack.start("web")
        returncode = web.popen.wait(timeout=60)
        output = web.log.read_text()
    _assert_one_json_error_line(output, returncode, setting, problem, value)


@pytest.mark.parametrize(("setting", "value", "problem"), BAD_SETTINGS, ids=lambda i: str(i)[:24])
def test_the_scheduler_and_the_commands_with_a_bad_setting_write_the_same_line(
    tmp_path: Path, setting: str, value: str, problem: str
) -> None:
    url = f"sqlite:///{tmp_path / 'fit.sqlite3'}"
    with production_stack(url, tmp_path, at=None, **{setting: value}) as stack:
        for role, more in (
            ("scheduler", ()),
            ("migrate", ()),
            ("first administrator", ()),
            ("migrate", ("--owner-url", f"postgres://owner:{SECRET}@127.0.0.1/fit")),
        ):
            done = _run(stack, role, *more)
            assert done.stdout == "", (role, done.stdout)
            _assert_one_json_error_line(done.stderr, done.returncode, setting, problem, value)


def test_a_bad_owner_url_of_the_migration_is_named_the_same_way(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fit.sqlite3'}"
    with production_stack(url, tmp_path, at=None) as stack:
        done = _run(stack, "migrate", "--owner-url", f"postgres://owner:{SECRET}@127.0.0.1/fit")
    _assert_one_json_error_line(
        done.stderr,
        done.returncode,
        "FIT_DATABASE_OWNER_URL",
        "is not a database URL this platform can use",
        "",
    )


@pytest.mark.parametrize(("settings", "named", "problem"), GATEWAYS, ids=lambda i: str(i)[:30])
def test_the_sending_process_refuses_a_gateway_it_could_not_send_through(
    tmp_path: Path, settings: dict[str, str], named: str, problem: str
) -> None:
    """The scheduler is the process that sends; it used to start and fail every message."""
    url = f"sqlite:///{tmp_path / 'fit.sqlite3'}"
    with production_stack(url, tmp_path, at=None, **settings) as stack:
        done = _run(stack, "scheduler")
    assert done.stdout == ""
    _assert_one_json_error_line(done.stderr, done.returncode, named, problem, "")
