"""The deployment guide and files stay true to the code: every setting is documented, and
the one image's entrypoint starts the commands that exist."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from click.testing import CliRunner

from fit_platform.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def test_every_environment_variable_the_code_reads_is_in_the_deployment_guide() -> None:
    read = set(re.findall(r'"(FIT_[A-Z_]+)"', (ROOT / "fit_platform/config.py").read_text()))
    read |= set(re.findall(r'"(FIT_[A-Z_]+)"', (ROOT / "gunicorn.conf.py").read_text()))
    guide = (ROOT / "docs/deploy.md").read_text()
    assert read - {"FIT_TEST_WALL_CLOCK"}
    assert sorted(name for name in read if f"`{name}`" not in guide) == []


def test_the_container_entrypoint_is_valid_shell_and_its_commands_exist() -> None:
    script = ROOT / "deploy/container-entrypoint.sh"
    subprocess.run(["sh", "-n", str(script)], check=True)
    runner = CliRunner()
    for command in (
        ["scheduler", "--help"],
        ["db", "upgrade", "--help"],
        ["create-admin", "--help"],
    ):
        result = runner.invoke(cli, command)
        assert result.exit_code == 0, (command, result.output)
    assert "--no-dispatch" in runner.invoke(cli, ["scheduler", "--help"]).output


def test_the_systemd_units_run_the_documented_commands() -> None:
    units = {path.name: path.read_text() for path in (ROOT / "deploy/systemd").glob("*.service")}
    assert "ExecStart=/opt/fit-platform/.venv/bin/gunicorn wsgi:app" in units["fit-web.service"]
    assert "PROMETHEUS_MULTIPROC_DIR=" in units["fit-web.service"]
    assert "bin/fit-platform scheduler" in units["fit-scheduler.service"]
    assert "bin/fit-platform db upgrade" in units["fit-migrate.service"]
    nginx = (ROOT / "deploy/nginx/fit-platform.conf").read_text()
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Request-ID"):
        assert f"proxy_set_header {header}" in nginx


def test_only_the_migrate_unit_reads_the_database_owners_url() -> None:
    units = {path.name: path.read_text() for path in (ROOT / "deploy/systemd").glob("*.service")}
    assert "EnvironmentFile=-/etc/fit-platform/owner.env" in units["fit-migrate.service"]
    for name in ("fit-web.service", "fit-scheduler.service"):
        assert "owner.env" not in units[name]
    shared = (ROOT / "deploy/systemd/env.example").read_text()
    assert "FIT_DATABASE_OWNER_URL" not in shared
    owner = (ROOT / "deploy/systemd/owner.env.example").read_text()
    assert "FIT_DATABASE_OWNER_URL=postgresql+psycopg://fit_owner:" in owner
    subprocess.run(["sh", "-n", str(ROOT / "deploy/container-base.sh")], check=True)


def test_db_upgrade_runs_as_the_owner_when_the_owners_url_is_given(tmp_path: Path) -> None:
    """Migrations go to FIT_DATABASE_OWNER_URL's database when it is set, to
    FIT_DATABASE_URL's otherwise (here two SQLite files stand for the two roles)."""
    from tests.support.cli import run_fit_platform

    app_db, owner_db = tmp_path / "app.sqlite3", tmp_path / "owner.sqlite3"
    migrated = run_fit_platform(
        f"sqlite:///{app_db}",
        "db",
        "upgrade",
        FIT_DATABASE_OWNER_URL=f"sqlite:///{owner_db}",
        FIT_PUBLIC_BASE_URL="http://127.0.0.1:8000",
    )
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    assert owner_db.stat().st_size > 0
    assert not app_db.exists() or app_db.stat().st_size == 0


def _nginx_bytes(size: str) -> int:
    units = {"k": 1024, "m": 1024 * 1024}
    return int(size[:-1]) * units[size[-1]] if size[-1] in units else int(size)


def test_nginx_lets_through_the_bodies_the_app_takes_and_no_larger() -> None:
    """The proxy's body limits are the app's: a file the import page takes must reach it (it
    was cut off at 256 kB by both), and other pages keep the small limit."""
    from fit_platform.web.body_limits import DEFAULT_BODY_BYTES
    from fit_platform.web.episodes.blueprint import IMPORT_BODY_BYTES, MAX_IMPORT_BYTES

    nginx = (ROOT / "deploy/nginx/fit-platform.conf").read_text()
    server_limit = re.search(r"^    client_max_body_size (\w+);", nginx, re.MULTILINE)
    assert server_limit is not None and _nginx_bytes(server_limit[1]) == DEFAULT_BODY_BYTES
    import_location = re.search(
        r"location = /clinician/appointments/import \{[^}]*client_max_body_size (\w+);", nginx
    )
    assert import_location is not None
    assert _nginx_bytes(import_location[1]) == IMPORT_BODY_BYTES > MAX_IMPORT_BYTES
    assert nginx.count("proxy_set_header X-Forwarded-For") == 1  # at server level: every location
