from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import AccessLog, Invitation, Staff
from fit_platform.domain.change import ChangeCategory
from fit_platform.domain.codes import (
    Actor,
    AppointmentStatus,
    Channel,
    ConsentEventKind,
    InvitationState,
    MessageKind,
    Role,
)
from fit_platform.domain.signals import SignalCode
from fit_platform.messaging.delivery_problem import DeliveryProblem
from fit_platform.services.caseload import caseload
from fit_platform.services.caseload_rows import (
    CaseloadQuery,
    CaseloadScope,
    CaseloadShow,
    CaseloadSort,
    CaseloadStatus,
)
from fit_platform.services.presession import presession
from tests.support.clinical import (
    add_consent_event,
    add_decision,
    add_failed_message,
    add_goal,
    add_signal,
    add_topic,
    viewer,
)
from tests.support.factories import (
    NOW,
    World,
    add_appointment,
    add_history,
    make_invitation,
    make_staff,
    make_unit,
    make_world,
)
from tests.support.queries import count_statements
from tests.support.scheduling import OSLO


def _therapist(db: Database, world: World):  # type: ignore[no-untyped-def]
    with db.session() as session:
        staff = session.get(Staff, world.therapist_id)
        assert staff is not None
        staff.roles  # noqa: B018 - load before the session closes
        return viewer(staff)


def _worlds(db: Database, n: int) -> tuple[list[World], Staff]:
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    return [make_world(db, unit=unit, therapist=therapist) for _ in range(n)], therapist


def test_caseload_puts_unacknowledged_risk_first_then_signals_then_next_appointment(
    db: Database,
) -> None:
    (calm, soon, signal, risk), therapist = _worlds(db, 4)
    add_appointment(db, soon, NOW + dt.timedelta(hours=2))
    add_appointment(db, calm, NOW + dt.timedelta(days=3))
    add_signal(db, signal, SignalCode.NOT_ON_TRACK)
    add_signal(db, risk, SignalCode.RISK_ANSWER)
    rows = caseload(db, viewer(therapist), now=NOW, zone=OSLO).rows
    assert [r.episode_id for r in rows] == [
        risk.episode_id,
        signal.episode_id,
        soon.episode_id,
        calm.episode_id,
    ]
    assert rows[0].status is CaseloadStatus.RISK
    assert rows[1].status is CaseloadStatus.ATTENTION
    assert rows[2].status is CaseloadStatus.NO_ANSWERS
    assert rows[2].next_appointment == NOW + dt.timedelta(hours=2)


def test_caseload_shows_latest_outcome_score_unanswered_invitations_and_consent(
    db: Database,
) -> None:
    (world,), therapist = _worlds(db, 1)
    add_history(db, world, [18, 12])
    make_invitation(db, world, due_at=NOW - dt.timedelta(hours=1))
    make_invitation(db, world, due_at=NOW - dt.timedelta(days=9))  # expired window
    add_consent_event(db, world, ConsentEventKind.PAUSED)
    (row,) = caseload(db, viewer(therapist), now=NOW, zone=OSLO).rows
    assert (row.latest_instrument, row.latest_total, row.latest_band) == ("phq9", 12, "moderate")
    assert row.unanswered_invitations == 1
    assert row.status is CaseloadStatus.ON_TRACK


def test_caseload_filters_and_sorts_by_name(db: Database) -> None:
    worlds, therapist = _worlds(db, 3)
    add_signal(db, worlds[1], SignalCode.ALLIANCE_DROP, instrument_id="wai_sr")
    who = viewer(therapist)
    shown = caseload(db, who, CaseloadQuery(show=CaseloadShow.SIGNALS), now=NOW, zone=OSLO).rows
    assert [r.episode_id for r in shown] == [worlds[1].episode_id]
    names = [
        r.patient_name
        for r in caseload(db, who, CaseloadQuery(sort=CaseloadSort.NAME), now=NOW, zone=OSLO).rows
    ]
    assert names == sorted(names, key=str.casefold)


