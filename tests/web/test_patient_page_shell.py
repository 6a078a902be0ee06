"""The patient layout is kept per language and clinic (web/patient/page_shell.py): every page
put together from it is the same HTML as a full render of its template, and nothing of one
patient or one clinic reaches another's page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, g, template_rendered
from flask.testing import FlaskClient
from jinja2 import Template

from fit_platform.db import Database
from fit_platform.db.models import Unit
from fit_platform.web.patient import page_shell
from tests.support.factories import make_unit, make_world
from tests.support.patient import Patient, open_invitation

FIRST_PAGE = {f"phq9_{i}": "1" for i in range(1, 6)}
CSRF_VALUE = re.compile(r'(name="csrf_token" type="hidden" value=")[^"]+"')


@contextmanager
def rendered(app: Flask) -> Iterator[list[tuple[Template, dict[str, Any]]]]:
    """The templates a request rendered, with the context each was rendered with."""
    renders: list[tuple[Template, dict[str, Any]]] = []

    def record(sender: Flask, template: Template, context: dict[str, Any], **extra: Any) -> None:
        renders.append((template, dict(context)))

    template_rendered.connect(record, app)
    try:
        yield renders
    finally:
        template_rendered.disconnect(record, app)


def full_render(app: Flask, path: str, template: Template, context: dict[str, Any]) -> str:
    """The page as Jinja renders the whole template, layout included, in the same context."""
    with app.test_request_context(path):
        # Lazy texts (a field's error) are translated as they render: in the page's language.
        g.patient_language = context["current_locale"]
        return template.render(context)


def same_page(app: Flask, client: FlaskClient, path: str, **kwargs: Any) -> str:
    """Request ``path`` and check the page is the full render of its template; returns it."""
    with rendered(app) as renders:
        response = client.open(path, **kwargs)
    html = response.get_data(as_text=True)
    page_renders = [(t, c) for t, c in renders if t.name != page_shell.SHELL_TEMPLATE]
    assert len(page_renders) == 1
    template, context = page_renders[-1]
    full = full_render(app, path.split("?")[0], template, context)
    # The CSRF token is signed with the time, so a second rendering may differ in it alone.
    assert CSRF_VALUE.sub(r"\1-", html) == CSRF_VALUE.sub(r"\1-", full)
    return html


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_landing_and_answer_pages_are_the_same_html_as_a_full_render(
    app: Flask, client: FlaskClient, db: Database, lang: str
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    landing = same_page(app, client, f"/p/{token}?lang={lang}")
    assert f'<html lang="{lang}">' in landing
    assert f'href="/p/{token}?lang=nn"' in landing  # the language switcher keeps the path
    patient = Patient(client, token, lang)
    patient.start()
    same_page(app, client, "/p/answer/1")
    assert patient.answer_page(1, FIRST_PAGE).status_code == 302
    saved = same_page(app, client, "/p/answer/1")
    assert 'checked id="phq9_1-1"' in saved
    assert '<button form="answers" name="language" value="en"' in saved
    # A page sent back with a missing answer has its errors in the title and the content.
    invalid = same_page(
        app,
        client,
        "/p/answer/2",
        method="POST",
        data={"csrf_token": patient.csrf, "phq9_6": "1"},
    )
    assert 'id="error-summary"' in invalid


def test_each_clinic_has_its_own_name_and_phone_escaped_on_its_patients_pages(
    app: Flask, client: FlaskClient, db: Database
) -> None:
    odd = make_unit(db)
    with db.transaction() as session:
        unit = session.get(Unit, odd.id)
        assert unit is not None
        unit.name = "Bø & <Åsen> DPS"
        unit.phone = "+47 33 33 33 33"
    pages = {}
    for world in (make_world(db), make_world(db, unit=odd)):
        _invitation_id, token = open_invitation(db, world)
        pages[world.unit_id] = same_page(app, client, f"/p/{token}?lang=en")
    odd_page = pages.pop(odd.id)
    (plain_page,) = pages.values()
    assert "<strong>Bø &amp; &lt;Åsen&gt; DPS</strong>" in odd_page
    assert 'href="tel:+4733333333"' in odd_page
    assert "Åsen" not in plain_page and "+4733333333" not in plain_page


def test_a_page_with_a_flashed_message_is_rendered_in_full_with_the_message(
    app: Flask, client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    Patient(client, token).start()
    with client.session_transaction() as session:
        session["_flashes"] = [("message", "A flashed message")]
    with rendered(app) as renders:
        html = client.get("/p/answer/1").get_data(as_text=True)
    assert 'role="status"><p>A flashed message</p>' in html
    assert page_shell.SHELL_TEMPLATE not in [t.name for t, _ in renders]
    with client.session_transaction() as session:
        assert "_flashes" not in session  # shown once, as any flashed message


def test_the_kept_layout_is_rendered_from_the_clinic_alone_and_holds_no_link(
    app: Flask, client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    page_shell._shells_of(app).cache_clear()
    with rendered(app) as renders:
        landing = client.get(f"/p/{token}?lang=en").get_data(as_text=True)
    assert token in landing  # the language switcher's links, put in per request
    (context,) = [c for t, c in renders if t.name == page_shell.SHELL_TEMPLATE]
    with db.session() as session:
        unit = session.get(Unit, world.unit_id)
        assert unit is not None
        assert context["ctx"] == page_shell._ClinicOnly(unit.name, unit.phone, "open", True)
    kept = page_shell._shells_of(app)("en", "", unit.name, unit.phone, "open", True, True, "")
    assert kept is not None and page_shell.PATH in kept
    assert not any(token in piece for piece in kept)
    assert page_shell._shells_of(app).cache_info().maxsize == page_shell.SHELLS_KEPT


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_the_question_page_with_its_language_buttons_is_put_together_from_the_kept_layout(
    app: Flask, client: FlaskClient, db: Database, lang: str
) -> None:
    """The answer page names its form for the header's language buttons (a block of its own);
    a page that fills it must still be served from the kept layout, not rendered in full each
    time (the full render cost the page about a quarter more CPU in the server)."""
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token, lang)
    patient.start()
    template = app.jinja_env.get_template("patient/answer.html")
    assert page_shell._fills_only_page_blocks(template)
    shells = page_shell._shells_of(app)
    same_page(app, client, "/p/answer/1")
    hits = shells.cache_info().hits
    page = same_page(app, client, "/p/answer/1")
    assert shells.cache_info().hits == hits + 1
    assert page.count('<button form="answers" name="language"') == 3
    # The landing page has no form to save: its language choices are links.
    landing = client.get(f"/p/{token}").get_data(as_text=True)
    assert 'form="answers"' not in landing and landing.count("hreflang=") == 3
