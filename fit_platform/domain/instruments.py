"""Instrument definitions: the model, the loader and the checks run on every file.

A definition is data (one JSON file per instrument, see ``docs/instruments.md``). This module
turns a file into a frozen :class:`Instrument` after two passes: the JSON Schema in
``fit_platform/instruments/schema/instrument.schema.json`` (shape), then :func:`_domain_checks`
(meaning: linkIds exist, bands are ordered and inside the range, every text exists in every
declared language). Any failure raises :class:`InstrumentDefinitionError` naming file and field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

import jsonschema

from fit_platform.domain.signal_params import (
    AllianceRules,
    NotOnTrackRule,
    check_signal_params,
    parse_alliance_rules,
    parse_not_on_track,
)

INSTRUMENTS_DIR = Path(__file__).resolve().parent.parent / "instruments"
SCHEMA_PATH = INSTRUMENTS_DIR / "schema" / "instrument.schema.json"
LANGUAGES = ("nb", "nn", "en")


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


@cache
def _validator() -> Any:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _json_path(parts: Iterable[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def parse_definition(data: Mapping[str, Any], path: str = "<memory>") -> Instrument:
    """Validate a definition dict (schema, then domain checks) and build the :class:`Instrument`.

    Raises :class:`InstrumentDefinitionError` naming ``path`` and the offending field.
    """
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        # The deepest error is usually the most useful one (anyOf/if-then report at the parent).
        err = max(errors, key=lambda e: len(e.absolute_path))
        raise InstrumentDefinitionError(path, _json_path(err.absolute_path), err.message)
    _domain_checks(data, path)
    return _build(data, path)


def load_instrument_file(path: Path | str) -> Instrument:
    """Read, validate and build one definition file."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InstrumentDefinitionError(
            p.name, f"line {exc.lineno} column {exc.colno}", f"not valid JSON: {exc.msg}"
        ) from exc
    if not isinstance(data, dict):
        raise InstrumentDefinitionError(p.name, "(top level)", "must be a JSON object")
    return parse_definition(data, p.name)


def load_instruments(
    directory: Path | str | None = None, extra_dirs: Sequence[Path | str] = ()
) -> dict[str, Instrument]:
    """Load every ``*.json`` in ``directory`` (default: the shipped library), then ``extra_dirs``.

    A file in a later directory with the same ``id`` replaces the earlier one: this is how a
    service drops in a licensed official translation (e.g. CORE-10 in bokmål) or adds an
    instrument it holds a licence for (ORS/SRS). Order of the result is by id.
    """
    found: dict[str, Instrument] = {}
    for d in (Path(directory) if directory else INSTRUMENTS_DIR, *map(Path, extra_dirs)):
        if not d.is_dir():
            raise InstrumentDefinitionError(str(d.name), "(directory)", "not a directory")
        for f in sorted(d.glob("*.json")):
            inst = load_instrument_file(f)
            found[inst.id] = inst
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class InstrumentLibrary:
    """What a process runs with: the shipped definitions plus the service's own folder.

    ``problems`` are the files of the service's folder that could not be loaded, each naming
    the file and the field; they are left out (the shipped library is loaded strictly, a bad
    shipped file is a bug the tests catch).
    """

    instruments: Mapping[str, Instrument]
    problems: tuple[InstrumentDefinitionError, ...]
    extra_dirs: tuple[str, ...]


_extra_dirs: tuple[Path, ...] = ()


def configure_extra_dirs(dirs: Sequence[Path | str]) -> InstrumentLibrary:
    """Set the service's own instruments folder(s) (``FIT_INSTRUMENTS_DIR``) for this process
    and load the library again. Called once at start by the app factory."""
    global _extra_dirs
    wanted = tuple(Path(d) for d in dirs)
    if wanted != _extra_dirs or wanted:
        # The shipped files never change in a running process; a service folder is read
        # again (the tests start many apps in one process with and without one).
        _extra_dirs = wanted
        instrument_library.cache_clear()
    return instrument_library()