def test_caseload_logs_one_access_row_per_patient_listed(db: Database) -> None:
    _worlds_, therapist = _worlds(db, 3)
    caseload(db, viewer(therapist), now=NOW, zone=OSLO)
    with db.session() as session:
        rows = session.execute(select(AccessLog.patient_id, AccessLog.action)).all()
    assert sorted(p for p, _ in rows) == sorted(w.patient_id for w in _worlds_)
    assert {a for _, a in rows} == {"caseload"}


def test_unit_lead_sees_the_unit_and_risk_signals_overdue_for_acknowledgement(
    db: Database,
) -> None:
    unit = make_unit(db)
    world = make_world(db, unit=unit)
    lead = make_staff(db, (Role.UNIT_LEAD, unit.id))
    old = add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=NOW - dt.timedelta(hours=30))
    add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=NOW - dt.timedelta(hours=2))
    result = caseload(db, viewer(lead), now=NOW, zone=OSLO, escalation_after=dt.timedelta(hours=24))
    assert result.scope is CaseloadScope.UNIT
    assert [r.episode_id for r in result.rows] == [world.episode_id]
    assert [e.signal_id for e in result.escalated] == [old]


def test_caseload_runs_the_same_number_of_queries_for_5_and_200_patients(db: Database) -> None:
    counts = []
    for n in (5, 200):
        worlds, therapist = _worlds(db, n)
        for world in worlds[::3]:
            add_signal(db, world, SignalCode.NOT_ON_TRACK)
            add_appointment(db, world, NOW + dt.timedelta(days=1))
        add_history(db, worlds[0], [15, 12, 9])
        # Questionnaires that never reached some of the patients: one query for them all.
        for world in worlds[::2]:
            failed, _token = make_invitation(db, world, state=InvitationState.SCHEDULED)
            add_failed_message(db, world, invitation_id=failed.id)
        who = viewer(therapist)
        with count_statements(db.engine) as counter:
            rows = caseload(db, who, now=NOW, zone=OSLO).rows
        assert len(rows) == n
        assert sum(1 for row in rows if row.not_delivered) == len(worlds[::2])
        counts.append(counter.count)
        # Listing only those patients costs the same statements as listing everyone.
        with count_statements(db.engine) as counter:
            shown = caseload(
                db, who, CaseloadQuery(show=CaseloadShow.NOT_DELIVERED), now=NOW, zone=OSLO
            ).rows
        assert {row.episode_id for row in shown} == {w.episode_id for w in worlds[::2]}
        counts.append(counter.count)
        # Wishes for fewer questionnaires: one statement for them all, filter included.
        for world in worlds[::4]:
            add_consent_event(db, world, ConsentEventKind.FREQUENCY_REDUCED)
        with count_statements(db.engine) as counter:
            asking = caseload(
                db, who, CaseloadQuery(show=CaseloadShow.FEWER_WISH), now=NOW, zone=OSLO
            ).rows
        assert {row.episode_id for row in asking} == {w.episode_id for w in worlds[::4]}
        counts.append(counter.count)
        # Samvalg decisions to look at again: one statement for them all, filter included.
        yesterday = (NOW - dt.timedelta(days=1)).astimezone(OSLO).date()
        for world in worlds[::3]:
            month_ago = NOW - dt.timedelta(days=30)
            add_decision(db, world, "Add group therapy", at=month_ago, review_on=yesterday)
        with count_statements(db.engine) as counter:
            review = caseload(
                db, who, CaseloadQuery(show=CaseloadShow.REVIEW_DUE), now=NOW, zone=OSLO
            ).rows
        assert {row.episode_id for row in review} == {w.episode_id for w in worlds[::3]}
        assert {row.review_due_on for row in review} == {yesterday}
        counts.append(counter.count)
    assert len(set(counts)) == 1


