"""The one container image runs every role (docs/deploy.md, "In containers"), against a
PostgreSQL on loopback set up with the guide's two database roles: `migrate` as the owner
(only its container gets the owner's URL), `create-admin`, `web` (gunicorn, /readyz says
ready) and the scheduler with and without sending, as the application's role.

It needs podman and a built image, so it runs only when FIT_TEST_CONTAINER_IMAGE names one
(tests/smoke/conftest.py leaves this file out otherwise, and says so in the run's header):
    deploy/container-base.sh
    podman build --build-arg BASE_IMAGE=localhost/fit-base:bookworm \
        -t localhost/fit-platform -f Containerfile .
    FIT_TEST_CONTAINER_IMAGE=localhost/fit-platform pytest tests/smoke/test_container_roles.py
FIT_TEST_PODMAN (default "podman") and FIT_TEST_PODMAN_RUN_FLAGS (default none) carry what a
sandboxed host needs, e.g. "podman --runtime runc" and "--ulimit nofile=20000:20000".
"""

from __future__ import annotations

import os
import secrets
import shlex
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Staff
from tests.support.postgres import private_postgres
from tests.support.production_stack import free_port, two_database_roles

IMAGE = os.environ.get("FIT_TEST_CONTAINER_IMAGE", "")
PODMAN = shlex.split(os.environ.get("FIT_TEST_PODMAN", "podman"))
RUN_FLAGS = shlex.split(os.environ.get("FIT_TEST_PODMAN_RUN_FLAGS", ""))


def _env_file(path: Path, settings: dict[str, str]) -> Path:
    path.write_text("".join(f"{name}={value}\n" for name, value in settings.items()))
    return path


def _run(*args: str, stdin: str | None = None, timeout: float = 180) -> str:
    completed = subprocess.run(
        [*PODMAN, "run", "--rm", "-i", "--network", "host", *RUN_FLAGS, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert completed.returncode == 0, (args, completed.stdout[-2000:], completed.stderr[-3000:])
    return completed.stdout + completed.stderr


@pytest.fixture
def web_container() -> Iterator[list[str]]:
    """Names of detached containers, removed after the test."""
    names: list[str] = []
    yield names
    for name in names:
        subprocess.run([*PODMAN, "rm", "-f", name], capture_output=True, timeout=60)


def test_the_image_runs_every_role_with_the_owner_only_in_migrate(
    tmp_path: Path, web_container: list[str]
) -> None:
    port = free_port()
    with private_postgres() as postgres:
        roles = two_database_roles(postgres)
        app_env = _env_file(
            tmp_path / "env",
            {
                "FIT_ENV": "production",
                "FIT_DATABASE_URL": roles.app_url,
                "FIT_SECRET_KEY": secrets.token_urlsafe(48),
                "FIT_TOTP_ENCRYPTION_KEY": Fernet.generate_key().decode(),
                "FIT_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
                "FIT_ALLOW_INSECURE_HTTP": "true",
                "FIT_BIND": f"127.0.0.1:{port}",
                "FIT_WEB_WORKERS": "2",
            },
        )
        owner_env = _env_file(tmp_path / "owner.env", {"FIT_DATABASE_OWNER_URL": roles.owner_url})
        env = ["--env-file", str(app_env)]

        assert "Database created at revision " in _run(
            *env, "--env-file", str(owner_env), IMAGE, "migrate"
        )
        created = _run(
            *env, IMAGE, "create-admin", "ola@klinikk.no", "--name", "Ola Drift",
            stdin="drift og vedlikehold 2026\n",
        )  # fmt: skip
        assert "Administrator created" in created
        name = f"fit-web-{port}"
        web_container.append(name)
        started = subprocess.run(
            [*PODMAN, "run", "-d", "--name", name, "--network", "host", *RUN_FLAGS, *env,
             IMAGE, "web"],
            capture_output=True,
            text=True,
            timeout=120,
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and status != 200:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code
            except httpx.TransportError:
                time.sleep(0.5)
        shown = subprocess.run([*PODMAN, "logs", name], capture_output=True, text=True)
        logs = shown.stdout + shown.stderr
        assert status == 200, logs[-3000:]
        assert '"logger": "gunicorn.error"' in logs  # gunicorn's own lines, as JSON

        for role in ("scheduler", "scheduler-no-dispatch"):
            ran = _run(*env, IMAGE, role, "--once")
            assert "clean_up:" in ran, ran[-2000:]

        db = Database(roles.owner_url)
        try:
            with db.session() as session:
                admin = session.scalars(select(Staff)).one()
                assert admin.display_name == "Ola Drift"
        finally:
            db.dispose()
