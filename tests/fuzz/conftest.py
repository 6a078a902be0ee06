"""The fuzz suite's world (one per database backend) and its summary at the end of the run.

The summary line ("fuzz: N requests, M responses 5xx …") is printed by pytest's terminal
summary whatever the output capture, and written to test-artifacts/fuzz-summary.json (see
tests/fuzz/summary.py, whose hooks tests/conftest.py installs: with pytest-xdist the process
that prints never collects this folder).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from fit_platform.db.migrate import alembic_config
from fit_platform.db.session import make_engine
from tests.conftest import _empty_postgres, make_test_app
from tests.fuzz.attack import TALLY, ErrorRecords, discover_forms, refresh_csrf
from tests.fuzz.forms import Form
from tests.fuzz.world import ROLES, FuzzWorld, build_world

SHM = Path("/dev/shm")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, FuzzWorld, dict[str, list[Form]]]]:
    backend = request.param
    folder = tmp_path_factory.mktemp(f"fuzz-{backend}")
    if backend == "sqlite":
        # A real SQLite file, on a memory-backed file system where there is one: each fsync
        # on a disk costs more than the request, and the suite sends thousands.
        if SHM.is_dir():
            folder = Path(tempfile.mkdtemp(prefix="fit-fuzz-", dir=SHM))
            request.addfinalizer(lambda: shutil.rmtree(folder, ignore_errors=True))
        path = folder / "fuzz.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        _empty_postgres(url)
    # At the Alembic head, as a deployed database is, so /readyz answers 200 (its 503 for an
    # unmigrated schema is the probe's job, not a failure).
    command.stamp(alembic_config(url), "head")
    app = make_test_app(url, folder / "instance")
    try:
        world = build_world(app)
        for role in ROLES:
            refresh_csrf(world, role)
        forms = discover_forms(world)
        for form in (form for found in forms.values() for form in found):
            if "username" in form.fields:
                # Real accounts too, so wrong passwords reach the login throttling.
                form.fields["username"] += [name.upper() for name in world.usernames]
        TALLY.forms += sum(len(found) for found in forms.values())
        TALLY.all_endpoints |= {rule.endpoint for rule in app.url_map.iter_rules()}
        yield backend, world, forms
    finally:
        app.extensions["fit_db"].dispose()
        if backend == "postgresql":
            _empty_postgres(url)
            engine = make_engine(url)
            with engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
            engine.dispose()


@pytest.fixture
def error_records() -> Iterator[ErrorRecords]:
    """Collects ERROR log records, and makes a log line that cannot be written fail the
    request: by default `logging` prints such an error and carries on."""
    handler = ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    original = logging.Handler.handleError

    def fail(self: logging.Handler, record: logging.LogRecord) -> None:
        raise RuntimeError(f"a log record could not be written: {record.msg!r}")

    logging.Handler.handleError = fail  # type: ignore[method-assign]
    try:
        yield handler
    finally:
        logging.Handler.handleError = original  # type: ignore[method-assign]
        root.removeHandler(handler)