def test_repeated_signals_of_one_code_are_one_flag_and_cost_no_extra_statement(
    db: Database,
) -> None:
    counts = []
    for repeats in (1, 6):
        worlds, therapist = _worlds(db, 3)
        for world in worlds:
            for n in range(repeats):
                add_signal(db, world, SignalCode.RISK_ANSWER, raised_at=NOW - dt.timedelta(days=n))
            add_signal(db, world, SignalCode.NOT_ON_TRACK)
        who = viewer(therapist)
        with count_statements(db.engine) as counter:
            rows = caseload(db, who, now=NOW, zone=OSLO).rows
        counts.append(counter.count)
        for row in rows:
            assert row.open_signals == (SignalCode.RISK_ANSWER, SignalCode.NOT_ON_TRACK)
            risk = row.open_flags[0]
            assert (risk.count, risk.latest_at, risk.unacknowledged) == (repeats, NOW, repeats)
        with count_statements(db.engine) as counter:
            view = presession(db, _therapist(db, worlds[0]), worlds[0].episode_id, now=NOW)
        counts.append(counter.count)
        assert view is not None
        assert [(f.code, f.count) for f in view.open_flags] == [
            (SignalCode.RISK_ANSWER, repeats),
            (SignalCode.NOT_ON_TRACK, 1),
        ]
    assert counts[0] == counts[2] and counts[1] == counts[3]


def test_caseload_counts_questionnaires_not_delivered_until_a_later_one_reaches_the_patient(
    db: Database,
) -> None:
    world = make_world(db)
    who = _therapist(db, world)
    for hours in (1, 2):
        failed, _token = make_invitation(
            db, world, due_at=NOW - dt.timedelta(hours=hours), state=InvitationState.SCHEDULED
        )
        add_failed_message(db, world, invitation_id=failed.id)
    [row] = caseload(db, who, now=NOW, zone=OSLO).rows
    assert row.not_delivered is not None
    assert (row.not_delivered.count, row.not_delivered.problem) == (2, DeliveryProblem.SERVICE)
    assert row.unanswered_invitations == 0
    # A later questionnaire reached the patient: the old failures are history now (the
    # appointments page still lists them), not something to act on.
    make_invitation(db, world, due_at=NOW)
    [row] = caseload(db, who, now=NOW, zone=OSLO).rows
    assert row.not_delivered is None
    assert row.unanswered_invitations == 1


def test_presession_gathers_goals_topics_trends_signals_answers_consent_and_failures(
    db: Database,
) -> None:
    world = make_world(db)
    add_history(db, world, [20, 17, 12, 9])
    add_history(db, world, [56, 54, 51], "wai_sr")
    add_goal(db, world, "Sove bedre")
    add_topic(db, world, "Jobben", NOW - dt.timedelta(days=2))
    add_topic(db, world, "Søvn", NOW)
    add_signal(db, world, SignalCode.NOT_ON_TRACK)
    risk = add_signal(db, world, SignalCode.RISK_ANSWER)
    add_consent_event(db, world, ConsentEventKind.CHANNEL_CHANGED)
    add_failed_message(db, world)
    view = presession(db, _therapist(db, world), world.episode_id, language="en", now=NOW)
    assert view is not None
    assert view.goals == ("Sove bedre",)
    assert [t for t, _ in view.topics] == ["Søvn", "Jobben"]
    (phq9,) = view.outcome
    assert [p.total for p in phq9.points] == [20, 17, 12, 9]
    assert phq9.points[-1].change_from_first is ChangeCategory.RELIABLE_IMPROVEMENT
    assert phq9.points[0].expected is not None and phq9.points[0].expected.expected == 20
    assert phq9.latest_answers[0].item_text.startswith("Little interest")
    (wai,) = view.alliance
    # WAI-SR drop threshold: 2.5 % of the 12-60 range (1.2), so a fall of 2 points is marked.
    assert [p.drop for p in wai.points] == [False, True, True]
    assert view.open_signals[0].id == risk
    assert [e.kind for e in view.consent_history] == [ConsentEventKind.CHANNEL_CHANGED]
    assert len(view.failed_deliveries) == 1


