"""Comments patients send "to the service only": read per unit and quarter, counted in exports.

A ``ServiceFeedback`` row has a unit, a programme, a questionnaire, the text and the month it
was written in; nothing links it to a patient, an episode, a response or a time of day. Service
developers and administrators read them per unit and quarter (the export pages refuse anyone
who also holds a clinical role, so a therapist can never match a text to a patient). The page
shows the quarter only, never the month, and lists the texts in alphabetical order, so their
order tells nothing about when they were written. Exports never carry the text: they count the
comments per unit, programme and period (:func:`comment_counts`), with small cells hidden, and
hide the counts of the units whose texts are held back (:func:`held_back`).

The texts of a unit and quarter are read only once the quarter has ended, and only when enough
patients answered there and enough therapists were responsible for them
(``domain.comment_threshold``); otherwise they are read only pooled with the other units held
back in that quarter, when the pool meets the same rule (:func:`read_comments`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    AdminAudit,
    Episode,
    EpisodeTherapist,
    Response,
    ServiceFeedback,
)
from fit_platform.domain.codes import ResponseStatus
from fit_platform.domain.comment_threshold import CommentPool
from fit_platform.domain.instrument_model import Kind
from fit_platform.domain.instruments import default_instruments
from fit_platform.domain.responsibility import Transfer, responsible_at
from fit_platform.services.episode_transfers import EPISODE_TRANSFERRED

QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def quarter_of(month: str) -> str:
    """'2026-05' → '2026-Q2'."""
    year, number = month.split("-")
    return f"{year}-Q{(int(number) - 1) // 3 + 1}"


def quarter_of_date(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def is_quarter(value: str) -> bool:
    return bool(QUARTER.match(value or ""))


def months_of(quarter: str) -> tuple[str, str, str]:
    """'2026-Q2' → ('2026-04', '2026-05', '2026-06'); ValueError for anything else."""
    match = QUARTER.match(quarter or "")
    if match is None:
        raise ValueError("not a quarter like 2026-Q2")
    year, number = match.group(1), int(match.group(2))
    first = (number - 1) * 3 + 1
    return (f"{year}-{first:02d}", f"{year}-{first + 1:02d}", f"{year}-{first + 2:02d}")


@dataclass(frozen=True)
class ServiceComment:
    """What the reading page shows: the words and the questionnaire, nothing about who or when."""

    text: str
    instrument_id: str


def quarter_bounds(quarter: str, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The quarter's start and the next quarter's start, in UTC, by the clinic's calendar."""
    year, month = (int(part) for part in months_of(quarter)[0].split("-"))
    start = dt.datetime(year, month, 1, tzinfo=zone)
    if month == 10:
        following = dt.datetime(year + 1, 1, 1, tzinfo=zone)
    else:
        following = dt.datetime(year, month + 3, 1, tzinfo=zone)
    return start.astimezone(dt.UTC), following.astimezone(dt.UTC)


@dataclass(frozen=True)
class CommentsReading:
    """What the reading page may show for one unit (or for the pool) and quarter.

    ``comments`` is empty unless the quarter has ended and ``pool.readable``. For one unit,
    ``pooled_readable`` says whether the units held back in the quarter may be read together
    instead. ``readable_from`` is the clinic's first day after the quarter while it has not
    ended (nothing is decided then), otherwise None.
    """

    comments: tuple[ServiceComment, ...]
    pool: CommentPool
    pooled: bool
    pooled_readable: bool
    readable_from: dt.date | None = None

    @property
    def shown(self) -> bool:
        return self.readable_from is None and self.pool.readable


# Who answered an alliance questionnaire per unit in a quarter: unit -> patient -> the
# therapists responsible for that patient's episode when they answered.
Answering = dict[int, dict[int, set[int]]]


def _answering(session: Session, quarter: str, zone: ZoneInfo) -> Answering:
    """`_answering_in` for one quarter."""
    return _answering_in(session, {quarter}, zone)[quarter]


