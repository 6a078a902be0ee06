"""One row per reading session on the patient's "who has looked" list."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from fit_platform.domain.codes import Role
from fit_platform.domain.reading_sessions import SESSION_GAP, Read, reading_sessions

T0 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def _read(minutes: int, reader: int = 1, action: str = "presession_view") -> Read:
    return Read(reader, Role.THERAPIST, "DPS Nord", action, T0 + dt.timedelta(minutes=minutes))


def test_reads_by_the_same_person_within_half_an_hour_are_one_session() -> None:
    reads = [_read(0, action="caseload"), _read(1), _read(2), _read(25), _read(50)]
    (session,) = reading_sessions(reads)
    assert session.started_at == T0 and session.ended_at == T0 + dt.timedelta(minutes=50)
    assert session.actions == ("caseload", "presession_view")
    assert session.reads == 5


def test_a_pause_longer_than_half_an_hour_starts_a_new_session_newest_first() -> None:
    sessions = reading_sessions([_read(0), _read(31), _read(200)])
    assert [s.started_at for s in sessions] == [
        T0 + dt.timedelta(minutes=200),
        T0 + dt.timedelta(minutes=31),
        T0,
    ]


def test_two_readers_at_the_same_time_are_two_sessions_and_neither_is_named() -> None:
    sessions = reading_sessions([_read(0, reader=1), _read(1, reader=2), _read(2, reader=1)])
    assert len(sessions) == 2
    assert not any(hasattr(s, "reader") or hasattr(s, "staff_id") for s in sessions)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 24 * 60)), max_size=40))
def test_every_read_belongs_to_exactly_one_session(raw: list[tuple[int, int]]) -> None:
    reads = [_read(minute, reader=reader) for reader, minute in raw]
    sessions = reading_sessions(reads)
    assert sum(s.reads for s in sessions) == len(reads)
    for s in sessions:
        assert s.ended_at - s.started_at <= SESSION_GAP * max(0, s.reads - 1)