def load_library(extra_dirs: Sequence[Path | str] = ()) -> InstrumentLibrary:
    """The shipped library, then every ``*.json`` of ``extra_dirs`` that is valid; a file with
    the same ``id`` as an earlier one replaces it. A bad file in an extra folder is reported in
    ``problems`` and skipped, so one mistaken file never stops the running service."""
    found = dict(load_instruments())
    problems: list[InstrumentDefinitionError] = []
    for directory in map(Path, extra_dirs):
        if not directory.is_dir():
            problems.append(
                InstrumentDefinitionError(str(directory), "(directory)", "not a directory")
            )
            continue
        for path in sorted(directory.glob("*.json")):
            try:
                instrument = load_instrument_file(path)
            except InstrumentDefinitionError as error:
                problems.append(error)
            except (OSError, UnicodeDecodeError) as error:
                problems.append(InstrumentDefinitionError(path.name, "(file)", str(error)))
            else:
                found[instrument.id] = instrument
    return InstrumentLibrary(
        instruments=dict(sorted(found.items())),
        problems=tuple(problems),
        extra_dirs=tuple(str(d) for d in extra_dirs),
    )


@cache
def instrument_library() -> InstrumentLibrary:
    """The library this process runs with, loaded once (see :func:`configure_extra_dirs`)."""
    return load_library(_extra_dirs)


def default_instruments() -> Mapping[str, Instrument]:
    """The instruments this process runs with: shipped plus the service's own folder."""
    return instrument_library().instruments


def get_instrument(
    instrument_id: str, registry: Mapping[str, Instrument] | None = None
) -> Instrument:
    """Look up an instrument by id in ``registry`` (default: the shipped library)."""
    reg = default_instruments() if registry is None else registry
    try:
        return reg[instrument_id]
    except KeyError:
        raise UnknownInstrumentError(instrument_id) from None


# ---------------------------------------------------------------------------- domain checks


def _texts(data: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, str]]]:
    for key in ("title", "description", "instructions"):
        if key in data:
            yield key, data[key]
    for name, options in data["answerSets"].items():
        for i, opt in enumerate(options):
            yield f"answerSets.{name}[{i}].display", opt["display"]
    for i, it in enumerate(data["item"]):
        yield f"item[{i}].text", it["text"]
        if "vas" in it:
            yield f"item[{i}].vas.lowAnchor", it["vas"]["lowAnchor"]
            yield f"item[{i}].vas.highAnchor", it["vas"]["highAnchor"]


