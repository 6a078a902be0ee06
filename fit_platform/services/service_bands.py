"""The service's own percentile bands for the not-on-track rule, built from its ended episodes.

"The service" is the whole installation: every unit's ended episodes count. For one
instrument, each ended episode gives its submitted totals numbered by session the way
``services.signals`` numbers a live episode (every submitted response of the instrument is
a session, oldest first, counted from the first scorable total), and the domain turns them
into 10th-90th percentile bands per intake stratum (the instrument's severity bands) and
session. A cell is used only once it holds at least 30 episodes; elsewhere the instrument's
own rule applies unchanged (see ``domain/signals.py``).

Bands change slowly, so each process keeps them per database and instrument for at most
:data:`LIFETIME` after it built them: a submission within that time costs no statement, and a
newly ended episode is counted at most that long after it ended. Built with one query per
instrument, never per episode. Only a submission asks for them; a page save does not.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import threading
import weakref
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from fit_platform.db.models import Episode, Response
from fit_platform.domain.codes import EpisodeStatus, ResponseStatus
from fit_platform.domain.expected_recovery import (
    EpisodeScores,
    PercentileModel,
    intake_strata,
    percentile_bands,
)
from fit_platform.domain.instruments import Instrument, Kind

log = logging.getLogger(__name__)

LIFETIME = dt.timedelta(hours=1)


@dataclass(frozen=True)
class _Built:
    at: dt.datetime
    model: PercentileModel


# Per engine, so two databases in one process (tests, a CLI next to the web) never share bands;
# weak, so a disposed database takes its bands with it.
_cache: weakref.WeakKeyDictionary[Engine, dict[str, _Built]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def service_bands(
    session: Session, inst: Instrument, now: dt.datetime, *, lifetime: dt.timedelta = LIFETIME
) -> PercentileModel | None:
    """The service's bands for ``inst``, rebuilt only when older than ``lifetime`` at ``now``.

    None for an instrument that has no not-on-track rule to replace (not an outcome measure,
    or no severity bands to stratify by). ``now`` is the caller's clock; a clock that went
    back before the build also rebuilds.
    """
    if inst.kind is not Kind.OUTCOME or not intake_strata(inst):
        return None
    engine = session.get_bind().engine
    with _lock:
        built = _cache.get(engine, {}).get(inst.id)
    if built is not None and built.at <= now < built.at + lifetime:
        return built.model
    model = build_bands(session, inst)
    with _lock:
        _cache.setdefault(engine, {})[inst.id] = _Built(now, model)
    return model


def build_bands(session: Session, inst: Instrument) -> PercentileModel:
    """Percentile bands for ``inst`` from every ended episode, in one query."""
    rows = session.execute(
        select(Response.episode_id, Response.total)
        .join(Episode, Episode.id == Response.episode_id)
        .where(
            Episode.status == EpisodeStatus.ENDED,
            Response.instrument_id == inst.id,
            Response.status == ResponseStatus.SUBMITTED,
        )
        .order_by(Response.episode_id, Response.submitted_at, Response.id)
    ).all()
    episodes = []
    for _episode_id, group in itertools.groupby(rows, key=lambda row: row.episode_id):
        totals = [row.total for row in group]
        scores = _by_session(totals)
        if scores is not None:
            episodes.append(scores)
    model = percentile_bands(episodes, intake_strata(inst))
    log.info(
        "service bands built",
        extra={
            "instrument_id": inst.id,
            "episodes": len(episodes),
            "cells_in_use": sum(1 for c in model.cells.values() if c.n >= model.min_n),
        },
    )
    return model


def _by_session(totals: list[float | None]) -> EpisodeScores | None:
    """One episode's totals (one per submitted response, oldest first) by session number.

    Session 1 is the first scorable total, as in the live rule; an unscorable response still
    takes its session number, so the numbers match what the patient's own history gets.
    """
    first = next((i for i, total in enumerate(totals) if total is not None), None)
    if first is None:
        return None
    intake = totals[first]
    assert intake is not None
    by_session = {
        i - first + 1: total for i, total in enumerate(totals) if i >= first and total is not None
    }
    return EpisodeScores(intake=intake, by_session=by_session)
