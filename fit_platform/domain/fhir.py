"""FHIR R4 export: definitions as ``Questionnaire``, scored responses as
``QuestionnaireResponse``, totals as ``Observation``, an episode as a ``Bundle``. Pure dict
building; the services and the web layer serialise the dicts.

Texts are given in one language with the other languages as the standard ``translation``
extension (or, for form tools such as Helsenorge's that expect one resource per language, one
``Questionnaire`` per language without translations). Numeric answer values use the R4
``ordinalValue`` extension; the total and subscale scores are read-only ``decimal`` items, so a
response carries its own scores. Standard codes (LOINC) come from the definition file's
optional ``code`` on the instrument, its items and ``scoring.totalCode`` (docs/instruments.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from fit_platform.domain.instruments import Instrument, Item
from fit_platform.domain.scoring import ScoreResult

EXT_TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
# The language of a string element (extensions pack: on `string` and `markdown`), here on each
# answered item's `text`: the question as the patient read it (docs/fhir.md).
EXT_LANGUAGE = "http://hl7.org/fhir/StructureDefinition/language"
EXT_ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
EXT_MIN = "http://hl7.org/fhir/StructureDefinition/minValue"
EXT_MAX = "http://hl7.org/fhir/StructureDefinition/maxValue"
EXT_DECIMALS = "http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces"
EXT_ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
UCUM = "http://unitsofmeasure.org"
# Deployments set their own canonical base (FIT_FHIR_BASE); a URN keeps the default free of a
# made-up host.
DEFAULT_CANONICAL_BASE = "urn:fit-platform:questionnaire"
# BCP 47 tags for the platform's language codes, as Norwegian form tools label them.
LANGUAGE_TAGS = {"nb": "nb-NO", "nn": "nn-NO", "en": "en-GB"}
# A fixed namespace, so the same rows always give the same Bundle entry ids (no randomness in
# the domain, and a re-export can be compared with the first).
_ENTRY_NAMESPACE = uuid.UUID("1f0c7a52-6d0e-5b8e-9d43-0c2f9a1e7b64")

_STATUS = {"draft": "draft", "active": "active", "retired": "retired"}


def canonical_url(inst: Instrument, base: str = DEFAULT_CANONICAL_BASE) -> str:
    """The instrument's canonical URL: ``{base}/Questionnaire/{id}`` for an http(s) base (where
    the platform serves it), ``{base}:{id}`` for the default URN."""
    if base.startswith("urn:"):
        return f"{base}:{inst.id}"
    return f"{base.rstrip('/')}/Questionnaire/{inst.id}"


def language_questionnaire_id(inst: Instrument, lang: str) -> str:
    """The id of the one-language ``Questionnaire`` (for example ``phq9-nb-NO``)."""
    return f"{inst.id.replace('_', '-')}-{LANGUAGE_TAGS.get(lang, lang)}"


def _codings(node: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The ``code`` list of a definition node (instrument, item or scoring), copied."""
    if not node:
        return []
    return [dict(coding) for coding in node.get("code", [])]


def _item_codings(inst: Instrument, link_id: str) -> list[dict[str, Any]]:
    for item in inst.definition.get("item", []):
        if item.get("linkId") == link_id:
            return _codings(item)
    return []


def _lang(inst: Instrument, lang: str | None) -> str:
    if lang is not None and lang in inst.languages:
        return lang
    return "en" if "en" in inst.languages else next(iter(inst.languages))


def _text(
    texts: Mapping[str, str], lang: str, key: str, translations: bool = True
) -> dict[str, Any]:
    """``{key: text, _key: {extension: [translations]}}`` for one translatable element."""
    out: dict[str, Any] = {key: texts[lang] if lang in texts else next(iter(texts.values()))}
    if not translations:
        return out
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


def _questionnaire_item(
    inst: Instrument, item: Item, lang: str, base: str, translations: bool = True
) -> dict[str, Any]:
    out: dict[str, Any] = {"linkId": item.link_id}
    codes = _item_codings(inst, item.link_id)
    if codes:
        out["code"] = codes
    out.update(_text(item.text, lang, "text", translations))
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
        if translations and len(opt.display) > 1:
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
    return _questionnaire(inst, _lang(inst, lang), base, translations=True)


def language_questionnaire(
    inst: Instrument, lang: str, *, base: str = DEFAULT_CANONICAL_BASE
) -> dict[str, Any]:
    """The instrument in one language only (no translation extensions), as form tools that
    expect one ``Questionnaire`` per language (Helsenorge's) take it. Its canonical URL is the
    instrument's with the language tag added; ``derivedFrom`` points at the multilingual one.
    ``lang`` must be one of the instrument's languages (KeyError otherwise)."""
    if lang not in inst.languages:
        raise KeyError(lang)
    out = _questionnaire(inst, lang, base, translations=False)
    out["id"] = language_questionnaire_id(inst, lang)
    out["url"] = f"{canonical_url(inst, base)}-{LANGUAGE_TAGS.get(lang, lang)}"
    out["language"] = LANGUAGE_TAGS.get(lang, lang)
    out["derivedFrom"] = [f"{canonical_url(inst, base)}|{inst.version}"]
    return out


