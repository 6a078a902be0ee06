"""The link context read on PostgreSQL through the process's own connection (db/direct_read.py)
gives what the same statement gives through SQLAlchemy, and rides out a lost connection."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import exc

from fit_platform.db import Database
from fit_platform.db.models import InvitationToken, Patient
from fit_platform.domain.codes import ConsentState, Language
from fit_platform.services import answering
from fit_platform.services import link_context as lc
from fit_platform.services.links import hash_token
from tests.support.factories import make_world
from tests.support.patient import now, open_invitation
from tests.support.postgres import end_other_backends
from tests.support.production_stack import free_port

# PostgreSQL only (SQLite reads through SQLAlchemy); the database is emptied after each test.
on_postgresql = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _through_sqlalchemy(db: Database, token: str, at: dt.datetime) -> lc.LinkContext:
    with db.reading() as connection:
        rows = connection.execute(lc.BY_TOKEN_HASH, {"token_hash": hash_token(token)}).all()
    return lc._from_rows(rows[0], rows, at)


@on_postgresql
def test_the_direct_read_gives_the_same_context_as_sqlalchemy(db: Database) -> None:
    assert db.direct_reader() is not None
    invitation_id, token = open_invitation(db, make_world(db, language=Language.NYNORSK))
    at = now()
    answering.start_answering(db, invitation_id, Language.NYNORSK, at)
    answering.save_page(
        db, invitation_id, 1, {f"phq9_{n}": "2" for n in range(1, 6)}, Language.NYNORSK, at
    )
    with db.transaction() as session:
        session.query(Patient).update(
            {"consent_state": ConsentState.PAUSED, "paused_until": dt.date(2027, 1, 4)}
        )

    direct = answering.inspect_link(db, token, at)
    assert direct == _through_sqlalchemy(db, token, at)
    assert direct.saved_values == _through_sqlalchemy(db, token, at).saved_values
    assert direct.language is Language.NYNORSK and direct.consent_state is ConsentState.PAUSED
    assert direct.expires_at is not None and direct.expires_at.tzinfo is dt.UTC
    assert len(direct.saved_values) == 5
    assert direct == answering.load_context(db, direct.token_id or 0, at)

    with db.transaction() as session:
        session.query(InvitationToken).update({"revoked_at": at})
    revoked = answering.inspect_link(db, token, at)
    assert revoked.status is lc.LinkStatus.CANCELLED
    assert revoked == _through_sqlalchemy(db, token, at)


@on_postgresql
def test_a_read_after_the_server_dropped_the_connection_opens_a_new_one(
    db: Database,
) -> None:
    _invitation_id, token = open_invitation(db, make_world(db))
    assert answering.inspect_link(db, token, now()).status is lc.LinkStatus.OPEN
    assert end_other_backends(db.url) >= 1  # what a database restart does
    assert answering.inspect_link(db, token, now()).status is lc.LinkStatus.OPEN


def test_a_database_that_does_not_answer_is_sqlalchemys_operational_error() -> None:
    db = Database(f"postgresql+psycopg://fit@127.0.0.1:{free_port()}/fit?connect_timeout=2")
    with pytest.raises(exc.OperationalError):
        answering.inspect_link(db, "x" * 43, now())
    db.dispose()
