"""A signal nobody has acted on is named at the top of the pre-session view, a risk answer
first and in red, with a link to it, before the patient's own plan, wishes and words; once the
therapist acknowledges it through the page the line no longer names it (docs/clinician.md,
"Pre-session view")."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.signals import SignalCode
from tests.support.clinical import add_signal
from tests.support.factories import PASSWORD, make_world
from tests.support.html import csrf_token, log_in


def _line(html: str) -> str | None:
    found = re.search(r'<p class="alert[^"]*signals-waiting[^"]*">(.*?)</p>', html, re.S)
    return found.group(0) if found else None


def test_signals_waiting_are_named_at_the_top_until_acknowledged(
    app: Flask, client: FlaskClient
) -> None:
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    not_on_track = add_signal(db, world, SignalCode.NOT_ON_TRACK)
    risk = add_signal(db, world, SignalCode.RISK_ANSWER)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}"

    html = client.get(f"{url}?lang=en").get_data(as_text=True)
    line = _line(html)
    assert line is not None
    assert "alert-danger" in line
    assert "Not acknowledged yet:" in line
    # Risk first, each a link to its signal on the page.
    assert re.findall(r'<a href="#signal-(\d+)">([^<]+)</a>', line) == [
        (str(risk), "Risk answer"),
        (str(not_on_track), "Not on track"),
    ]
    assert f'id="signal-{risk}"' in html and f'id="signal-{not_on_track}"' in html
    assert html.index("signals-waiting") < html.index('id="own-words"')
    for lang, words in (("nb", "Ikke kvittert ut ennå:"), ("nn", "Ikkje kvittert ut enno:")):
        assert words in (_line(client.get(f"{url}?lang={lang}").get_data(as_text=True)) or "")

    # Acknowledged through the page: the risk answer leaves the line, which is no longer red.
    response = client.post(
        f"{url}/signals/{risk}/acknowledge",
        data={"csrf_token": csrf_token(html), "note": "Phoned the patient; safe"},
    )
    assert response.status_code == 302
    html = client.get(f"{url}?lang=en").get_data(as_text=True)
    line = _line(html)
    assert line is not None and "alert-danger" not in line
    assert re.findall(r'<a href="#signal-(\d+)">', line) == [str(not_on_track)]

    response = client.post(
        f"{url}/signals/{not_on_track}/acknowledge",
        data={"csrf_token": csrf_token(html), "note": ""},
    )
    assert response.status_code == 302
    html = client.get(f"{url}?lang=en").get_data(as_text=True)
    assert _line(html) is None
    assert "Not acknowledged yet:" not in html


def test_each_signal_names_the_questionnaire_that_raised_it_and_the_cut_off_rule(
    app: Flask, client: FlaskClient
) -> None:
    """Two outcome questionnaires on the page and a "Not on track" card that named neither:
    the therapist could not tell which one it was about. Each occurrence now starts with the
    questionnaire's short name. The card's text says "at or above the clinical cut-off", the
    rule the signal follows (caseness starts at the cut-off): "above" contradicted a score
    equal to it."""
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    gad7 = add_signal(db, world, SignalCode.NOT_ON_TRACK, instrument_id="gad7")
    log_in(client, world.therapist_username, PASSWORD)
    html = client.get(f"/clinician/episodes/{world.episode_id}?lang=en").get_data(as_text=True)
    card = html.split(f'id="signal-{gad7}"', 1)[1].split("</article>", 1)[0]
    assert re.search(r'<p class="muted">GAD-7 · Raised ', card)
    assert "still at or above the clinical cut-off" in card
    nb = client.get(f"/clinician/episodes/{world.episode_id}?lang=nb").get_data(as_text=True)
    assert "fortsatt på eller over den kliniske grenseverdien" in nb
