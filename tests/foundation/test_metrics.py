"""`/metrics`: Prometheus counters per route group and gauges read from the database.

The operator's promise: after some traffic a scrape shows it, per group; a failed message,
a due invitation and an open signal show up as numbers (never as a patient); and the
endpoint answers only where the configuration allows it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from fit_platform.db import Database
from fit_platform.db.base import utcnow
from fit_platform.db.models import OutboxMessage
from fit_platform.domain.codes import Channel, InvitationState, MessageKind, OutboxState
from fit_platform.domain.signals import SignalCode
from fit_platform.services.ops_figures import collect
from tests.conftest import make_test_app
from tests.support.clinical import add_failed_message, add_signal
from tests.support.factories import make_invitation, make_world


def _metrics_app(database_url: str, tmp_path: Path, **overrides: object) -> Flask:
    return make_test_app(database_url, tmp_path / "i", metrics_enabled=True, **overrides)


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _scrape(client: FlaskClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.status_code
    assert response.content_type.startswith("text/plain")
    values: Samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def _requests(values: Samples, group: str, status: str) -> float:
    key = ("fit_http_requests_total", (("group", group), ("method", "GET"), ("status", status)))
    return values.get(key, 0.0)


def test_a_scrape_after_some_requests_counts_them_per_route_group(
    database_url: str, tmp_path: Path
) -> None:
    app = _metrics_app(database_url, tmp_path)
    client = app.test_client()
    before = _scrape(client)
    assert client.get("/staff/login").status_code == 200
    assert client.get("/staff/login").status_code == 200
    assert client.get("/p/NoSuchTokenAnywhere123456").status_code in (404, 410)
    assert client.get("/clinician/").status_code == 302  # to the login page
    after = _scrape(client)
    text = client.get("/metrics").get_data(as_text=True)
    app.extensions["fit_db"].dispose()

    assert _requests(after, "auth", "2xx") - _requests(before, "auth", "2xx") == 2
    assert _requests(after, "patient", "4xx") - _requests(before, "patient", "4xx") == 1
    assert _requests(after, "clinician", "3xx") - _requests(before, "clinician", "3xx") == 1
    latency = ("fit_http_request_duration_seconds_count", (("group", "auth"),))
    assert after[latency] - before.get(latency, 0.0) == 2
    # Labels name groups, never a path: the token of the refused link is nowhere.
    assert "NoSuchTokenAnywhere" not in text


def test_every_request_is_counted_however_many_methods_clients_make_up(
    database_url: str, tmp_path: Path
) -> None:
    # Each process keeps a bounded number of request series; past the bound (a client
    # sending made-up methods) requests are still counted, each under its own method.
    app = _metrics_app(database_url, tmp_path)
    client = app.test_client()
    before = _scrape(client)
    methods = [f"M{n}" for n in range(300)]
    for method in [*methods, methods[0], methods[-1]]:
        assert client.open("/staff/login", method=method).status_code == 405
    after = _scrape(client)
    app.extensions["fit_db"].dispose()

    def counted(method: str) -> float:
        # A method no route has is refused before a blueprint is known: the group "other".
        key = (
            "fit_http_requests_total",
            (("group", "other"), ("method", method), ("status", "4xx")),
        )
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert [counted(m) for m in methods[1:-1]] == [1.0] * 298
    assert counted(methods[0]) == counted(methods[-1]) == 2
    latency = ("fit_http_request_duration_seconds_count", (("group", "other"),))
    assert after[latency] - before.get(latency, 0.0) == 302 + 1  # and the first scrape


def test_a_failed_message_a_due_invitation_and_an_open_signal_show_in_the_scrape(
    database_url: str, tmp_path: Path
) -> None:
    app = _metrics_app(database_url, tmp_path)
    db: Database = app.extensions["fit_db"]
    client = app.test_client()
    empty = _scrape(client)
    assert empty[("fit_outbox_failed_messages", ())] == 0
    assert empty[("fit_invitations_due_unsent", ())] == 0
    assert empty[("fit_signals_open", (("severity", "high"),))] == 0

    world = make_world(db)
    an_hour_ago = utcnow() - dt.timedelta(hours=1)
    add_failed_message(db, world)
    make_invitation(db, world, due_at=an_hour_ago, state=InvitationState.SCHEDULED)
    make_invitation(db, world, due_at=an_hour_ago, state=InvitationState.SENT)
    add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=an_hour_ago)
    full = _scrape(client)
    app.extensions["fit_db"].dispose()

    assert full[("fit_outbox_failed_messages", ())] == 1
    assert full[("fit_invitations_due_unsent", ())] == 1
    assert full[("fit_invitations_sent_last_24h", ())] == 1
    assert full[("fit_signals_open", (("severity", "high"),))] == 1
    assert full[("fit_signals_oldest_open_age_seconds", (("severity", "high"),))] >= 3600
    assert full[("fit_invitations_oldest_due_unsent_age_seconds", ())] >= 3600


def test_outbox_age_is_the_age_of_the_oldest_waiting_message_at_the_given_time(
    db: Database,
) -> None:
    world = make_world(db)
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    for minutes_ago, state in ((30, OutboxState.QUEUED), (90, OutboxState.SENT)):
        with db.transaction() as session:
            session.add(
                OutboxMessage(
                    dedupe_key=f"age:{minutes_ago}",
                    patient_id=world.patient_id,
                    kind=MessageKind.INVITATION,
                    channel=Channel.SMS,
                    state=state,
                    created_at=now - dt.timedelta(minutes=minutes_ago),
                )
            )
    figures = collect(db, now)
    assert figures.outbox_queued.count == 1
    assert figures.outbox_queued.oldest_age_seconds == 30 * 60
    assert collect(db, now + dt.timedelta(minutes=10)).outbox_queued.oldest_age_seconds == 40 * 60


def test_metrics_are_not_served_unless_enabled(database_url: str, tmp_path: Path) -> None:
    app = make_test_app(database_url, tmp_path / "i")
    assert app.test_client().get("/metrics").status_code == 404
    app.extensions["fit_db"].dispose()


def test_without_a_token_only_loopback_may_scrape(database_url: str, tmp_path: Path) -> None:
    app = _metrics_app(database_url, tmp_path)
    client = app.test_client()
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    remote = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert remote.status_code == 403
    app.extensions["fit_db"].dispose()


def test_with_a_token_the_scraper_must_bring_it(database_url: str, tmp_path: Path) -> None:
    app = _metrics_app(database_url, tmp_path, metrics_token="scrape-secret-123")
    client = app.test_client()
    assert client.get("/metrics").status_code == 403
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    right = client.get(
        "/metrics",
        headers={"Authorization": "Bearer scrape-secret-123"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert right.status_code == 200
    app.extensions["fit_db"].dispose()


def test_an_invitation_whose_message_failed_is_not_counted_as_waiting_for_the_scheduler(
    database_url: str, tmp_path: Path
) -> None:
    """`fit_invitations_due_unsent` is the alert for a scheduler that is not running
    (docs/operations.md). An invitation the scheduler did queue, whose message then failed at
    the gateway, is `fit_outbox_failed_messages`' business: counted in both, a gateway outage
    would also page the operator about a scheduler that is running fine."""
    app = _metrics_app(database_url, tmp_path)
    db: Database = app.extensions["fit_db"]
    client = app.test_client()
    world = make_world(db)
    an_hour_ago = utcnow() - dt.timedelta(hours=1)
    queued_then_failed, _token = make_invitation(
        db, world, due_at=an_hour_ago - dt.timedelta(hours=1), state=InvitationState.SCHEDULED
    )
    add_failed_message(db, world, at=an_hour_ago, invitation_id=queued_then_failed.id)
    make_invitation(db, world, due_at=an_hour_ago, state=InvitationState.SCHEDULED)
    scrape = _scrape(client)
    app.extensions["fit_db"].dispose()

    assert scrape[("fit_outbox_failed_messages", ())] == 1
    assert scrape[("fit_invitations_due_unsent", ())] == 1  # only the one never queued
    assert 3600 <= scrape[("fit_invitations_oldest_due_unsent_age_seconds", ())] < 2 * 3600


def test_a_failure_a_later_send_of_the_same_purpose_made_good_no_longer_counts(
    database_url: str, tmp_path: Path
) -> None:
    """What counts as failed (services/message_failures.py): a failed message stops counting
    when a later one for the same invitation, or the same patient's same request, was sent;
    a later one still queued, or for another invitation or patient, leaves it counting."""
    app = _metrics_app(database_url, tmp_path)
    db: Database = app.extensions["fit_db"]
    client = app.test_client()
    world, other = make_world(db), make_world(db)
    an_hour_ago = utcnow() - dt.timedelta(hours=1)
    made_good, _ = make_invitation(db, world, due_at=an_hour_ago, state=InvitationState.SENT)
    still_waiting, _ = make_invitation(db, world, due_at=an_hour_ago, state=InvitationState.SENT)
    rows = [
        # A reminder failed; the next reminder of the same invitation reached the patient.
        (world.patient_id, made_good.id, MessageKind.REMINDER, OutboxState.FAILED),
        (world.patient_id, made_good.id, MessageKind.REMINDER, OutboxState.SENT),
        # Its re-send is still queued: nothing is made good yet.
        (world.patient_id, still_waiting.id, MessageKind.REMINDER, OutboxState.FAILED),
        (world.patient_id, still_waiting.id, MessageKind.REMINDER, OutboxState.QUEUED),
        # A code failed; the patient asked again and got one.
        (world.patient_id, None, MessageKind.ONE_TIME_CODE, OutboxState.FAILED),
        (world.patient_id, None, MessageKind.ONE_TIME_CODE, OutboxState.SENT),
        # Another patient's code failed, and a code sent before it does not make it good.
        (other.patient_id, None, MessageKind.ONE_TIME_CODE, OutboxState.SENT),
        (other.patient_id, None, MessageKind.ONE_TIME_CODE, OutboxState.FAILED),
    ]
    for n, (patient_id, invitation_id, kind, state) in enumerate(rows):
        with db.transaction() as session:
            session.add(
                OutboxMessage(
                    dedupe_key=f"purpose:{n}",
                    patient_id=patient_id,
                    invitation_id=invitation_id,
                    kind=kind,
                    sequence=n + 1,
                    channel=Channel.SMS,
                    state=state,
                    created_at=an_hour_ago + dt.timedelta(minutes=n),
                )
            )
    scrape = _scrape(client)
    app.extensions["fit_db"].dispose()

    assert scrape[("fit_outbox_failed_messages", ())] == 2
