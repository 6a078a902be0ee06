"""A throwaway PostgreSQL server for the test run, on loopback, when none is configured.

Set FIT_TEST_DATABASE_URL to use an existing server instead (the database is emptied).
PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text


class PostgresUnavailable(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_bin() -> Path:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: [int(x) if x.isdigit() else x for x in p.split("/")],
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries not found: install the Debian package `postgresql` "
        "(the README's test command does this) or set FIT_TEST_DATABASE_URL."
    )


@dataclass
class PostgresCluster:
    """A private PostgreSQL cluster started by the tests: its URL, and `restart()` /
    `stop()` / `start()` for the fault tests (what a failover or a restart looks like to
    the app: every connection dropped, then refused for a moment)."""

    url: str
    data_dir: Path
    port: int
    bin_dir: Path
    prefix: list[str]

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.prefix, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args],
            check=True,
            capture_output=True,
            text=True,
        )

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data_dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self.pg_ctl(
            "-l", str(self.data_dir / "server.log"), "-w", "-t", "60", "start", "-o", options
        )

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("-m", mode, "-w", "stop")

    def restart(self, mode: str = "fast") -> None:
        """`pg_ctl restart`: connections are cut, new ones refused until it is back."""
        self.stop(mode)
        self.start()

    def create_database(self, name: str) -> str:
        """A new empty database on this server; returns its SQLAlchemy URL."""
        subprocess.run(
            [*self.prefix, str(self.bin_dir / "createdb"), "-h", "127.0.0.1", "-p",
             str(self.port), "-U", "postgres", name],
            check=True,
            capture_output=True,
            text=True,
        )  # fmt: skip
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


@contextmanager
def private_postgres() -> Iterator[PostgresCluster]:
    """Start a private cluster in a temporary folder (always, even with
    FIT_TEST_DATABASE_URL set: the caller needs to stop and start it); remove it after."""
    bin_dir = _pg_bin()
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    data_dir = Path(tempfile.mkdtemp(prefix="fit-test-pg."))
    if as_root:
        shutil.chown(data_dir, "postgres", "postgres")
    port = _free_port()
    cluster = PostgresCluster(
        f"postgresql+psycopg://postgres@127.0.0.1:{port}/fit_test", data_dir, port, bin_dir, prefix
    )
    try:
        subprocess.run(
            # --no-sync: the cluster is thrown away, so flushing its new files to disk only
            # costs time (about 2 s of the 4 s initdb took here).
            [*prefix, str(bin_dir / "initdb"), "-D", str(data_dir), "-U", "postgres", "-A",
             "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
            check=True,
            capture_output=True,
            text=True,
        )  # fmt: skip
        cluster.start()
        cluster.create_database("fit_test")
        yield cluster
    except subprocess.CalledProcessError as exc:
        raise PostgresUnavailable(f"could not start PostgreSQL: {exc.stderr}") from exc
    finally:
        subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def kept_postgres(data_dir: Path) -> Iterator[PostgresCluster]:
    """A private cluster whose data stays in `data_dir` between runs (a benchmark's large data
    set): created there on the first run, started on a free port, stopped (not removed) after."""
    bin_dir = _pg_bin()
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    port = _free_port()
    cluster = PostgresCluster(
        f"postgresql+psycopg://postgres@127.0.0.1:{port}/fit_test", data_dir, port, bin_dir, prefix
    )
    fresh = not (data_dir / "PG_VERSION").exists()
    try:
        if fresh:
            data_dir.mkdir(parents=True, exist_ok=True)
            if as_root:
                shutil.chown(data_dir, "postgres", "postgres")
            subprocess.run(
                [*prefix, str(bin_dir / "initdb"), "-D", str(data_dir), "-U", "postgres", "-A",
                 "trust", "-E", "UTF8", "--locale=C.UTF-8"],
                check=True,
                capture_output=True,
                text=True,
            )  # fmt: skip
        cluster.start()
        if fresh:
            cluster.create_database("fit_test")
    except subprocess.CalledProcessError as exc:
        raise PostgresUnavailable(f"could not start PostgreSQL: {exc.stderr}") from exc
    try:
        yield cluster
    finally:
        subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop"],
            capture_output=True,
        )


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a private cluster in a temporary folder; yield its SQLAlchemy URL; remove it."""
    configured = os.environ.get("FIT_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    with private_postgres() as cluster:
        yield cluster.url


def end_other_backends(url: str) -> int:
    """What a server restart does to every open connection of the application: end each client
    backend of the database but this one. Returns how many were ended."""
    killer = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with killer.connect() as connection:
            return int(
                connection.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        " AND backend_type = 'client backend'"
                    )
                ).scalar_one()
            )
    finally:
        killer.dispose()
