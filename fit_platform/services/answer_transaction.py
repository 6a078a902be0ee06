"""The open invitation a patient's answer is written to, and the retry around it.

Every write of the answering journey (start, a page, submit) locks the invitation, refuses
one that can no longer be answered (``LinkClosedError`` says why) and makes sure its one
response exists; two tabs or a double click race for the same rows, so the write runs again
when it loses a unique-key race and then finds the winner's rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    Invitation,
    Response,
)
from fit_platform.domain.codes import (
    Language,
    ResponseStatus,
)
from fit_platform.domain.instruments import get_instrument
from fit_platform.services.link_context import (
    LinkStatus,
    invitation_link_status,
)

# Attempts before a unique-key race is treated as an error (each retry sees the winner's rows).
RACE_RETRIES = 4


class LinkClosedError(Exception):
    """The invitation can no longer be answered; ``status`` says why."""

    def __init__(self, status: LinkStatus) -> None:
        self.status = status
        super().__init__(status.value)


def invitation_status(invitation: Invitation, now: dt.datetime) -> LinkStatus:
    return invitation_link_status(invitation.state, invitation.expires_at, now)


T = TypeVar("T")


def with_retry(db: Database, now: dt.datetime, work: Callable[[Session], T]) -> T:
    """Run ``work`` in a transaction at ``now``; on a unique-key race (two tabs, double click)
    run it again.

    The second run finds the row the other request inserted and updates it instead.
    """
    for _attempt in range(RACE_RETRIES):
        try:
            with db.transaction(now=now) as session:
                return work(session)
        except IntegrityError:
            continue
    with db.transaction(now=now) as session:
        return work(session)


def open_invitation(session: Session, invitation_id: int, now: dt.datetime) -> Invitation:
    invitation = session.get_one(Invitation, invitation_id, with_for_update=True)
    status = invitation_status(invitation, now)
    if status is not LinkStatus.OPEN:
        raise LinkClosedError(status)
    return invitation


def new_response(
    session: Session, invitation: Invitation, language: Language, now: dt.datetime
) -> Response:
    instrument = get_instrument(invitation.instrument_id)
    response = Response(
        invitation_id=invitation.id,
        episode_id=invitation.episode_id,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        language=language,
        status=ResponseStatus.IN_PROGRESS,
        started_at=now,
    )
    session.add(response)
    session.flush()  # the unique invitation_id makes a racing second insert fail here
    return response


def response_for(
    session: Session, invitation: Invitation, language: Language, now: dt.datetime
) -> Response:
    response = session.scalar(select(Response).where(Response.invitation_id == invitation.id))
    return response if response is not None else new_response(session, invitation, language, now)