def test_presession_reads_the_episodes_short_lists_in_one_statement_each_in_its_order(
    db: Database,
) -> None:
    world = make_world(db)
    other = make_world(db)  # another patient's rows stay out of every list
    for n in range(7):
        add_topic(db, world, f"Topic {n}", NOW - dt.timedelta(days=n))
    for n in range(12):
        add_failed_message(db, world, NOW - dt.timedelta(hours=n))
    add_failed_message(db, other, NOW)
    add_goal(db, world, "First goal")
    add_goal(db, world, "Second goal")
    add_goal(db, other, "Not this patient's")
    add_consent_event(db, world, ConsentEventKind.PAUSED, NOW - dt.timedelta(days=3))
    add_consent_event(db, world, ConsentEventKind.CHANNEL_CHANGED, NOW - dt.timedelta(days=1))
    add_decision(db, world, "Older", at=NOW - dt.timedelta(days=2), review_on=dt.date(2026, 12, 1))
    add_decision(db, world, "Newer", at=NOW - dt.timedelta(days=1))
    older = add_signal(db, world, SignalCode.NOT_ON_TRACK, raised_at=NOW - dt.timedelta(days=2))
    newer = add_signal(db, world, SignalCode.ALLIANCE_DROP, raised_at=NOW - dt.timedelta(days=1))
    add_signal(db, other, SignalCode.NOT_ON_TRACK)
    who = _therapist(db, world)
    with count_statements(db.engine) as counter:
        view = presession(db, who, world.episode_id, language="en", now=NOW)
    assert view is not None
    assert view.goals == ("First goal", "Second goal")
    assert [text for text, _at in view.topics] == [f"Topic {n}" for n in range(5)]
    assert len(view.failed_deliveries) == 10
    assert [f.at for f in view.failed_deliveries] == [
        NOW - dt.timedelta(hours=n) for n in range(10)
    ]
    assert [f.kind for f in view.failed_deliveries] == [MessageKind.INVITATION] * 10
    assert [f.channel for f in view.failed_deliveries] == [Channel.SMS] * 10
    assert [(e.kind, e.actor) for e in view.consent_history] == [
        (ConsentEventKind.CHANNEL_CHANGED, Actor.PATIENT),
        (ConsentEventKind.PAUSED, Actor.PATIENT),
    ]
    assert [(d.decision, d.review_on, d.visible_to_patient) for d in view.decisions] == [
        ("Newer", None, True),
        ("Older", dt.date(2026, 12, 1), True),
    ]
    assert [s.id for s in view.open_signals] == [newer, older]
    assert view.open_signals[0].instrument_id == "phq9"
    # The episode, the scores, the short lists, the access-log row: nothing per list.
    lists = [s for s in counter.statements if "episode_lists" in s]
    assert len(lists) == 1
    assert counter.count <= 5


def test_presession_reads_the_units_active_leads_and_the_next_planned_appointment(
    db: Database,
) -> None:
    world = make_world(db)
    other = make_unit(db)
    make_staff(db, (Role.UNIT_LEAD, world.unit_id), name="Berit Lead")
    make_staff(db, (Role.UNIT_LEAD, world.unit_id), name="Anne Lead")
    make_staff(db, (Role.UNIT_LEAD, world.unit_id), name="Anne Lead")  # same name: listed once
    make_staff(db, (Role.UNIT_LEAD, other.id), name="Other Unit Lead")
    make_staff(db, (Role.THERAPIST, world.unit_id), name="Not A Lead")
    gone = make_staff(db, (Role.UNIT_LEAD, world.unit_id), name="Left Lead")
    with db.transaction() as session:
        left = session.get(Staff, gone.id)
        assert left is not None
        left.is_active = False
    add_appointment(db, world, NOW - dt.timedelta(days=1))
    cancelled = add_appointment(db, world, NOW + dt.timedelta(hours=2))
    with db.transaction() as session:
        session.merge(cancelled).status = AppointmentStatus.CANCELLED
    add_appointment(db, world, NOW + dt.timedelta(days=3))
    add_appointment(db, world, NOW + dt.timedelta(days=1))
    view = presession(db, _therapist(db, world), world.episode_id, now=NOW)
    assert view is not None
    assert view.unit_leads == ("Anne Lead", "Berit Lead")
    assert view.next_appointment == NOW + dt.timedelta(days=1)