def _domain_checks(data: Mapping[str, Any], path: str) -> None:
    def fail(field_: str, problem: str) -> NoReturn:
        raise InstrumentDefinitionError(path, field_, problem)

    declared = set(data["languages"])
    for where, text in _texts(data):
        if set(text) != declared:
            missing = sorted(declared - set(text))
            extra = sorted(set(text) - declared)
            fail(
                where,
                f"languages must be exactly {sorted(declared)} (missing {missing}, extra {extra})",
            )

    items = {it["linkId"]: it for it in data["item"]}
    if len(items) != len(data["item"]):
        fail("item", "linkIds must be unique")
    for i, it in enumerate(data["item"]):
        if it["type"] == "choice":
            options = data["answerSets"].get(it["answerSet"])
            if options is None:
                fail(f"item[{i}].answerSet", f"unknown answer set {it['answerSet']!r}")
            elif len({o["code"] for o in options}) != len(options):
                fail(f"answerSets.{it['answerSet']}", "answer codes must be unique")
        else:
            vas = it["vas"]
            if vas["min"] >= vas["max"]:
                fail(f"item[{i}].vas", "min must be below max")

    sc = data["scoring"]

    def check_ids(field_: str, ids: Iterable[str]) -> None:
        for j, link_id in enumerate(ids):
            if link_id not in items:
                fail(f"{field_}[{j}]", f"unknown linkId {link_id!r}")

    check_ids("scoring.items", sc["items"])
    if not sc["items"]:
        fail("scoring.items", "at least one scored item is needed")
    check_ids("scoring.reverseItems", sc.get("reverseItems", []))
    for j, link_id in enumerate(sc.get("reverseItems", [])):
        if link_id not in sc["items"]:
            fail(f"scoring.reverseItems[{j}]", f"{link_id!r} is not a scored item")
    for k, sub in enumerate(sc.get("subscales", [])):
        check_ids(f"scoring.subscales[{k}].items", sub["items"])
        for j, link_id in enumerate(sub["items"]):
            if link_id not in sc["items"]:
                fail(f"scoring.subscales[{k}].items[{j}]", f"{link_id!r} is not a scored item")
    if sc["missing"]["maxMissing"] >= len(sc["items"]):
        fail("scoring.missing.maxMissing", "must be below the number of scored items")

    lo = sum(_item_min(items[x], data) for x in sc["items"])
    hi = sum(_item_max(items[x], data) for x in sc["items"])
    rng = sc["range"]
    if not (math.isclose(rng["min"], lo) and math.isclose(rng["max"], hi)):
        fail("scoring.range", f"declared {rng['min']}-{rng['max']} but items give {lo:g}-{hi:g}")

    levels = sc["bands"]["levels"]
    if levels:
        if levels[0]["min"] != rng["min"]:
            fail("scoring.bands.levels[0].min", "the first band must start at the range minimum")
        for j in range(1, len(levels)):
            if levels[j]["min"] <= levels[j - 1]["min"]:
                fail(f"scoring.bands.levels[{j}].min", "bands must be in increasing order")
            if levels[j]["min"] > rng["max"]:
                fail(f"scoring.bands.levels[{j}].min", "band starts above the range maximum")
        if len({b["code"] for b in levels}) != len(levels):
            fail("scoring.bands.levels", "band codes must be unique")

    cut = sc.get("clinicalCutoff")
    if cut and not (rng["min"] < cut["value"] <= rng["max"]):
        fail("scoring.clinicalCutoff.value", "must lie inside the score range")

    rc = sc.get("reliableChange")
    if rc and all(rc.get(k) is not None for k in ("sd", "r", "z")):
        computed = rc["z"] * rc["sd"] * math.sqrt(2) * math.sqrt(1 - rc["r"])
        # Published thresholds are rounded (usually up), so allow one scale point of slack.
        if abs(computed - rc["threshold"]) > 1:
            fail(
                "scoring.reliableChange.threshold",
                f"z*SD*sqrt(2)*sqrt(1-r) = {computed:.2f}, far from the stated threshold",
            )

    for j, risk in enumerate(sc["riskItems"]):
        it = items.get(risk["linkId"])
        if it is None:
            fail(f"scoring.riskItems[{j}].linkId", f"unknown linkId {risk['linkId']!r}")
        else:
            if not (_item_min(it, data) < risk["threshold"] <= _item_max(it, data)):
                fail(f"scoring.riskItems[{j}].threshold", "must lie inside the item's answer range")
            high = risk.get("highThreshold")
            if high is not None and not (risk["threshold"] <= high <= _item_max(it, data)):
                fail(f"scoring.riskItems[{j}].highThreshold", "must lie between threshold and max")

    if "expectedRecovery" in sc and data["kind"] != "outcome":
        fail("scoring.expectedRecovery", "only outcome instruments have an expected-recovery curve")
    check_signal_params(data, fail)


def _item_min(it: Mapping[str, Any], data: Mapping[str, Any]) -> float:
    if it["type"] == "vas":
        return float(it["vas"]["min"])
    return float(min(o["value"] for o in data["answerSets"][it["answerSet"]]))


def _item_max(it: Mapping[str, Any], data: Mapping[str, Any]) -> float:
    if it["type"] == "vas":
        return float(it["vas"]["max"])
    return float(max(o["value"] for o in data["answerSets"][it["answerSet"]]))