def _answering_in(
    session: Session, quarters: Iterable[str], zone: ZoneInfo
) -> dict[str, Answering]:
    """Per quarter, the patients who submitted an alliance questionnaire in it, per unit, with
    the therapists responsible for their episodes at the time (only these patients could have
    sent a comment to the service, and their therapists then are whom a comment may be about).
    Three queries whatever the number of patients and of quarters: the answers, who is
    responsible now, and the transfers since the first quarter began, which give who was
    responsible before."""
    bounds = {quarter: quarter_bounds(quarter, zone) for quarter in quarters}
    if not bounds:
        return {}
    # Group forms are left out: they offer no comment to the service (a group's leaders are
    # not the therapists counted here), so their answerers could not have written one.
    alliance = sorted(
        i.id
        for i in default_instruments().values()
        if i.kind is Kind.ALLIANCE and not i.is_group_form
    )
    answered = (
        select(Episode.unit_id, Episode.patient_id, Episode.id, Response.submitted_at)
        .select_from(Response)
        .join(Episode, Episode.id == Response.episode_id)
        .where(
            Response.status == ResponseStatus.SUBMITTED,
            or_(
                *(
                    and_(Response.submitted_at >= start, Response.submitted_at < end)
                    for start, end in bounds.values()
                )
            ),
            Response.instrument_id.in_(alliance),
        )
    )
    episodes = answered.with_only_columns(Episode.id).distinct().scalar_subquery()
    now_responsible: dict[int, set[int]] = {}
    for episode_id, staff_id in session.execute(
        select(EpisodeTherapist.episode_id, EpisodeTherapist.staff_id).where(
            EpisodeTherapist.responsible.is_(True), EpisodeTherapist.episode_id.in_(episodes)
        )
    ):
        now_responsible.setdefault(episode_id, set()).add(staff_id)
    transfers: dict[int, list[Transfer]] = {}
    for target_id, at, before in session.execute(
        select(AdminAudit.target_id, AdminAudit.at, AdminAudit.before).where(
            AdminAudit.action == EPISODE_TRANSFERRED,
            AdminAudit.target_kind == "episode",
            AdminAudit.target_id.in_(episodes),
            AdminAudit.at > min(start for start, _end in bounds.values()),
        )
    ):
        assert target_id is not None  # matched by the IN above
        earlier = json.loads(before or "{}").get("responsible_staff_ids", [])
        transfers.setdefault(target_id, []).append(Transfer(at, frozenset(earlier)))
    by_quarter: dict[str, Answering] = {quarter: {} for quarter in bounds}
    for unit_id, patient_id, episode_id, submitted_at in session.execute(answered):
        assert submitted_at is not None  # only submitted answers are selected
        quarter = quarter_of_date(submitted_at.astimezone(zone).date())
        then = responsible_at(
            frozenset(now_responsible.get(episode_id, ())),
            transfers.get(episode_id, ()),
            submitted_at,
        )
        by_quarter[quarter].setdefault(unit_id, {}).setdefault(patient_id, set()).update(then)
    return by_quarter


def _pool(answering: Answering, units: set[int]) -> CommentPool:
    therapists_of: dict[int, set[int]] = {}
    for unit_id in units:
        for patient_id, therapists in answering.get(unit_id, {}).items():
            therapists_of.setdefault(patient_id, set()).update(therapists)
    patients_of: Counter[int] = Counter()
    for therapists in therapists_of.values():
        patients_of.update(therapists)
    return CommentPool(len(therapists_of), len(patients_of), max(patients_of.values(), default=0))


