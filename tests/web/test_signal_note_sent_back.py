"""A signal's note that cannot be saved comes back to the therapist where they are looking: the
pre-session view again, the message at the top and beside the field, the note as typed. Before,
the page was opened at the signal with the only message in a banner above it, out of sight, so
a risk acknowledgement sent without a note looked as if nothing had happened; and a note over
500 characters was a bare 400 page that lost the note."""

from __future__ import annotations

import re
from typing import NamedTuple

from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.db.models import Signal
from fit_platform.domain.signals import SignalCode
from tests.support.clinical import add_signal
from tests.support.factories import PASSWORD, World, make_world
from tests.support.html import csrf_token, log_in


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _signal(db: Database, signal_id: int) -> Signal:
    with db.session() as session:
        signal = session.get_one(Signal, signal_id)
        session.expunge(signal)
        return signal


def _open(client: FlaskClient, world: World, lang: str = "en") -> str:
    log_in(client, world.therapist_username, PASSWORD)
    return client.get(f"/clinician/episodes/{world.episode_id}?lang={lang}").get_data(as_text=True)


class Opened(NamedTuple):
    db: Database
    signal_id: int
    page: str  # the pre-session view as the therapist opened it
    url: str  # the signal's acknowledge or resolve action


def _signal_form(
    app: Flask, client: FlaskClient, code: SignalCode, action: str, lang: str = "en"
) -> Opened:
    """A patient with one open signal, and their therapist on the pre-session view."""
    db = _db(app)
    world = make_world(db)
    signal_id = add_signal(db, world, code)
    page = _open(client, world, lang)
    url = f"/clinician/episodes/{world.episode_id}/signals/{signal_id}/{action}"
    return Opened(db, signal_id, page, url)


def _textarea(html: str, field_id: str) -> re.Match[str]:
    found = re.search(rf'<textarea id="{field_id}"([^>]*)>(.*?)</textarea>', html, re.S)
    assert found is not None, field_id
    return found


def test_a_risk_acknowledgement_without_a_note_says_so_at_the_top_and_beside_the_note(
    app: Flask, client: FlaskClient
) -> None:
    db, risk, page, url = _signal_form(app, client, SignalCode.RISK_ANSWER, "acknowledge")

    # Spaces pass the browser's `required`; the service refuses them.
    refused = client.post(url, data={"csrf_token": csrf_token(page), "note": "   "})

    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    message = "Write what was done before you acknowledge a risk signal."
    # First thing on the page, before the patient's name: in view where the page opens.
    summary = html.index('id="error-summary"')
    assert summary < html.index("<h1>")
    assert f'<a href="#ack-note-{risk}">{message}</a>' in html
    field = _textarea(html, f"ack-note-{risk}")
    assert 'aria-invalid="true"' in field.group(1)
    assert f"ack-note-{risk}-error" in field.group(1)
    assert f'<p class="field-error" id="ack-note-{risk}-error">{message}</p>' in html
    assert _signal(db, risk).acknowledged_at is None

    saved = client.post(url, data={"csrf_token": csrf_token(html), "note": "Phoned; safe"})
    assert saved.status_code == 302
    assert _signal(db, risk).acknowledge_note == "Phoned; safe"


def test_a_note_over_the_limit_comes_back_whole_with_the_count_typed(
    app: Flask, client: FlaskClient
) -> None:
    db, risk, page, url = _signal_form(app, client, SignalCode.RISK_ANSWER, "acknowledge", "nb")
    # No maxlength: a browser would cut a pasted note without a word. The hint gives the limit.
    field = _textarea(page, f"ack-note-{risk}")
    assert "maxlength" not in field.group(1)
    assert f'aria-describedby="ack-note-{risk}-hint"' in field.group(1)
    assert "Høyst 500 tegn." in page
    note = "Ringte pasienten & laget <plan>. " * 22  # 726 characters

    refused = client.post(url, data={"csrf_token": csrf_token(page), "note": note})

    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert f"Skriv høyst 500 tegn (du skrev {len(note.strip())})." in html
    kept = _textarea(html, f"ack-note-{risk}").group(2)
    assert kept == note.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert _signal(db, risk).acknowledged_at is None


