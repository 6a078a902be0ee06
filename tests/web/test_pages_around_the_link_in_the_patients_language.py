"""The pages around a patient's link speak the patient's language, not the browser's.

A patient registered with nynorsk opens their link on a phone set to English. The landing page
is in nynorsk; so must be what they reach from it before pressing Start: the privacy notice it
links to, and the page asking them to open the link again if they go straight to a page of
the questionnaire. A language the patient picks on the page wins, and opening the link still
uses nothing up.
"""

from __future__ import annotations

from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import InvitationState, Language
from tests.support.factories import make_world
from tests.support.patient import invitation_state, open_invitation

ENGLISH_PHONE = {"Accept-Language": "en-GB,en;q=0.9"}


def page_language(client: FlaskClient, path: str) -> str:
    page = client.get(path, headers=ENGLISH_PHONE).get_data(as_text=True)
    return page[page.index('<html lang="') + 12 :].split('"', 1)[0]


def test_before_start_every_page_follows_the_patients_registered_language(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db, language=Language.NYNORSK)
    invitation_id, token = open_invitation(db, world)
    assert page_language(client, "/privacy") == "en"  # a browser that opened no link

    assert page_language(client, f"/p/{token}") == "nn"
    assert page_language(client, "/privacy") == "nn"
    assert page_language(client, "/p/choices") == "nn"  # "open the link from your message"
    assert page_language(client, "/p/progress") == "nn"
    # Opening the link is still only looking at it.
    assert invitation_state(db, invitation_id) is InvitationState.SENT


def test_a_language_the_patient_chose_on_the_page_wins_over_the_registered_one(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db, language=Language.NYNORSK)
    _invitation_id, token = open_invitation(db, world)
    assert page_language(client, f"/p/{token}?lang=en") == "en"
    assert page_language(client, "/privacy") == "en"
    assert page_language(client, f"/p/{token}") == "en"


def test_the_closed_links_page_also_sets_the_patients_language(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db, language=Language.NYNORSK)
    _invitation_id, token = open_invitation(db, world, state=InvitationState.COMPLETED)
    assert page_language(client, f"/p/{token}") == "nn"
    assert page_language(client, "/privacy") == "nn"
