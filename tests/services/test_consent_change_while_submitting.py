"""A stop or pause recorded at the moment the patient submits a questionnaire (in another tab,
or staff recording the stop while she answers), on PostgreSQL as production runs it.

The consent change read the patient's open invitations, then cancelled them by id: a submit
that committed in between was written over, and a questionnaire with its answers saved stood
as "cancelled for consent" (the link page said so, the export counted a non-response). The
submit holds its invitation until it commits, as here; the change now waits for it and leaves
a completed questionnaire completed.
"""

from __future__ import annotations

import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from fit_platform.db import Database
from fit_platform.db.models import Invitation
from fit_platform.domain.codes import Actor, ConsentEventKind, InvitationState
from fit_platform.services.consent import ConsentChange, ConsentResult, record_consent
from tests.support.factories import NOW, make_invitation, make_world
from tests.support.lock_wait import waits_for_a_lock

on_postgresql = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
OSLO = ZoneInfo("Europe/Oslo")


@on_postgresql
@pytest.mark.parametrize("kind", [ConsentEventKind.STOPPED, ConsentEventKind.DECLINED_INVITATION])
def test_a_questionnaire_submitted_while_the_consent_change_runs_stays_completed(
    db: Database, kind: ConsentEventKind
) -> None:
    world = make_world(db)
    submitted, _token = make_invitation(db, world, due_at=NOW)
    other, _ = make_invitation(db, world, "gad7", due_at=NOW)
    results: list[ConsentResult | BaseException] = []
    staff = Database(db.url)  # the page recording the change, in another web worker

    def change() -> None:
        try:
            results.append(
                record_consent(
                    staff,
                    world.patient_id,
                    ConsentChange(kind),
                    now=NOW,
                    actor=Actor.PATIENT,
                    invitation_id=submitted.id,
                    zone=OSLO,
                )
            )
        except BaseException as error:  # reported below
            results.append(error)

    holder_engine = create_engine(db.url)
    with holder_engine.connect() as submit:
        # The submit has completed the invitation and not yet committed.
        submit.execute(
            text("UPDATE invitation SET state = 'completed' WHERE id = :id"), {"id": submitted.id}
        )
        thread = threading.Thread(target=change)
        thread.start()
        assert waits_for_a_lock(holder_engine, thread), "the change did not wait"
        submit.commit()
    thread.join(timeout=20)
    holder_engine.dispose()
    staff.dispose()

    (result,) = results
    assert isinstance(result, ConsentResult), result
    with db.session() as session:
        assert session.get_one(Invitation, submitted.id).state is InvitationState.COMPLETED
        untouched = session.get_one(Invitation, other.id).state
    # A stop still cancels what is open; declining one questionnaire leaves the others.
    expected = (
        InvitationState.CANCELLED if kind is ConsentEventKind.STOPPED else InvitationState.SENT
    )
    assert untouched is expected
