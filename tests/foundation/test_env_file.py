"""The settings file is read by systemd (`EnvironmentFile=` in the units) and by sh (the
guide's `set -a; . /etc/fit-platform/env` before a command run by hand). A file that
`fit-platform check-env-file` accepts gives both the same values; anything that would be
read differently is refused with one line naming the line and variable, never the value.
The units run the check before they start."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fit_platform.env_file import check_env_file, read_env_file
from tests.support.cli import ROOT, run_fit_platform
from tests.support.systemd_env import sh_set_a_dot, systemd_environment_file

# Values an operator writes: plain words, and spaces, $, quotes, # kept in single quotes.
AGREEING = """\
# Settings, one per line.
FIT_ENV=production
FIT_DATABASE_URL=postgresql+psycopg://fit:p%40ss@127.0.0.1:5432/fit
FIT_TOTP_ENCRYPTION_KEY=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE=,b2xkLWtleQ==
FIT_OIDC_SCOPES='openid profile'
FIT_PRIVACY_CONTROLLER='Helse Sør-Øst RHF, Postboks 404, 2303 Hamar; org.nr. 991 324 968'
FIT_SMTP_PASSWORD='pa$$word "with" `ticks` and \\backslash # not a comment'
FIT_MAIL_FROM=fit@dps.example.no
FIT_SMS_SENDER=DPSNord
FIT_SCHEDULER_METRICS_PORT=9101
FIT_PRIVACY_NOTICE_URL='https://helse.example.no/personvern?a=1&b=2'
FIT_EMPTY=
FIT_TRAILING_BLANKS=yes \t
"""

# Each line, as written, reads differently in systemd and sh; the check names why.
DISAGREEING = {
    "FIT_OIDC_SCOPES=openid profile": "spaces",
    'FIT_SMTP_PASSWORD="pa$$word"': "double quotes",
    "FIT_SMTP_PASSWORD=pa$$word": "single quotes",
    "FIT_SMS_SENDER=it's": "single quotes",
    "FIT_SMS_SENDER='DPS' Nord": "closing single quote",
    "FIT_SMS_SENDER=DPS #nord": "put the comment on a line of its own",
    "FIT_SMS_SENDER=DPSNord\r": "Windows line end",
    "export FIT_SMS_SENDER=DPSNord": "export",
    "; FIT_SMS_SENDER=DPSNord": "not NAME=value",
    "FIT_SMS_SENDER=~/nord": "single quotes",
}


def _both_ways(path: Path) -> tuple[dict[str, str], dict[str, str | None]]:
    text = path.read_bytes().decode("utf-8")
    systemd = systemd_environment_file(text)
    return systemd, sh_set_a_dot(path, sorted(systemd))


def test_a_file_the_check_accepts_gives_systemd_and_sh_the_same_values(tmp_path: Path) -> None:
    path = tmp_path / "env"
    path.write_text(AGREEING, encoding="utf-8")
    assert check_env_file(AGREEING) == []
    systemd, sh = _both_ways(path)
    assert systemd == sh == read_env_file(AGREEING)
    assert systemd["FIT_OIDC_SCOPES"] == "openid profile"
    assert systemd["FIT_SMTP_PASSWORD"].startswith('pa$$word "with" `ticks`')
    assert systemd["FIT_TRAILING_BLANKS"] == "yes"


@pytest.mark.parametrize("line", DISAGREEING)
def test_a_line_read_differently_is_refused_with_its_line_and_name_not_its_value(
    tmp_path: Path, line: str
) -> None:
    text = f"FIT_ENV=production\n{line}\nFIT_SMS_URL=https://sms.example.no\n"
    path = tmp_path / "env"
    path.write_bytes(text.encode("utf-8"))
    # The rule is needed: the two readers really disagree on this line.
    systemd, sh = _both_ways(path)
    assert systemd != sh or "FIT_SMS_SENDER" not in systemd or sh.get("FIT_SMS_URL") is None
    [problem] = check_env_file(text)
    assert problem.line == 2 and DISAGREEING[line] in problem.reason
    assert "pa$$word" not in str(problem) and "Nord" not in str(problem)
    # The variable the line meant to set is named, as the guide promises (a line that is
    # not NAME=value at all names none).
    named = line.removeprefix("export ").partition("=")[0]
    assert problem.name == (None if line.startswith(";") else named)


def test_a_line_with_a_leading_blank_names_its_variable() -> None:
    [problem] = check_env_file("FIT_ENV=production\n  FIT_SECRET_KEY=abc\n")
    assert (problem.line, problem.name) == (2, "FIT_SECRET_KEY")
    assert "starts with a blank" in problem.reason


def test_a_comment_after_a_secret_is_not_advised_into_the_secret() -> None:
    """Single quotes, as the check advised for any value with a blank, would have put the
    comment into the key."""
    [problem] = check_env_file("FIT_SECRET_KEY=abc # the web's key\n")
    assert problem.name == "FIT_SECRET_KEY"
    assert "line of its own" in problem.reason and "single quotes" not in problem.reason


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(
        st.text(
            alphabet=string.ascii_letters + string.digits + " \t'\"\\$`;&|<>()*?[]{}~!#^%@+=:,./-ø",
            max_size=12,
        ),
        min_size=1,
        max_size=6,
    ),
    quoted=st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_whatever_the_value_an_accepted_file_reads_the_same_both_ways(
    tmp_path: Path, values: list[str], quoted: list[bool]
) -> None:
    lines = [
        f"FIT_V{n}='{value}'" if quote else f"FIT_V{n}={value}"
        for n, (value, quote) in enumerate(zip(values, quoted, strict=False))
    ]
    text = "\n".join(lines) + "\n"
    path = tmp_path / "env"
    path.write_text(text, encoding="utf-8")
    if check_env_file(text):
        return
    systemd, sh = _both_ways(path)
    assert systemd == sh == read_env_file(text)
    assert len(systemd) == len(lines)


def test_the_example_env_file_passes_the_check_and_reads_the_same_both_ways(
    tmp_path: Path,
) -> None:
    example = ROOT / "deploy/systemd/env.example"
    assert check_env_file(example.read_text(encoding="utf-8")) == []
    systemd, sh = _both_ways(example)
    assert systemd == sh and systemd["FIT_ENV"] == "production"


def test_the_check_command_prints_one_line_per_problem_and_fails(tmp_path: Path) -> None:
    path = tmp_path / "env"
    path.write_bytes(b"FIT_ENV=production\nFIT_OIDC_SCOPES=openid profile\nFIT_X=y\r\n")
    checked = run_fit_platform("sqlite://", "check-env-file", str(path))
    assert checked.returncode == 1
    assert checked.stderr.splitlines() == [
        f"{path}: line 2 (FIT_OIDC_SCOPES): a value with spaces is cut at the first space by "
        "sh; put the value in single quotes: FIT_OIDC_SCOPES='...'",
        f"{path}: line 3 (FIT_X): Windows line end (CR): sh keeps it in the value; save with LF",
    ]
    path.write_text("FIT_ENV=production\nFIT_OIDC_SCOPES='openid profile'\n")
    fine = run_fit_platform("sqlite://", "check-env-file", str(path))
    assert (fine.returncode, fine.stdout, fine.stderr) == (0, "", "")


def test_every_unit_checks_the_env_file_before_it_starts() -> None:
    for unit in ("fit-migrate", "fit-web", "fit-scheduler"):
        text = (ROOT / f"deploy/systemd/{unit}.service").read_text()
        check = "ExecStartPre=/opt/fit-platform/.venv/bin/fit-platform check-env-file"
        assert f"{check} /etc/fit-platform/env" in text, unit
    assert "check-env-file /etc/fit-platform/env &&" in (ROOT / "docs/deploy.md").read_text()


def test_a_setting_whose_quotes_were_kept_is_refused_at_start_by_name(tmp_path: Path) -> None:
    # podman and docker --env-file keep the quotes sh and systemd remove.
    url = f"sqlite:///{tmp_path / 'fit.sqlite3'}"
    result = run_fit_platform(url, "db", "upgrade", FIT_OIDC_SCOPES="'openid profile'")
    assert result.returncode == 1
    assert "FIT_OIDC_SCOPES is wrapped in quotes" in result.stderr
    assert "openid profile" not in result.stderr and "Traceback" not in result.stderr
