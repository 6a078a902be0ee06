"""Instrument definitions: the model a loaded definition becomes.

Frozen dataclasses and enums only; reading and checking a file is
``fit_platform/domain/instrument_files.py``, the library a process runs with is
``fit_platform/domain/instruments.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fit_platform.domain.signal_params import AllianceRules, NotOnTrackRule


class Kind(StrEnum):
    OUTCOME = "outcome"
    ALLIANCE = "alliance"


class RecommendedUse(StrEnum):
    BEFORE_SESSION = "before_session"
    AFTER_SESSION = "after_session"
    # Sent to the members who attended a group session (docs/groups.md), never by a schedule.
    AFTER_GROUP_SESSION = "after_group_session"


class Direction(StrEnum):
    HIGHER_IS_WORSE = "higher_is_worse"
    HIGHER_IS_BETTER = "higher_is_better"


class ItemType(StrEnum):
    CHOICE = "choice"
    VAS = "vas"


class TranslationStatus(StrEnum):
    OFFICIAL = "official"
    UNVALIDATED = "unvalidated"


class ContentStatus(StrEnum):
    VERIFIED_AGAINST_SOURCE = "verified_against_source"
    SECONDARY_SOURCE_UNVERIFIED = "secondary_source_unverified"
    DEMO = "demo"


class InstrumentDefinitionError(ValueError):
    """A definition file is invalid; ``path`` and ``field`` say where."""

    def __init__(self, path: str, field: str, problem: str) -> None:
        self.path = path
        self.field = field
        self.problem = problem
        super().__init__(f"{path}: {field}: {problem}")


class UnknownInstrumentError(KeyError):
    """No instrument with this id is loaded."""


@dataclass(frozen=True)
class AnswerOption:
    code: str
    value: float
    display: Mapping[str, str]


@dataclass(frozen=True)
class VasSpec:
    min: float
    max: float
    decimals: int
    low_anchor: Mapping[str, str]
    high_anchor: Mapping[str, str]


@dataclass(frozen=True)
class Item:
    link_id: str
    type: ItemType
    text: Mapping[str, str]
    required: bool
    answer_set: str | None = None
    options: tuple[AnswerOption, ...] = ()
    vas: VasSpec | None = None

    @property
    def min_value(self) -> float:
        if self.vas is not None:
            return self.vas.min
        return min(o.value for o in self.options)

    @property
    def max_value(self) -> float:
        if self.vas is not None:
            return self.vas.max
        return max(o.value for o in self.options)

    def is_valid_value(self, value: float) -> bool:
        """True when ``value`` is an answer this item can take (an option value, or a VAS point)."""
        if self.vas is not None:
            if not (self.vas.min <= value <= self.vas.max):
                return False
            scaled = value * 10**self.vas.decimals
            # Floats such as 7.3 are not exact; accept anything within rounding noise.
            return math.isclose(scaled, round(scaled), abs_tol=1e-6)
        return any(o.value == value for o in self.options)


@dataclass(frozen=True)
class Subscale:
    id: str
    link_ids: tuple[str, ...]


@dataclass(frozen=True)
class Band:
    code: str
    min: float
    # The definition's own name of the band per language, as (language, text) pairs; empty
    # when the file gives none (the platform names its known codes, "mild", "severe", …).
    label: tuple[tuple[str, str], ...] = ()

    def label_in(self, language: str) -> str | None:
        """The definition's name of the band in ``language``, else in English, else None."""
        names = dict(self.label)
        return names.get(language) or names.get("en")


@dataclass(frozen=True)
class ClinicalCutoff:
    """Caseness: at or above ``value`` when higher is worse; below it when higher is better."""

    value: float
    source: str
    verified: bool


@dataclass(frozen=True)
class ReliableChange:
    """Jacobson & Truax (1991) threshold with, where known, the SD, r and z it came from."""

    threshold: float
    sd: float | None
    r: float | None
    z: float | None
    source: str
    verified: bool


@dataclass(frozen=True)
class RiskItem:
    link_id: str
    threshold: float
    high_threshold: float | None
    source: str


@dataclass(frozen=True)
class AllianceDrop:
    """Points fallen from the previous total (the chart's drop marker and the first rule)."""

    threshold: float
    source: str
    validated: bool


@dataclass(frozen=True)
class ExpectedRecoveryParams:
    """Parameters of the default expected-recovery curve (see ``expected_recovery.py``)."""

    max_improvement_fraction: float
    rate: float
    band_half_width: float
    validated: bool
    source: str


@dataclass(frozen=True)
class LanguageInfo:
    status: TranslationStatus
    source: str
    note: str | None = None


@dataclass(frozen=True)
class Licence:
    status: str
    text: str
    url: str | None = None


@dataclass(frozen=True, eq=False)
class Instrument:
    """One loaded, validated instrument definition."""

    id: str
    version: str
    status: str
    title: Mapping[str, str]
    kind: Kind
    recommended_use: RecommendedUse
    demo: bool
    content_status: ContentStatus
    content_note: str | None
    languages: Mapping[str, LanguageInfo]
    citation: str
    licence: Licence
    instructions: Mapping[str, str]
    items: tuple[Item, ...]
    scored_link_ids: tuple[str, ...]
    reverse_link_ids: frozenset[str]
    max_missing: int
    missing_source: str
    score_min: float
    score_max: float
    direction: Direction
    subscales: tuple[Subscale, ...]
    bands: tuple[Band, ...]
    bands_source: str
    clinical_cutoff: ClinicalCutoff | None
    reliable_change: ReliableChange | None
    risk_items: tuple[RiskItem, ...]
    alliance_drop: AllianceDrop | None
    expected_recovery: ExpectedRecoveryParams | None
    not_on_track: NotOnTrackRule | None
    alliance_rules: AllianceRules | None
    source_path: str
    definition: Mapping[str, Any] = field(repr=False)

    @property
    def higher_is_better(self) -> bool:
        return self.direction is Direction.HIGHER_IS_BETTER

    def band(self, code: str) -> Band | None:
        """The severity band with this code (None when the definition has none)."""
        return next((b for b in self.bands if b.code == code), None)

    def band_range(self, code: str) -> tuple[float, float] | None:
        """The scores a band covers: from its minimum to the next band's, or to the maximum."""
        for index, band in enumerate(self.bands):
            if band.code == code:
                following = self.bands[index + 1 :]
                return band.min, following[0].min if following else self.score_max
        return None

    @property
    def is_group_form(self) -> bool:
        """Answered after a group session about the group (docs/groups.md)."""
        return self.recommended_use is RecommendedUse.AFTER_GROUP_SESSION

    @property
    def short_name(self) -> str:
        """The name people write ("PHQ-9", "WAI-SR"): the English title's last bracketed
        part when it is one word, the title itself when it is already short, else the id."""
        title = self.title.get("en", "")
        if title.endswith(")") and "(" in title:
            bracketed = title[title.rindex("(") + 1 : -1]
            if " " not in bracketed:
                return bracketed
        return title if title and len(title) <= 12 else self.id

    def item(self, link_id: str) -> Item:
        """The item with this linkId (KeyError if none)."""
        for it in self.items:
            if it.link_id == link_id:
                return it
        raise KeyError(link_id)