def _questionnaire(inst: Instrument, lg: str, base: str, *, translations: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": inst.id.replace("_", "-"),
        "url": canonical_url(inst, base),
        "version": inst.version,
        "name": inst.id.upper().replace("-", "_"),
        **_text(inst.title, lg, "title", translations),
        "status": _STATUS[inst.status],
        "language": lg,
        "copyright": inst.licence.text,
        "item": [_questionnaire_item(inst, it, lg, base, translations) for it in inst.items],
    }
    codes = _codings(inst.definition)
    if codes:
        out["code"] = codes
    if inst.instructions:
        out.update(_text(inst.instructions, lg, "description", translations))
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
    subject: Mapping[str, Any] | None = None,
    scores: Mapping[str, float | None] | None = None,
    resource_id: str | None = None,
    base: str = DEFAULT_CANONICAL_BASE,
    answer_languages: Mapping[str, str | None] | None = None,
) -> dict[str, Any]:
    """A scored response as an R4 ``QuestionnaireResponse``.

    ``authored`` is an ISO 8601 date-time with time zone (the caller owns the clock).
    Unanswered items are left out, as FHIR expects; so is any score that is not scorable.
    The scores are ``result``'s, or ``scores`` (``total`` and subscale ids, as stored with the
    response, so an export shows what the therapist saw). ``subject`` is a Reference
    (see :func:`patient_reference`); ``subject_reference`` a plain literal reference.
    ``answer_languages`` are the languages each answer was given in (a patient may switch
    mid-questionnaire): such an item's text and answer display are in its own language, with
    the ``language`` extension on its ``text``. Items without one are in ``lang``.
    """
    lg = _lang(inst, lang)
    items: list[dict[str, Any]] = []
    for it in inst.items:
        v = answers.get(it.link_id)
        if v is None:
            continue
        answered_in = (answer_languages or {}).get(it.link_id)
        item_lg = lg if answered_in is None else _lang(inst, answered_in)
        if it.vas is not None:
            answer: dict[str, Any] = {"valueDecimal": _num(v)}
        else:
            answer = {"valueCoding": _coding(inst, it, v, item_lg, base)}
        item: dict[str, Any] = {"linkId": it.link_id, "text": it.text[item_lg]}
        if answered_in is not None:
            item["_text"] = {"extension": [{"url": EXT_LANGUAGE, "valueCode": item_lg}]}
        item["answer"] = [answer]
        items.append(item)
    for link_id, value in _score_values(inst, result, scores):
        if value is not None:
            items.append({"linkId": link_id, "answer": [{"valueDecimal": _num(value)}]})
    out: dict[str, Any] = {"resourceType": "QuestionnaireResponse"}
    if resource_id is not None:
        out["id"] = resource_id
    out.update(
        {
            "questionnaire": f"{canonical_url(inst, base)}|{inst.version}",
            "status": status,
            "language": lg,
            "item": items,
        }
    )
    if authored is not None:
        out["authored"] = authored
    if subject is not None:
        out["subject"] = dict(subject)
    elif subject_reference is not None:
        out["subject"] = {"reference": subject_reference}
    return out


def _score_values(
    inst: Instrument, result: ScoreResult | None, scores: Mapping[str, float | None] | None
) -> list[tuple[str, float | None]]:
    if result is not None:
        values = [(f"{inst.id}_total", result.total)]
        return values + [(f"{inst.id}_subscale_{s.id}", s.score) for s in result.subscales]
    if scores is None:
        return []
    values = [(f"{inst.id}_total", scores.get("total"))]
    return values + [(f"{inst.id}_subscale_{s.id}", scores.get(s.id)) for s in inst.subscales]


def patient_reference(record_id: str, identifier_system: str) -> dict[str, Any]:
    """A logical Reference to the patient by the EPR's record id (no Patient resource is sent:
    the EPR owns the person, the platform only knows its id)."""
    return {
        "type": "Patient",
        "identifier": {"system": identifier_system, "value": record_id},
    }


def total_observation(
    inst: Instrument,
    total: float,
    *,
    effective: str,
    derived_from: str,
    subject: Mapping[str, Any] | None = None,
    resource_id: str | None = None,
    base: str = DEFAULT_CANONICAL_BASE,
) -> dict[str, Any]:
    """The total score as an R4 ``Observation`` (category survey), coded with the instrument's
    ``scoring.totalCode`` (LOINC where one exists) or, failing that, the platform's own code;
    ``derivedFrom`` the ``QuestionnaireResponse`` it was scored from."""
    codes = [dict(coding) for coding in inst.definition.get("scoring", {}).get("totalCode", [])]
    if not codes:
        codes = [{"system": canonical_url(inst, base), "code": f"{inst.id}_total"}]
    out: dict[str, Any] = {"resourceType": "Observation"}
    if resource_id is not None:
        out["id"] = resource_id
    out.update(
        {
            "status": "final",
            "category": [
                {
                    "coding": [
                        {"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}
                    ]
                }
            ],
            "code": {
                "coding": codes,
                "text": inst.title.get("en") or next(iter(inst.title.values())),
            },
            "effectiveDateTime": effective,
            "valueQuantity": {"value": _num(total), "system": UCUM, "code": "{score}"},
            "derivedFrom": [{"reference": derived_from}],
        }
    )
    if subject is not None:
        out["subject"] = dict(subject)
    return out


def entry_id(kind: str, row_id: int) -> str:
    """A stable ``urn:uuid`` for a Bundle entry made from one database row."""
    return f"urn:uuid:{uuid.uuid5(_ENTRY_NAMESPACE, f'{kind}/{row_id}')}"


def collection_bundle(
    resources: Sequence[tuple[str, Mapping[str, Any]]], *, timestamp: str
) -> dict[str, Any]:
    """A ``Bundle`` of type collection from ``(fullUrl, resource)`` pairs."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": timestamp,
        "entry": [{"fullUrl": url, "resource": dict(resource)} for url, resource in resources],
    }
