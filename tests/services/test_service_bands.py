"""The service's percentile bands are built in one query and kept for their lifetime."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from fit_platform.db import Database
from fit_platform.db.models import Episode, Staff
from fit_platform.domain.codes import EpisodeStatus, Role
from fit_platform.domain.expected_recovery import DefaultCurve
from fit_platform.domain.instruments import default_instruments
from fit_platform.services.presession import presession
from fit_platform.services.scored_responses import add_scored_response
from fit_platform.services.service_bands import LIFETIME, service_bands
from tests.support.clinical import viewer
from tests.support.factories import (
    NOW,
    add_history,
    answers_for_total,
    make_staff,
    make_unit,
    make_world,
)
from tests.support.queries import count_statements

PHQ9 = default_instruments()["phq9"]
MODERATELY_SEVERE = 3  # the stratum 15-19, the fourth PHQ-9 severity band


def _ended_episodes(db: Database, totals: list[int], count: int) -> None:
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    for _ in range(count):
        world = make_world(db, unit=unit, therapist=therapist)
        add_history(db, world, totals)
        with db.transaction() as session:
            session.execute(
                update(Episode)
                .where(Episode.id == world.episode_id)
                .values(status=EpisodeStatus.ENDED)
            )


def test_bands_are_built_in_one_statement_and_not_rebuilt_within_their_lifetime(
    db: Database,
) -> None:
    _ended_episodes(db, [15, 12, 9], 3)
    with db.session() as session, count_statements(db.engine) as counter:
        first = service_bands(session, PHQ9, NOW)
    assert counter.count == 1, counter.statements
    assert first is not None and first.cells[(MODERATELY_SEVERE, 3)].n == 3

    _ended_episodes(db, [15, 12, 9], 2)  # ended after the build: not seen until it is stale
    with db.session() as session, count_statements(db.engine) as counter:
        kept = service_bands(session, PHQ9, NOW + LIFETIME - dt.timedelta(seconds=1))
    assert counter.count == 0, counter.statements
    assert kept is first

    with db.session() as session, count_statements(db.engine) as counter:
        rebuilt = service_bands(session, PHQ9, NOW + LIFETIME)
    assert counter.count == 1, counter.statements
    assert rebuilt is not None and rebuilt.cells[(MODERATELY_SEVERE, 3)].n == 5


def test_a_clock_set_back_before_the_build_rebuilds_the_bands(db: Database) -> None:
    with db.session() as session:
        service_bands(session, PHQ9, NOW)
    with db.session() as session, count_statements(db.engine) as counter:
        service_bands(session, PHQ9, NOW - dt.timedelta(minutes=1))
    assert counter.count == 1, counter.statements


def test_sessions_count_from_the_first_scorable_total_and_open_episodes_do_not_count(
    db: Database,
) -> None:
    _ended_episodes(db, [15, 12, 9], 1)
    still_open = make_world(db)
    add_history(db, still_open, [15, 12, 9, 3])
    with db.session() as session:
        model = service_bands(session, PHQ9, NOW)
    assert model is not None
    assert {key: cell.n for key, cell in model.cells.items()} == {
        (MODERATELY_SEVERE, 1): 1,
        (MODERATELY_SEVERE, 2): 1,
        (MODERATELY_SEVERE, 3): 1,
    }
    assert model.cells[(MODERATELY_SEVERE, 3)].median == 9


def test_an_alliance_questionnaire_has_no_bands_and_costs_no_statement(db: Database) -> None:
    with db.session() as session, count_statements(db.engine) as counter:
        assert service_bands(session, default_instruments()["wai_sr"], NOW) is None
    assert counter.count == 0


def test_the_chart_reads_the_band_at_the_rules_session_an_unscorable_answer_included(
    db: Database,
) -> None:
    world = make_world(db)
    add_history(db, world, [16], start=NOW - dt.timedelta(weeks=3))
    with db.transaction() as session:
        add_scored_response(
            session,
            episode_id=world.episode_id,
            instrument=PHQ9,
            answers={**answers_for_total("phq9", 14), "phq9_1": None},  # not scorable
            when=NOW - dt.timedelta(weeks=2),
        )
    add_history(db, world, [14], start=NOW - dt.timedelta(weeks=1))
    with db.session() as session:
        therapist = session.get(Staff, world.therapist_id)
        assert therapist is not None
        therapist.roles  # noqa: B018 - load before the session closes
    view = presession(db, viewer(therapist), world.episode_id, now=NOW)
    assert view is not None
    latest = view.outcome[0].points[-1]
    assert latest.total == 14 and latest.occasion == 2
    assert latest.expected == DefaultCurve(PHQ9).band(16, 3)