def read_comments(
    db: Database, unit_id: int | None, quarter: str, zone: ZoneInfo, now: dt.datetime
) -> CommentsReading:
    """The comments of ``unit_id`` in ``quarter``, or with ``None`` those of every unit held
    back in the quarter, pooled; texts only when the quarter has ended by ``now`` (clinic
    time) and the pool is readable.

    A unit is held back when its own pool is not readable. The pool is the held-back units
    only, never a unit shown on its own: all units minus a shown unit would give the others'
    texts away. Nothing is read before the quarter ends: a pool read early in the quarter and
    a unit read alone once it has grown past the limits would give the difference away.
    Read-only; for the export pages (service developers and administrators).
    """
    months = months_of(quarter)
    _start, end = quarter_bounds(quarter, zone)
    if now < end:
        return CommentsReading(
            (), CommentPool(0, 0, 0), unit_id is None, False, end.astimezone(zone).date()
        )
    with db.session(now=now) as session:
        answering = _answering(session, quarter, zone)
        readable = {unit for unit in answering if _pool(answering, {unit}).readable}
        held_back_pool = _pool(answering, set(answering) - readable)
        chosen: ColumnElement[bool]
        if unit_id is None:
            pool, chosen = held_back_pool, ServiceFeedback.unit_id.not_in(readable)
        else:
            pool, chosen = _pool(answering, {unit_id}), ServiceFeedback.unit_id == unit_id
        rows = (
            session.execute(
                select(ServiceFeedback.text, ServiceFeedback.instrument_id).where(
                    chosen, ServiceFeedback.period.in_(months)
                )
            ).all()
            if pool.readable
            else []
        )
    comments = sorted(
        (ServiceComment(text, instrument_id) for text, instrument_id in rows),
        key=lambda comment: (comment.text.casefold(), comment.instrument_id),
    )
    return CommentsReading(
        tuple(comments), pool, unit_id is None, unit_id is not None and held_back_pool.readable
    )


def held_back(
    session: Session, commented: Iterable[tuple[int, str]], zone: ZoneInfo
) -> set[tuple[int, str]]:
    """Those of ``commented`` (unit, quarter) whose texts the reading page holds back: the
    export hides their comment counts too, as a count beside the pooled texts would say how
    many of them came from the unit. Three queries, however many quarters (`_answering_in`)."""
    by_quarter: dict[str, set[int]] = {}
    for unit, quarter in commented:
        by_quarter.setdefault(quarter, set()).add(unit)
    answering = _answering_in(session, by_quarter, zone)
    return {
        (unit, quarter)
        for quarter, units in by_quarter.items()
        for unit in units
        if not _pool(answering[quarter], {unit}).readable
    }


def quarters_with_comments(db: Database) -> list[str]:
    """Every quarter in which any unit received a comment, newest first."""
    with db.session() as session:
        months = session.scalars(select(ServiceFeedback.period).distinct()).all()
    return sorted({quarter_of(month) for month in months}, reverse=True)


def comment_counts(
    session: Session,
    *,
    period: Literal["month", "quarter"],
    since: dt.datetime,
    until: dt.datetime,
    unit_id: int | None = None,
) -> list[tuple[int, int | None, str, int]]:
    """(unit id, programme id, period key, count) of the comments in [since, until).

    Comments are dated by the month they were written in (clinic time), so the range is taken
    by month; the period key is '2026-06' or '2026-Q2' like the export's other figures.
    One query.
    """
    first = since.strftime("%Y-%m")
    after = until.strftime("%Y-%m")
    stmt = (
        select(ServiceFeedback.unit_id, ServiceFeedback.programme_id, ServiceFeedback.period)
        .add_columns(func.count())
        .where(ServiceFeedback.period >= first, ServiceFeedback.period < after)
        .group_by(ServiceFeedback.unit_id, ServiceFeedback.programme_id, ServiceFeedback.period)
    )
    if unit_id is not None:
        stmt = stmt.where(ServiceFeedback.unit_id == unit_id)
    counts: Counter[tuple[int, int | None, str]] = Counter()
    for unit, programme, month, count in session.execute(stmt):
        key = month if period == "month" else quarter_of(month)
        counts[(unit, programme, key)] += count
    return [(unit, programme, key, count) for (unit, programme, key), count in counts.items()]
