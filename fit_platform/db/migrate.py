"""Run Alembic from code, so `fit-platform db upgrade` and the tests use one configuration."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["database_url"] = database_url
    return config


Revisions = frozenset[str]


def upgrade(database_url: str, revision: str = "head") -> tuple[Revisions, Revisions]:
    """Upgrade to ``revision``; the database's revisions before and after (empty: none)."""
    before = database_revisions(database_url)
    command.upgrade(alembic_config(database_url), revision)
    return before, database_revisions(database_url)


def downgrade(database_url: str, revision: str) -> tuple[Revisions, Revisions]:
    """Downgrade to ``revision``; the database's revisions before and after (empty: base)."""
    before = database_revisions(database_url)
    command.downgrade(alembic_config(database_url), revision)
    return before, database_revisions(database_url)


def database_revisions(database_url: str) -> Revisions:
    """The revisions recorded in the database at ``database_url``."""
    from fit_platform.db.session import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return current_revisions(connection)
    finally:
        engine.dispose()


def check(database_url: str) -> None:
    """Raise if the models and the migrations disagree (alembic check)."""
    command.check(alembic_config(database_url))


@cache
def head_revisions() -> frozenset[str]:
    """The revisions the code expects the database at (read from the files once a process)."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def current_revisions(connection: Connection) -> frozenset[str]:
    """The revisions recorded in the database (empty before the first upgrade)."""
    return frozenset(MigrationContext.configure(connection).get_current_heads())
