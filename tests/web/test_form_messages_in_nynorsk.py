"""No English validator message on a nynorsk page. WTForms translates its built-in messages
("Field cannot be longer than 200 characters.") from its own catalogue, which has no nynorsk:
every form on the staff pages is found the way a browser finds it and posted with over-long,
empty and malformed input in nn, and no answer may contain one of WTForms' English messages."""

from __future__ import annotations

import re
from pathlib import Path

import wtforms
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from tests.fuzz.forms import Form, forms_on
from tests.support.factories import PASSWORD, add_appointment, make_staff, make_world
from tests.support.html import log_in
from tests.support.scheduling import oslo

BAD_INPUTS = ("x" * 6000, "", "31.02.20x9 25:61")
# Forms that would end something for good are left out; the rest refuse bad input.
LEFT_OUT = ("logout", "erase", "close", "deactivate", "remove", "archive", "transfer")


def _english_messages() -> re.Pattern[str]:
    """WTForms' own messages (its .pot file), each with its placeholders as wildcards."""
    pot = Path(wtforms.__file__).parent / "locale" / "wtforms.pot"
    with pot.open("rb") as handle:
        catalog = read_po(handle)
    texts: list[str] = []
    for message in catalog:
        if message.id:
            texts.extend((message.id,) if isinstance(message.id, str) else message.id)
    placeholder = re.compile(r"%(\(\w+\))?[sd]")
    patterns = [
        ".+?".join(re.escape(part) for part in placeholder.split(text)[::2]) for text in texts
    ]
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns))


ENGLISH = _english_messages()


def _free(values: list[str]) -> bool:
    """A field the user types into: no value offered (a text box or an empty text area)."""
    return values == [] or values == [""]


def _posts(client: FlaskClient, page: str) -> list[tuple[str, str]]:
    """Every form on `page` with a field to type into, posted with each bad input in nn."""
    html = client.get(page).get_data(as_text=True)
    answers = []
    forms: list[Form] = [
        form
        for form in forms_on(page, html)
        if form.method == "POST"
        and not any(word in form.action for word in LEFT_OUT)
        and any(_free(values) for name, values in form.fields.items() if name != form.csrf_field)
    ]
    assert forms, page
    for form in forms:
        for bad in BAD_INPUTS:
            data = {
                name: (bad if _free(values) else values[0]) for name, values in form.fields.items()
            }
            action = form.action + ("&" if "?" in form.action else "?") + "lang=nn"
            response = client.post(action, data=data)
            answers.append((f"{form.action} {bad[:10]!r}", response.get_data(as_text=True)))
    return answers


def _assert_no_english(answers: list[tuple[str, str]]) -> None:
    found = {
        where: match.group(0)
        for where, html in answers
        if (match := ENGLISH.search(html)) is not None
    }
    assert found == {}


def test_admin_forms_answer_bad_input_in_nynorsk(app: Flask, client: FlaskClient) -> None:
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    pages = (
        "/admin/units",
        f"/admin/units/{world.unit_id}",
        "/admin/staff/invite",
        "/admin/schedule-templates",
    )
    answers = [answer for page in pages for answer in _posts(client, f"{page}?lang=nn")]
    assert any("Skriv høgst 200 teikn." in html for _where, html in answers)
    _assert_no_english(answers)


def test_therapist_forms_answer_bad_input_in_nynorsk(app: Flask, client: FlaskClient) -> None:
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    add_appointment(db, world, oslo(2026, 12, 20, 9))
    log_in(client, world.therapist_username, PASSWORD)
    episode = f"/clinician/episodes/{world.episode_id}"
    pages = (
        "/clinician/register",
        f"{episode}/appointments",
        f"{episode}/schedule",
        f"{episode}/decisions/new",
    )
    answers = [answer for page in pages for answer in _posts(client, f"{page}?lang=nn")]
    _assert_no_english(answers)


def test_the_login_form_answers_bad_input_in_nynorsk(client: FlaskClient) -> None:
    _assert_no_english(_posts(client, "/staff/login?lang=nn"))


def test_every_form_takes_its_messages_from_the_projects_catalogue() -> None:
    """A form subclassing FlaskForm directly would be back on WTForms' catalogue (no nn)."""
    web = Path(__file__).resolve().parents[2] / "fit_platform" / "web"
    direct = [
        f"{path.relative_to(web)}:{number}"
        for path in web.rglob("*.py")
        if path.name != "form_base.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.match(r"class \w+\(FlaskForm\)", line)
    ]
    assert direct == []