def test_presession_without_unit_leads_or_appointments_still_reads_the_episode(
    db: Database,
) -> None:
    world = make_world(db)
    view = presession(db, _therapist(db, world), world.episode_id, now=NOW)
    assert view is not None
    assert view.unit_leads == ()
    assert view.next_appointment is None
    assert presession(db, _therapist(db, world), world.episode_id + 1000, now=NOW) is None


def test_presession_marks_a_risk_answer_in_the_latest_answers(db: Database) -> None:
    world = make_world(db)
    add_history(db, world, [27])  # every item at the top, item 9 included
    view = presession(db, _therapist(db, world), world.episode_id, language="nb", now=NOW)
    assert view is not None
    flagged = [line.link_id for line in view.outcome[0].latest_answers if line.at_risk_threshold]
    assert flagged == ["phq9_9"]


def test_presession_runs_the_same_number_of_queries_for_10_and_1000_responses(
    db: Database,
) -> None:
    # The first view in a process also builds the service's percentile bands (one statement per
    # outcome questionnaire, then kept an hour), so one view before counting builds them.
    warm_up = make_world(db)
    add_history(db, warm_up, [15])
    presession(db, _therapist(db, warm_up), warm_up.episode_id, now=NOW)
    counts = []
    for n in (10, 1000):
        world = make_world(db)
        add_history(db, world, [(i * 7) % 28 for i in range(n)], every=dt.timedelta(days=1))
        add_signal(db, world)
        who = _therapist(db, world)
        with count_statements(db.engine) as counter:
            view = presession(db, who, world.episode_id, now=NOW)
        assert view is not None and len(view.outcome[0].points) == n
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_invitation_states_other_than_sent_or_opened_are_not_unanswered(db: Database) -> None:
    (world,), therapist = _worlds(db, 1)
    make_invitation(db, world, due_at=NOW, state=InvitationState.COMPLETED)
    (row,) = caseload(db, viewer(therapist), now=NOW, zone=OSLO).rows
    assert row.unanswered_invitations == 0
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Invitation)) == 1


def test_presession_reads_the_own_plan_behind_its_access_check_flat_in_versions_and_choices(
    db: Database,
) -> None:
    from fit_platform.domain.own_plan import ChoiceEventKind, ChoiceKind, CrisisPlanText, RecordedBy
    from fit_platform.services import own_plan

    warm_up = make_world(db)  # the first view in a process builds the service's bands
    add_history(db, warm_up, [15])
    presession(db, _therapist(db, warm_up), warm_up.episode_id, now=NOW)
    counts = []
    for saves in (1, 30):
        world = make_world(db)
        add_history(db, world, [15, 12])
        for n in range(saves):
            own_plan.save_crisis_plan(
                db, world.patient_id, CrisisPlanText(what_helps=f"Walk {n}"), NOW
            )
        own_plan.change_choice(
            db,
            world.patient_id,
            NOW,
            event=ChoiceEventKind.RECORDED,
            kind=ChoiceKind.CONTACT_PERSON,
            text="My brother",
            recorded_by=RecordedBy.THERAPIST_WITH_PATIENT,
            staff_id=world.therapist_id,
        )
        who = _therapist(db, world)
        with count_statements(db.engine) as counter:
            view = presession(db, who, world.episode_id, with_own_plan=True, now=NOW)
        counts.append(counter.count)
        assert view is not None and view.own_plan is not None
        plan = view.own_plan.plan
        assert plan is not None and plan.versions == saves
        assert plan.text.what_helps == f"Walk {saves - 1}"  # the newest version
        assert [line.choice.text for line in view.own_plan.choices] == ["My brother"]
        assert view.own_plan.may_record
        with db.session() as session:
            actions = session.scalars(
                select(AccessLog.action)
                .where(AccessLog.patient_id == world.patient_id)
                .order_by(AccessLog.id)
            ).all()
        assert actions == ["presession_view", "own_plan_view"]  # both reads, in one transaction
    assert counts[0] == counts[1]
    # Another unit's therapist gets nothing, the plan included.
    other = make_world(db)
    assert (
        presession(db, _therapist(db, other), world.episode_id, with_own_plan=True, now=NOW) is None
    )
