"""FHIR R4 export: definitions as ``Questionnaire``, scored responses as
``QuestionnaireResponse``. Pure dict building; the web/export layer serialises the dicts.

Texts are given in one language with the other languages as the standard ``translation``
extension. Numeric answer values use the R4 ``ordinalValue`` extension; the total and
subscale scores are read-only ``decimal`` items, so a response carries its own scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fit_platform.domain.instruments import Instrument, Item
from fit_platform.domain.scoring import ScoreResult

EXT_TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
EXT_ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
EXT_MIN = "http://hl7.org/fhir/StructureDefinition/minValue"
EXT_MAX = "http://hl7.org/fhir/StructureDefinition/maxValue"
EXT_DECIMALS = "http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces"
EXT_ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
# Deployments set their own canonical base; a URN keeps the default free of a made-up host.
DEFAULT_CANONICAL_BASE = "urn:fit-platform:questionnaire"

_STATUS = {"draft": "draft", "active": "active", "retired": "retired"}


def canonical_url(inst: Instrument, base: str = DEFAULT_CANONICAL_BASE) -> str:
    return f"{base}:{inst.id}"


def _lang(inst: Instrument, lang: str | None) -> str:
    if lang is not None and lang in inst.languages:
        return lang
    return "en" if "en" in inst.languages else next(iter(inst.languages))


def _text(texts: Mapping[str, str], lang: str, key: str) -> dict[str, Any]:
    """``{key: text, _key: {extension: [translations]}}`` for one translatable element."""
    out: dict[str, Any] = {key: texts[lang]}
    others = [
        {
            "url": EXT_TRANSLATION,
            "extension": [
                {"url": "lang", "valueCode": other},
                {"url": "content", "valueString": text},
            ],
        }
        for other, text in texts.items()
        if other != lang
    ]
    if others:
        out[f"_{key}"] = {"extension": others}
    return out


def _num(v: float) -> float | int:
    return int(v) if float(v).is_integer() else v


def _coding(inst: Instrument, item: Item, value: float, lang: str, base: str) -> dict[str, Any]:
    opt = next(o for o in item.options if o.value == value)
    return {
        "system": f"{canonical_url(inst, base)}/{item.answer_set}",
        "code": opt.code,
        "display": opt.display[lang],
    }


def _questionnaire_item(inst: Instrument, item: Item, lang: str, base: str) -> dict[str, Any]:
    out: dict[str, Any] = {"linkId": item.link_id, **_text(item.text, lang, "text")}
    out["required"] = item.required
    if item.vas is not None:
        out["type"] = "decimal"
        out["extension"] = [
            {"url": EXT_MIN, "valueDecimal": _num(item.vas.min)},
            {"url": EXT_MAX, "valueDecimal": _num(item.vas.max)},
            {"url": EXT_DECIMALS, "valueInteger": item.vas.decimals},
            {
                "url": EXT_ITEM_CONTROL,
                "valueCodeableConcept": {
                    "coding": [{"system": ITEM_CONTROL_SYSTEM, "code": "slider"}]
                },
            },
        ]
        return out
    out["type"] = "choice"
    out["answerOption"] = []
    for opt in item.options:
        coding = _coding(inst, item, opt.value, lang, base)
        entry: dict[str, Any] = {
            "extension": [{"url": EXT_ORDINAL, "valueDecimal": _num(opt.value)}],
            "valueCoding": coding,
        }
        if len(opt.display) > 1:
            entry["valueCoding"]["_display"] = _text(opt.display, lang, "display")["_display"]
        out["answerOption"].append(entry)
    return out


def _score_items(inst: Instrument) -> list[dict[str, Any]]:
    # Calculated, read-only items so a QuestionnaireResponse can carry its own scores.
    ids = [f"{inst.id}_total"] + [f"{inst.id}_subscale_{s.id}" for s in inst.subscales]
    return [{"linkId": i, "text": i, "type": "decimal", "readOnly": True} for i in ids]


def questionnaire(
    inst: Instrument, lang: str | None = None, *, base: str = DEFAULT_CANONICAL_BASE
) -> dict[str, Any]:
    """The instrument as an R4 ``Questionnaire`` in ``lang`` (others as translations)."""
    lg = _lang(inst, lang)
    out: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": inst.id.replace("_", "-"),
        "url": canonical_url(inst, base),
        "version": inst.version,
        "name": inst.id.upper(),
        **_text(inst.title, lg, "title"),
        "status": _STATUS[inst.status],
        "language": lg,
        "copyright": inst.licence.text,
        "item": [_questionnaire_item(inst, it, lg, base) for it in inst.items],
    }
    if inst.instructions:
        out.update(_text(inst.instructions, lg, "description"))
    out["item"].extend(_score_items(inst))
    return out


def questionnaire_response(
    inst: Instrument,
    answers: Mapping[str, float | None],
    result: ScoreResult | None = None,
    *,
    lang: str | None = None,
    authored: str | None = None,
    status: str = "completed",
    subject_reference: str | None = None,
    base: str = DEFAULT_CANONICAL_BASE,
) -> dict[str, Any]:
    """A scored response as an R4 ``QuestionnaireResponse``.

    ``authored`` is an ISO 8601 date-time with time zone (the caller owns the clock).
    Unanswered items are left out, as FHIR expects; so is any score that is not scorable.
    """
    lg = _lang(inst, lang)
    items: list[dict[str, Any]] = []
    for it in inst.items:
        v = answers.get(it.link_id)
        if v is None:
            continue
        if it.vas is not None:
            answer: dict[str, Any] = {"valueDecimal": _num(v)}
        else:
            answer = {"valueCoding": _coding(inst, it, v, lg, base)}
        items.append({"linkId": it.link_id, "text": it.text[lg], "answer": [answer]})
    if result is not None:
        scores = [(f"{inst.id}_total", result.total)]
        scores += [(f"{inst.id}_subscale_{s.id}", s.score) for s in result.subscales]
        for link_id, value in scores:
            if value is not None:
                items.append({"linkId": link_id, "answer": [{"valueDecimal": _num(value)}]})
    out: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{canonical_url(inst, base)}|{inst.version}",
        "status": status,
        "language": lg,
        "item": items,
    }
    if authored is not None:
        out["authored"] = authored
    if subject_reference is not None:
        out["subject"] = {"reference": subject_reference}
    return out
