"""Switching language keeps the page as it was: its filters and its step, only `lang` changes.

The switcher is a plain link (it works without JavaScript), so it must carry the page's other
query arguments itself; and it stays a link to this site whatever path was asked for.
"""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, open_invitation


def switcher_links(page: str) -> dict[str, str]:
    """Each language's link in the switcher, unescaped, by language code."""
    nav = page[page.index('class="language-switcher"') : page.index("</nav>")]
    return {
        code: html.unescape(href)
        for href, code in re.findall(r'<a href="([^"]*)" lang="([a-z]+)"', nav)
    }


def test_switching_language_on_the_figures_page_keeps_the_chosen_period_and_unit(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    developer = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    log_in(client, developer.username, PASSWORD)
    query = f"period=month&start=2026-06-01&end=2026-06-30&unit={world.unit_id}"
    page = client.get(f"/export/?{query}&lang=en").get_data(as_text=True)
    links = switcher_links(page)
    assert links["nb"] == f"/export/?{query}&lang=nb"
    assert links["nn"] == f"/export/?{query}&lang=nn"

    switched = client.get(links["nb"]).get_data(as_text=True)
    assert '<html lang="nb">' in switched
    assert re.search(r'<option selected value="month">|<option value="month" selected', switched)
    assert 'value="2026-06-01"' in switched
    assert re.search(rf'<option selected value="{world.unit_id}">', switched)


def test_switching_language_on_the_help_page_keeps_the_way_back_to_the_next_question(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    page = client.get("/p/help?after=1&lang=en").get_data(as_text=True)
    assert 'href="/p/answer/2"' in page
    links = switcher_links(page)
    assert links["nn"] == "/p/help?after=1&lang=nn"

    switched = client.get(links["nn"]).get_data(as_text=True)
    assert '<html lang="nn">' in switched
    assert 'href="/p/answer/2"' in switched  # not back to the finish page


def test_the_landing_page_switcher_keeps_its_arguments_and_replaces_only_lang(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    page = client.get(f"/p/{token}?lang=en&from=sms&lang=nn").get_data(as_text=True)
    assert switcher_links(page)["en"] == f"/p/{token}?from=sms&lang=en"


def test_the_switcher_on_a_page_asked_for_with_a_double_slash_stays_on_this_site(
    client: FlaskClient,
) -> None:
    page = client.get('//evil.example/x?q="><script>&lang=en').get_data(as_text=True)
    for link in switcher_links(page).values():
        assert link.startswith("/") and not link.startswith("//")
    assert "<script>" not in page
