"""Instrument definition files: read, checked and built into an :class:`Instrument`.

A definition is data (one JSON file per instrument, see ``docs/instruments.md``). A file
becomes a frozen :class:`Instrument` after two passes: the JSON Schema in
``fit_platform/instruments/schema/instrument.schema.json`` (shape), then :func:`_domain_checks`
(meaning: linkIds exist, bands are ordered and inside the range, every text exists in every
declared language). Any failure raises :class:`InstrumentDefinitionError` naming file and field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

import jsonschema

from fit_platform.domain.instrument_model import (
    AllianceDrop,
    AnswerOption,
    Band,
    ClinicalCutoff,
    ContentStatus,
    Direction,
    ExpectedRecoveryParams,
    Instrument,
    InstrumentDefinitionError,
    Item,
    ItemType,
    Kind,
    LanguageInfo,
    Licence,
    RecommendedUse,
    ReliableChange,
    RiskItem,
    Subscale,
    TranslationStatus,
    VasSpec,
)
from fit_platform.domain.signal_params import (
    check_signal_params,
    parse_alliance_rules,
    parse_not_on_track,
)

INSTRUMENTS_DIR = Path(__file__).resolve().parent.parent / "instruments"
SCHEMA_PATH = INSTRUMENTS_DIR / "schema" / "instrument.schema.json"


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
        bands=tuple(
            Band(b["code"], float(b["min"]), tuple(sorted(b.get("label", {}).items())))
            for b in sc["bands"]["levels"]
        ),
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
