"""gunicorn 25.1 and newer open a control socket (for `gunicornc`) by default, in
`$XDG_RUNTIME_DIR` or else `~/.gunicorn/`. The service user of docs/deploy.md has no writable
home (`useradd --system`, `ProtectHome=true`, `ProtectSystem=strict`; the container's `/app`
belongs to root), so each start logged an error, and where a home was writable a socket that
can stop or resize the web appeared in it. gunicorn.conf.py turns it off unless
`FIT_GUNICORN_CONTROL_SOCKET` names a path (docs/deploy.md).

gunicorn is started as the guide starts it (`gunicorn wsgi:app` from the install folder, which
reads gunicorn.conf.py), with production settings and a trial SQLite database.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from tests.support.production_stack import production_stack


def _lines(log: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.splitlines() if line.startswith("{")]


def _start_web(tmp_path: Path, home: Path, **settings: str) -> tuple[str, list[dict[str, object]]]:
    url = f"sqlite:///{tmp_path / 'fit.sqlite3'}"
    with production_stack(url, tmp_path, at=None, HOME=str(home), **settings) as stack:
        stack.env.pop("XDG_RUNTIME_DIR", None)  # as for a system service: no login session
        stack.run("migrate")
        web = stack.start_web()
        web_log = web.tail(100_000)
        stack.stop_all()
    return web_log, _lines(web_log)


def test_gunicorn_as_documented_opens_no_control_socket_and_logs_no_error_about_one(
    tmp_path: Path,
) -> None:
    # A writable home shows a socket would be made; an unwritable one, the error it logged.
    home = tmp_path / "home"
    home.mkdir()
    log, lines = _start_web(tmp_path, home)
    assert not (home / ".gunicorn").exists()
    assert "control socket" not in log.lower() and "control server" not in log.lower()
    assert not [line for line in lines if line.get("level") in ("ERROR", "CRITICAL")]

    home_is_not_a_folder = tmp_path / "home-file"
    home_is_not_a_folder.write_text("")
    log, lines = _start_web(tmp_path, home_is_not_a_folder)
    assert "control server" not in log.lower()
    assert not [line for line in lines if line.get("level") in ("ERROR", "CRITICAL")]


def test_an_operator_who_wants_gunicornc_names_the_socket_in_the_runtime_directory(
    tmp_path: Path,
) -> None:
    runtime = tmp_path / "run-fit-web"
    runtime.mkdir()
    socket_path = runtime / "gunicorn.ctl"
    home = tmp_path / "home"
    home.mkdir()
    seen: dict[str, bool] = {}

    url = f"sqlite:///{tmp_path / 'fit.sqlite3'}"
    with production_stack(
        url, tmp_path, at=None, HOME=str(home), FIT_GUNICORN_CONTROL_SOCKET=str(socket_path)
    ) as stack:
        stack.run("migrate")
        stack.start_web()
        seen["socket"] = socket_path.exists() and stat.S_ISSOCK(os.stat(socket_path).st_mode)
        seen["owner_only"] = socket_path.exists() and (os.stat(socket_path).st_mode & 0o077) == 0
    assert seen == {"socket": True, "owner_only": True}
    assert not (home / ".gunicorn").exists()