def test_a_resolving_note_over_the_limit_comes_back_to_the_resolve_form(
    app: Flask, client: FlaskClient
) -> None:
    db, signal_id, page, url = _signal_form(app, client, SignalCode.NOT_ON_TRACK, "resolve")

    refused = client.post(url, data={"csrf_token": csrf_token(page), "note": "x" * 501})

    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert f'<a href="#resolve-note-{signal_id}">' in html
    assert "Write at most 500 characters (you wrote 501)." in html
    assert _textarea(html, f"resolve-note-{signal_id}").group(2) == "x" * 501
    # The other form of the same signal is left as it was.
    assert _textarea(html, f"ack-note-{signal_id}").group(2) == ""
    assert _signal(db, signal_id).resolved_at is None


def test_a_signal_someone_else_acknowledged_first_says_so_where_the_page_opens(
    app: Flask, client: FlaskClient
) -> None:
    db, risk, page, url = _signal_form(app, client, SignalCode.RISK_ANSWER, "acknowledge")
    assert client.post(url, data={"csrf_token": csrf_token(page), "note": "Phoned"}).status_code
    # The same form sent again, from a second tab opened before the first was sent.
    again = client.post(url, data={"csrf_token": csrf_token(page), "note": "Phoned too"})

    assert again.status_code == 302
    # The top of the page, where the message is, not the signal further down.
    # The view's own address, without "#signal-…".
    assert again.headers["Location"] == url.split("/signals/")[0]
    followed = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "This signal was already acknowledged." in followed
    assert _signal(db, risk).acknowledge_note == "Phoned"


def _language_links(html: str) -> dict[str, str]:
    nav = html.split('class="language-switcher"', 1)[1].split("</nav>", 1)[0]
    return {
        code: href.replace("&amp;", "&")
        for href, code in re.findall(r'<a href="([^"]+)" lang="(\w+)"', nav)
    }


def test_a_language_link_on_the_sent_back_note_opens_the_page_it_was_on(
    app: Flask, client: FlaskClient
) -> None:
    """A keyboard walk sent a note too long, chose Bokmål on the page that said so, and was
    answered 405: the language links pointed at the resolve action, which only takes a POST.
    They now lead to the page the form was on, in the language chosen."""
    _db, _signal_id, page, url = _signal_form(app, client, SignalCode.NOT_ON_TRACK, "resolve")
    refused = client.post(url, data={"csrf_token": csrf_token(page), "note": "x" * 510})
    assert refused.status_code == 422
    links = _language_links(refused.get_data(as_text=True))
    assert set(links) == {"nb", "nn", "en"}
    view = url.split("/signals/", 1)[0]
    assert links["nb"] == f"{view}?lang=nb"
    opened = client.get(links["nb"])
    assert opened.status_code == 200
    html = opened.get_data(as_text=True)
    assert '<html lang="nb">' in html
    assert f'action="{url}"' in html  # the pre-session view, with the signal's form again


def test_a_language_link_on_a_form_page_that_takes_a_get_keeps_its_address(
    app: Flask, client: FlaskClient
) -> None:
    """A form posted to its own page (a sign-in) keeps the page's address in its links."""
    refused = client.post(
        "/staff/login?lang=en",
        data={
            "csrf_token": csrf_token(client.get("/staff/login").get_data(as_text=True)),
            "username": "nobody@example.org",
            "password": "wrong password",
        },
    )
    links = _language_links(refused.get_data(as_text=True))
    assert links["nn"] == "/staff/login?lang=nn"
    assert client.get(links["nn"]).status_code == 200


def test_an_acknowledgement_is_confirmed_where_the_page_opens(
    app: Flask, client: FlaskClient
) -> None:
    """The page opens at #signals after a note is saved; "Signal acknowledged." was drawn at
    the page's top, out of sight, and a keyboard walk at 200 % zoom saw no sign of it."""
    _db, _signal_id, page, url = _signal_form(app, client, SignalCode.NOT_ON_TRACK, "acknowledge")
    saved = client.post(url, data={"csrf_token": csrf_token(page), "note": "Talked it over."})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#signals")
    view = client.get(saved.headers["Location"].split("#", 1)[0] + "?lang=en").get_data(
        as_text=True
    )
    signals = view.split('id="signals"', 1)[1]
    assert signals.split(">", 1)[1].lstrip().startswith("Open signals</h2>")
    assert '<p class="said-here" role="status">Signal acknowledged.</p>' in signals[:400]
    assert "Signal acknowledged." not in view.split("<h1>", 1)[0]