# ---------------------------------------------------------------------------- building


def _build(d: Mapping[str, Any], path: str) -> Instrument:
    sets = {
        name: tuple(AnswerOption(o["code"], float(o["value"]), dict(o["display"])) for o in opts)
        for name, opts in d["answerSets"].items()
    }
    items = []
    for it in d["item"]:
        vas = it.get("vas")
        items.append(
            Item(
                link_id=it["linkId"],
                type=ItemType(it["type"]),
                text=dict(it["text"]),
                required=bool(it.get("required", False)),
                answer_set=it.get("answerSet"),
                options=sets[it["answerSet"]] if it["type"] == "choice" else (),
                vas=VasSpec(
                    float(vas["min"]),
                    float(vas["max"]),
                    int(vas["decimals"]),
                    dict(vas["lowAnchor"]),
                    dict(vas["highAnchor"]),
                )
                if vas
                else None,
            )
        )
    sc = d["scoring"]
    cut = sc.get("clinicalCutoff")
    rc = sc.get("reliableChange")
    er = sc.get("expectedRecovery")
    alliance = parse_alliance_rules(
        sc.get("allianceRules"),
        sc.get("allianceDrop"),
        float(sc["range"]["min"]),
        float(sc["range"]["max"]),
    )
    return Instrument(
        id=d["id"],
        version=d["version"],
        status=d["status"],
        title=dict(d["title"]),
        kind=Kind(d["kind"]),
        recommended_use=RecommendedUse(d["recommendedUse"]),
        demo=bool(d.get("demo", False)),
        content_status=ContentStatus(d["contentStatus"]),
        content_note=d.get("contentNote"),
        languages={
            lang: LanguageInfo(TranslationStatus(v["status"]), v["source"], v.get("note"))
            for lang, v in d["languages"].items()
        },
        citation=d["citation"],
        licence=Licence(d["licence"]["status"], d["licence"]["text"], d["licence"].get("url")),
        instructions=dict(d.get("instructions", {})),
        items=tuple(items),
        scored_link_ids=tuple(sc["items"]),
        reverse_link_ids=frozenset(sc.get("reverseItems", [])),
        max_missing=int(sc["missing"]["maxMissing"]),
        missing_source=sc["missing"]["source"],
        score_min=float(sc["range"]["min"]),
        score_max=float(sc["range"]["max"]),
        direction=Direction(sc["direction"]),
        subscales=tuple(Subscale(s["id"], tuple(s["items"])) for s in sc.get("subscales", [])),
        bands=tuple(Band(b["code"], float(b["min"])) for b in sc["bands"]["levels"]),
        bands_source=sc["bands"]["source"],
        clinical_cutoff=ClinicalCutoff(
            float(cut["value"]), cut["source"], bool(cut.get("verified"))
        )
        if cut
        else None,
        reliable_change=ReliableChange(
            float(rc["threshold"]),
            rc.get("sd"),
            rc.get("r"),
            rc.get("z"),
            rc["source"],
            bool(rc.get("verified")),
        )
        if rc
        else None,
        risk_items=tuple(
            RiskItem(r["linkId"], float(r["threshold"]), r.get("highThreshold"), r["source"])
            for r in sc["riskItems"]
        ),
        alliance_drop=AllianceDrop(alliance.drop_from_previous, alliance.source, alliance.validated)
        if alliance is not None and alliance.drop_from_previous is not None
        else None,
        expected_recovery=ExpectedRecoveryParams(
            float(er["maxImprovementFraction"]),
            float(er["rate"]),
            float(er["bandHalfWidth"]),
            bool(er["validated"]),
            er["source"],
        )
        if er
        else None,
        not_on_track=parse_not_on_track(sc.get("notOnTrack")),
        alliance_rules=alliance,
        source_path=path,
        definition=d,
    )
