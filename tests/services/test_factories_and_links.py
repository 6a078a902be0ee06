from __future__ import annotations

from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import InvitationToken, Response
from fit_platform.services.links import hash_token, resolve_token
from tests.support.factories import add_history, make_invitation, make_world


def test_a_token_is_stored_only_as_its_hash(db: Database) -> None:
    world = make_world(db)
    _invitation, token = make_invitation(db, world)
    with db.session() as session:
        stored = session.scalars(select(InvitationToken.token_hash)).all()
    assert stored == [hash_token(token)]
    assert token not in stored
    assert len(token) >= 43  # 256 bits in URL-safe base64


def test_resolving_a_token_finds_its_invitation_and_unknown_tokens_find_nothing(
    db: Database,
) -> None:
    world = make_world(db)
    invitation, token = make_invitation(db, world)
    with db.session() as session:
        resolved = resolve_token(session, token)
        assert resolved is not None and resolved.invitation.id == invitation.id
        assert resolve_token(session, token + "x") is None
        assert resolve_token(session, "") is None
        assert resolve_token(session, "a" * 500) is None


def test_history_factory_stores_scored_responses(db: Database) -> None:
    world = make_world(db)
    add_history(db, world, [19, 14, 9])
    with db.session() as session:
        totals = session.scalars(select(Response.total).order_by(Response.submitted_at)).all()
        count = session.scalar(select(func.count()).select_from(Response))
    assert totals == [19, 14, 9] and count == 3
