""" "What needs attention first" orders the caseload by how much a patient's open signals need
the therapist now, not by how many kinds of signal are open, and acknowledging a signal moves
the patient down (docs/clinician.md, "Caseload")."""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from fit_platform.domain.signals import SignalCode
from tests.support.clinical import acknowledge_in_the_view, add_signal
from tests.support.factories import (
    NOW,
    PASSWORD,
    World,
    add_appointment,
    make_staff,
    make_unit,
    make_world,
)
from tests.support.html import log_in


def _order(client: FlaskClient, query: str = "") -> list[int]:
    html = client.get(f"/clinician/{query}").get_data(as_text=True)
    table = html[html.index('<table class="caseload">') :]
    seen: list[int] = []
    for match in re.finditer(r'href="/clinician/episodes/(\d+)"', table):
        if int(match.group(1)) not in seen:
            seen.append(int(match.group(1)))
    return seen


def _flags(html: str, world: World) -> list[str]:
    """Per open signal in the patient's row: "acknowledged" (in the page's language) or ""."""
    start = html.index(f'href="/clinician/episodes/{world.episode_id}"')
    row = html[start : html.index("</tr>", start)]
    return [
        found.group(1) or ""
        for found in re.finditer(
            r'<span class="signal-flag">[^<]*<span class="muted">\([^)]*?(?:, ([^,)]+))?\)</span>',
            row,
        )
    ]


def test_new_signals_come_before_acknowledged_ones_whatever_their_number(
    app: Flask, client: FlaskClient
) -> None:
    db: Database = app.extensions["fit_db"]
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    make_staff(db, (Role.UNIT_LEAD, unit.id))  # a lead: no "no unit lead" alert in the way
    soon = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def patient(appointment_in_days: float | None) -> World:
        world = make_world(db, unit=unit, therapist=therapist)
        if appointment_in_days is not None:
            add_appointment(db, world, soon + dt.timedelta(days=appointment_in_days))
        return world

    two_acknowledged = patient(1)
    deterioration = patient(3)
    risk = patient(0.5)
    older_risk = patient(6)
    missed = patient(1)
    nothing = patient(0.1)
    acknowledged_risk = patient(5)
    acknowledged = [
        add_signal(db, two_acknowledged, SignalCode.NOT_ON_TRACK),
        add_signal(db, two_acknowledged, SignalCode.ALLIANCE_DROP, instrument_id="wai_sr"),
    ]
    new_deterioration = add_signal(db, deterioration, SignalCode.RELIABLE_DETERIORATION)
    add_signal(db, risk, SignalCode.RISK_ANSWER)
    # Waiting longer than `risk`'s (raised at NOW): first, though its session is further off.
    add_signal(db, older_risk, SignalCode.RISK_ANSWER, raised_at=NOW - dt.timedelta(days=2))
    add_signal(db, missed, SignalCode.MISSED_ANSWERS, instrument_id=None)
    old_risk = add_signal(db, acknowledged_risk, SignalCode.RISK_ANSWER)

    log_in(client, therapist.username, PASSWORD)
    for signal_id in acknowledged:
        acknowledge_in_the_view(client, two_acknowledged, signal_id)
    acknowledge_in_the_view(
        client, acknowledged_risk, old_risk, note="Phoned; safety plan in place"
    )

    ids = {
        "older risk": older_risk.episode_id,
        "risk": risk.episode_id,
        "deterioration": deterioration.episode_id,
        "missed": missed.episode_id,
        "two acknowledged": two_acknowledged.episode_id,
        "acknowledged risk": acknowledged_risk.episode_id,
        "nothing": nothing.episode_id,
    }
    names = {episode: name for name, episode in ids.items()}
    # The old order counted kinds of signal: "two acknowledged" came before the new
    # deterioration, which came after the missed answers, whose session is sooner; and two
    # risk answers came by session, not by how long they had waited.
    assert [names[e] for e in _order(client, "?lang=en")] == [
        "older risk",
        "risk",
        "deterioration",
        "missed",
        "two acknowledged",
        "acknowledged risk",
        "nothing",
    ]
    # The default and the explicit choice are the same order, and the page says the rule.
    assert _order(client, "?sort=priority&show=all&lang=en") == _order(client, "?lang=en")
    for lang, words in (
        ("en", "In this order: risk answers not acknowledged, the one waiting longest first;"),
        ("nb", "I denne rekkefølgen: risikosvar som ikke er kvittert ut, det som har ventet"),
        ("nn", "I denne rekkjefølgja: risikosvar som ikkje er kvitterte ut, det som har venta"),
    ):
        assert words in client.get(f"/clinician/?lang={lang}").get_data(as_text=True)
    assert "In this order:" not in client.get("/clinician/?sort=name&lang=en").get_data(
        as_text=True
    )

    # The row says which open signals are acknowledged, so the order explains itself.
    page = client.get("/clinician/?lang=en").get_data(as_text=True)
    assert 'Not on track <span class="muted">(' in page
    assert _flags(page, two_acknowledged) == ["acknowledged", "acknowledged"]
    assert _flags(page, deterioration) == [""]
    assert _flags(page, acknowledged_risk) == ["acknowledged"]
    nb = client.get("/clinician/?lang=nb").get_data(as_text=True)
    assert _flags(nb, two_acknowledged) == ["kvittert ut", "kvittert ut"]

    # Acknowledging the deterioration moves the patient among the acknowledged, by session.
    acknowledge_in_the_view(client, deterioration, new_deterioration)
    assert [names[e] for e in _order(client, "?lang=en")] == [
        "older risk",
        "risk",
        "missed",
        "two acknowledged",
        "deterioration",
        "acknowledged risk",
        "nothing",
    ]
