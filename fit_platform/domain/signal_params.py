"""Per-instrument parameters of the signal rules, read from the definition file.

The rules themselves live in ``domain/signals.py``; this module only turns the ``notOnTrack``,
``allianceRules`` and legacy ``allianceDrop`` blocks of a definition into frozen dataclasses and
checks what the JSON Schema cannot (e.g. the session N is not before the minimum session). It
imports nothing from the instrument modules so that the loader
(``domain/instrument_files.py``) can use it.

Alliance thresholds are written in the file as a fraction of the scale's range and turned into
points here, so one figure means the same on a 0-30 and a 12-60 scale (issue 11).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

# Used when an outcome file has no ``notOnTrack`` block (a service's own file): a service's
# percentile band may then fire from this session, never earlier. Project default.
DEFAULT_MIN_SESSIONS = 3

Fail = Callable[[str, str], NoReturn]


@dataclass(frozen=True)
class NotOnTrackRule:
    """'No reliable improvement by session ``by_session`` while still at caseness'.

    ``min_sessions`` is the first session (1 = intake) at which any not-on-track test may fire,
    the service's percentile bands included.
    """

    by_session: int
    min_sessions: int
    validated: bool
    source: str


@dataclass(frozen=True)
class AllianceRules:
    """Alliance thresholds in points (computed from fractions of the range where so written).

    ``drop_from_previous``: fall from the previous total; ``drop_from_running``: fall from the
    median of the previous ``running_window`` totals; ``low_below`` / ``low_sessions``: the last
    ``low_sessions`` totals all below ``low_below``. ``None`` switches a rule off.
    """

    drop_from_previous: float | None
    drop_from_running: float | None
    running_window: int
    low_below: float | None
    low_sessions: int
    validated: bool
    source: str


def parse_not_on_track(block: Mapping[str, Any] | None) -> NotOnTrackRule | None:
    if not block:
        return None
    return NotOnTrackRule(
        by_session=int(block["bySession"]),
        min_sessions=int(block["minSessions"]),
        validated=bool(block["validated"]),
        source=block["source"],
    )


def parse_alliance_rules(
    rules: Mapping[str, Any] | None,
    legacy_drop: Mapping[str, Any] | None,
    score_min: float,
    score_max: float,
) -> AllianceRules | None:
    """Build the alliance thresholds; ``legacy_drop`` is the old points-from-previous block."""
    span = score_max - score_min
    if rules:
        prev = rules.get("dropFromPrevious")
        running = rules.get("dropFromRunningLevel")
        low = rules.get("persistentlyLow")
        return AllianceRules(
            drop_from_previous=round(prev["fractionOfRange"] * span, 2) if prev else None,
            drop_from_running=round(running["fractionOfRange"] * span, 2) if running else None,
            running_window=int(running["window"]) if running else 0,
            low_below=round(score_min + low["fractionOfRange"] * span, 2) if low else None,
            low_sessions=int(low["sessions"]) if low else 0,
            validated=bool(rules["validated"]),
            source=rules["source"],
        )
    if legacy_drop:
        return AllianceRules(
            drop_from_previous=float(legacy_drop["threshold"]),
            drop_from_running=None,
            running_window=0,
            low_below=None,
            low_sessions=0,
            validated=bool(legacy_drop.get("validated")),
            source=legacy_drop["source"],
        )
    return None


def check_signal_params(data: Mapping[str, Any], fail: Fail) -> None:
    """Meaning checks on the signal blocks of a schema-valid definition."""
    sc = data["scoring"]
    kind = data["kind"]
    not_on_track = sc.get("notOnTrack")
    if not_on_track:
        if kind != "outcome":
            fail("scoring.notOnTrack", "only outcome instruments have a not-on-track rule")
        if "clinicalCutoff" not in sc or "reliableChange" not in sc:
            fail(
                "scoring.notOnTrack",
                "the rule needs scoring.clinicalCutoff and scoring.reliableChange",
            )
        if not_on_track["bySession"] < not_on_track["minSessions"]:
            fail("scoring.notOnTrack.bySession", "must not be before minSessions")
    for key in ("allianceRules", "allianceDrop"):
        if key in sc and kind != "alliance":
            fail(f"scoring.{key}", "only alliance instruments have alliance rules")
    if "allianceRules" in sc and "allianceDrop" in sc:
        fail("scoring.allianceDrop", "use allianceRules or the older allianceDrop, not both")
