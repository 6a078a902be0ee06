"""A page save asks for the questionnaire's language only when it makes the response: the web
passes its locale look-up as a function, so a save of a started questionnaire selects no
locale, and one that must still make the response stores the language that function gives.
Each answer keeps the language its page was answered in (``answered_in``), on both save
paths, new and changed."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import ItemAnswer, Response
from fit_platform.domain.codes import Language
from fit_platform.services import answering
from tests.support.factories import make_world
from tests.support.patient import now, open_invitation

FIRST = {f"phq9_{n}": "1" for n in range(1, 6)}
SECOND = {"phq9_6": "0", "phq9_7": "0", "phq9_8": "0", "phq9_9": "0"}


def _language_asked(answer: Language, asked: list[Language]) -> Callable[[], Language]:
    def language() -> Language:
        asked.append(answer)
        return answer

    return language


def test_a_save_that_makes_the_response_stores_the_language_it_asked_for(db: Database) -> None:
    invitation_id, _token = open_invitation(db, make_world(db))  # never started: no response
    asked: list[Language] = []
    saved = answering.save_page(
        db,
        invitation_id,
        1,
        FIRST,
        _language_asked(Language.NYNORSK, asked),
        now(),
        instrument_id="phq9",
    )
    assert asked  # asked, and what it said is stored
    with db.session() as session:
        stored = session.scalar(select(Response.language).where(Response.id == saved.response_id))
    assert stored is Language.NYNORSK


def test_a_save_of_a_started_questionnaire_never_asks_for_the_language(db: Database) -> None:
    invitation_id, _token = open_invitation(db, make_world(db))
    answering.start_answering(db, invitation_id, Language.ENGLISH, now())
    asked: list[Language] = []
    # The first page (no risk question: the direct path on PostgreSQL) and the second (a
    # risk question: the session path on both databases), each saved new and then changed.
    changed_first = {**FIRST, "phq9_3": "2"}
    changed_second = {**SECOND, "phq9_7": "1"}
    for page, codes in ((1, FIRST), (1, changed_first), (2, SECOND), (2, changed_second)):
        answering.save_page(
            db,
            invitation_id,
            page,
            codes,
            _language_asked(Language.NYNORSK, asked),
            now(),
            instrument_id="phq9",
            answered_in=Language.NYNORSK if codes in (FIRST, SECOND) else Language.BOKMAAL,
        )
    assert asked == []
    with db.session() as session:
        languages = session.scalars(
            select(Response.language).where(Response.invitation_id == invitation_id)
        ).all()
    assert languages == [Language.ENGLISH]  # the language the start stored, unchanged
    with db.session() as session:
        answered = dict(session.execute(select(ItemAnswer.link_id, ItemAnswer.language)).all())
    # Saved in nynorsk (phq9_10 left blank: shown, so in the same language), the changed
    # ones again in bokmål (each page's one change).
    assert answered == {
        **{k: Language.NYNORSK for k in {**FIRST, **SECOND, "phq9_10": None}},
        "phq9_3": Language.BOKMAAL,
        "phq9_7": Language.BOKMAAL,
    }
