"""The populated service the fuzz suite attacks, and one browser (test client) per role.

Two units. In unit A a therapist has a patient with a submitted history, a signal, an
appointment, a schedule rule, a goal, a topic, a comment and consent events, and an open
invitation whose link the "patient" client has opened. Unit A also has a unit lead; the
service has a service developer and an administrator. In unit B another therapist (never
logged in here) has a second patient with submitted answers and consent events: data that no
role of the run may change, and that only the unit lead of B could read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import (
    AccessLog,
    AdminAudit,
    Appointment,
    ConsentEvent,
    GroupMember,
    GroupTherapist,
    Invitation,
    ItemAnswer,
    Response,
    ResponseComment,
    SchedulePlan,
    ScheduleRule,
    StaffSession,
    TherapyGroup,
)
from fit_platform.domain.codes import (
    CommentSource,
    ConsentEventKind,
    InvitationState,
    ResponseStatus,
    Role,
    ScheduleTrigger,
)
from fit_platform.web.auth.session import SESSION_KEY
from tests.support.clinical import add_consent_event, add_goal, add_signal, add_topic
from tests.support.factories import (
    PASSWORD,
    World,
    add_appointment,
    add_history,
    make_staff,
    make_unit,
    make_world,
)
from tests.support.html import log_in
from tests.support.patient import Patient, open_invitation

ROLES = ("anonymous", "patient", "therapist", "unit_lead", "service_developer", "admin")
STAFF_ROLES = {
    "therapist": Role.THERAPIST,
    "unit_lead": Role.UNIT_LEAD,
    "service_developer": Role.SERVICE_DEVELOPER,
    "admin": Role.ADMIN,
}


@dataclass
class FuzzWorld:
    app: Flask
    db: Database
    own: World
    other: World
    token: str
    invitation_id: int
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    staff_ids: dict[str, int] = field(default_factory=dict)
    # Real ids per URL variable name, e.g. {"episode_id": [3, 4]}.
    ids: dict[str, list[str]] = field(default_factory=dict)
    # Each role's live CSRF token (tests/fuzz/attack.py refreshes it after a new session).
    csrf: dict[str, str] = field(default_factory=dict)
    usernames: list[str] = field(default_factory=list)

    def keep_patient_link_open(self) -> bool:
        """A fuzzed request may legitimately submit the open questionnaire or end the link;
        then the patient gets a fresh invitation, so later requests reach the answer forms."""
        with self.db.session() as session:
            state = session.get_one(Invitation, self.invitation_id).state
        if state in (InvitationState.SENT, InvitationState.OPENED):
            return False
        self.invitation_id, self.token = open_invitation(self.db, self.own)
        self.clients["patient"] = _patient_client(self.app, self.token)
        self.ids["token"] = [self.token]
        return True

    def keep_staff_logged_in(self, role: str) -> bool:
        """A fuzzed POST to /staff/logout (with a valid CSRF token) ends the role's session;
        open a new one the way the login does, without a login attempt the throttle counts."""
        client = self.clients[role]
        with client.session_transaction() as cookie:
            session_id = cookie.get(SESSION_KEY)
        if session_id and _session_is_live(self.db, session_id):
            return False
        new_id = secrets.token_urlsafe(32)
        now = dt.datetime.now(dt.UTC)
        with self.db.transaction() as session:
            session.add(
                StaffSession(
                    staff_id=self.staff_ids[role],
                    token_hash=hashlib.sha256(new_id.encode()).hexdigest(),
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + dt.timedelta(hours=10),
                )
            )
        with client.session_transaction() as cookie:
            cookie[SESSION_KEY] = new_id
        return True


def _session_is_live(db: Database, session_id: str) -> bool:
    digest = hashlib.sha256(session_id.encode()).hexdigest()
    with db.session() as session:
        row = session.scalar(select(StaffSession).where(StaffSession.token_hash == digest))
        return row is not None and row.revoked_at is None


def _patient_client(app: Flask, token: str) -> FlaskClient:
    client = app.test_client()
    Patient(client, token).start()
    return client


def build_world(app: Flask) -> FuzzWorld:
    db: Database = app.extensions["fit_db"]
    unit_a, unit_b = make_unit(db), make_unit(db)
    own = make_world(db, unit=unit_a)
    other = make_world(db, unit=unit_b)
    for side in (own, other):
        add_history(db, side, [19, 16, 14, 11])
        add_history(db, side, [12, 9], instrument_id="gad7")
        add_consent_event(db, side, ConsentEventKind.CHANNEL_CHANGED)
        add_goal(db, side, "Sove bedre")
        add_topic(db, side, "Jobben")
    signal_own, signal_other = add_signal(db, own), add_signal(db, other)
    appointments = [
        add_appointment(db, w, dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).id
        for w in (own, other)
    ]
    rules = [_add_rule(db, w) for w in (own, other)]
    with db.transaction() as session:
        first = session.scalars(select(Response).order_by(Response.id)).first()
        assert first is not None
        session.add(
            ResponseComment(
                response_id=first.id,
                episode_id=first.episode_id,
                source=CommentSource.FINISH,
                text="Takk",
            )
        )

    staff = {
        "therapist": None,
        "unit_lead": make_staff(db, (Role.UNIT_LEAD, unit_a.id)),
        "service_developer": make_staff(db, (Role.SERVICE_DEVELOPER, None)),
        "admin": make_staff(db, (Role.ADMIN, None)),
    }
    group_id = _add_group(db, own)
    invitation_id, token = open_invitation(db, own)
    world = FuzzWorld(
        app=app, db=db, own=own, other=other, token=token, invitation_id=invitation_id
    )
    world.clients["anonymous"] = app.test_client()
    world.clients["patient"] = _patient_client(app, token)
    for role, member in staff.items():
        client = app.test_client()
        username = own.therapist_username if member is None else member.username
        log_in(client, username, PASSWORD)
        world.clients[role] = client
        world.staff_ids[role] = own.therapist_id if member is None else member.id
        world.usernames.append(username)
    world.ids = {
        "episode_id": [str(own.episode_id), str(other.episode_id)],
        "signal_id": [str(signal_own), str(signal_other)],
        "appointment_id": [str(a) for a in appointments],
        "rule_id": [str(r) for r in rules],
        "group_id": [str(group_id)],
        "page": ["1", "2", "3"],
        "token": [token],
        "code": ["nb", "nn", "en"],
        "filename": ["css/site.css", "../config.py", "css/%2e%2e/%2e%2e/config.py"],
    }
    return world


def _add_group(db: Database, world: World) -> int:
    """A group in unit A led by the therapist, with their patient as a member. Its form (the
    draft demo VAS) cannot be sent, so recording a session in the run changes no answers."""
    with db.transaction() as session:
        group = TherapyGroup(
            unit_id=world.unit_id,
            name="Fuzz group",
            instrument_id="vas_demo",
            created_by=world.therapist_id,
            # Sessions are refused before the day the group was created: the run's clock is
            # its own, so the group is older than any session it records.
            created_at=dt.datetime(2001, 1, 1, tzinfo=dt.UTC),
        )
        group.therapists = [GroupTherapist(staff_id=world.therapist_id)]
        session.add(group)
        session.flush()
        session.add(GroupMember(group_id=group.id, episode_id=world.episode_id))
        return group.id


def _add_rule(db: Database, world: World) -> int:
    with db.transaction() as session:
        plan = SchedulePlan(name="Fuzz", episode_id=world.episode_id)
        session.add(plan)
        session.flush()
        rule = ScheduleRule(
            plan_id=plan.id,
            instrument_id="phq9",
            trigger=ScheduleTrigger.WEEKLY,
            weekdays="1,4",
            send_time="09:30",
            window_hours=48,
        )
        session.add(rule)
        session.flush()
        return rule.id


def protected_snapshot(world: FuzzWorld) -> dict[str, Any]:
    """What no fuzzed request may change: the answers and scores of submitted responses, the
    patients' comments, every consent event, access-log and admin-audit row that existed, and
    everything of the other unit's patient (who has no browser in the run)."""
    db = world.db
    with db.session() as session:
        submitted = session.scalars(
            select(Response).where(Response.status == ResponseStatus.SUBMITTED)
        ).all()
        responses = {
            r.id: (r.episode_id, r.instrument_id, r.total, r.band, r.risk, r.submitted_at)
            for r in submitted
        }
        answers = {
            (a.response_id, a.link_id): (a.value, a.answered_at)
            for a in session.scalars(
                select(ItemAnswer).where(ItemAnswer.response_id.in_(list(responses)))
            )
        }
        other_episode = world.other.episode_id
        return {
            "responses": responses,
            "answers": answers,
            "comments": {
                c.id: (c.response_id, c.text) for c in session.scalars(select(ResponseComment))
            },
            "consent": {
                e.id: (e.patient_id, e.kind, e.reason, e.paused_until, e.created_at)
                for e in session.scalars(select(ConsentEvent))
            },
            "access_log": len(session.scalars(select(AccessLog.id)).all()),
            "admin_audit": {
                a.id: (a.action, a.target_id) for a in session.scalars(select(AdminAudit))
            },
            "other_patient": {
                "responses": sorted(
                    r.id
                    for r in session.scalars(
                        select(Response).where(Response.episode_id == other_episode)
                    )
                ),
                "consent": sorted(
                    e.id
                    for e in session.scalars(
                        select(ConsentEvent).where(
                            ConsentEvent.patient_id == world.other.patient_id
                        )
                    )
                ),
                "appointments": [
                    (a.id, a.starts_at, a.status)
                    for a in session.scalars(
                        select(Appointment)
                        .where(Appointment.episode_id == other_episode)
                        .order_by(Appointment.id)
                    )
                ],
            },
        }


def assert_nothing_saved_was_lost(before: dict[str, Any], after: dict[str, Any]) -> None:
    for key in ("responses", "answers", "comments", "consent", "admin_audit"):
        changed = {k: v for k, v in before[key].items() if after[key].get(k) != v}
        assert changed == {}, f"{key} changed or vanished: {changed}"
    # The access log only grows.
    assert after["access_log"] >= before["access_log"]
    assert after["other_patient"] == before["other_patient"]
