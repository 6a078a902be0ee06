"""FHIR R4 export, validated with the R4B models of fhir.resources (Questionnaire and
QuestionnaireResponse did not change between R4 and R4B). Those models check structure, types
and unknown fields but not code values, so the required codes are checked here as well."""

from collections.abc import Callable

import fhir.resources.R4B.questionnaire as r4b_q
import fhir.resources.R4B.questionnaireresponse as r4b_qr
import pytest

from fit_platform.domain.fhir import (
    EXT_ORDINAL,
    EXT_TRANSLATION,
    questionnaire,
    questionnaire_response,
)
from fit_platform.domain.instrument_model import Item
from fit_platform.domain.instruments import Instrument, default_instruments
from fit_platform.domain.scoring import ScoreResult, score

INSTRUMENTS = sorted(default_instruments())
PUBLICATION_STATUS = {"draft", "active", "retired", "unknown"}
ITEM_TYPES = {
    "group",
    "display",
    "boolean",
    "decimal",
    "integer",
    "date",
    "dateTime",
    "time",
    "string",
    "text",
    "url",
    "choice",
    "open-choice",
    "attachment",
    "reference",
    "quantity",
}


def _response(
    inst: Instrument, value_of: Callable[[Item], float | None]
) -> tuple[dict[str, float | None], ScoreResult]:
    answers = {x: value_of(inst.item(x)) for x in inst.scored_link_ids}
    return answers, score(inst, answers)


@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_every_definition_exports_as_a_valid_r4_questionnaire(
    instrument_id: str, lang: str
) -> None:
    inst = default_instruments()[instrument_id]
    q = questionnaire(inst, lang)
    r4b_q.Questionnaire.model_validate(q)
    assert q["status"] in PUBLICATION_STATUS
    assert all(it["type"] in ITEM_TYPES for it in q["item"])
    assert q["version"] == inst.version


@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
def test_a_scored_response_exports_as_a_valid_r4_questionnaire_response(instrument_id: str) -> None:
    inst = default_instruments()[instrument_id]
    answers, result = _response(inst, lambda it: it.max_value)
    qr = questionnaire_response(
        inst,
        answers,
        result,
        lang="nb",
        authored="2026-03-29T10:00:00+02:00",
        subject_reference="Patient/123",
    )
    r4b_qr.QuestionnaireResponse.model_validate(qr)
    assert qr["status"] in {"in-progress", "completed", "amended", "entered-in-error", "stopped"}
    assert qr["questionnaire"].endswith(f":{inst.id}|{inst.version}")


def test_the_questionnaire_carries_other_languages_as_translation_extensions() -> None:
    q = questionnaire(default_instruments()["phq9"], "nb")
    item9 = next(it for it in q["item"] if it["linkId"] == "phq9_9")
    assert item9["text"].startswith("Tanker om at det ville vært bedre")
    langs = {e["extension"][0]["valueCode"] for e in item9["_text"]["extension"]}
    assert langs == {"en", "nn"} and item9["_text"]["extension"][0]["url"] == EXT_TRANSLATION


def test_the_english_wai_sr_questionnaire_exports_the_filled_blank_not_underscores() -> None:
    q = questionnaire(default_instruments()["wai_sr"], "en")
    item4 = next(it for it in q["item"] if it["linkId"] == "wai_sr_4")
    assert item4["text"] == "My therapist and I collaborate on setting goals for my therapy."
    assert "__" not in str(q)


def test_answer_options_carry_code_display_and_numeric_value() -> None:
    q = questionnaire(default_instruments()["core10"], "nb")  # falls back to English
    assert q["language"] == "en"
    opt = q["item"][0]["answerOption"][4]
    assert (
        opt["valueCoding"]["code"] == "4"
        and opt["valueCoding"]["display"] == "Most or all of the time"
    )
    assert opt["extension"] == [{"url": EXT_ORDINAL, "valueDecimal": 4}]


def test_the_vas_item_exports_as_a_decimal_slider_with_bounds() -> None:
    q = questionnaire(default_instruments()["vas_demo"])
    urls = {e["url"].rsplit("/", 1)[-1] for e in q["item"][0]["extension"]}
    assert q["item"][0]["type"] == "decimal"
    assert {"minValue", "maxValue", "maxDecimalPlaces", "questionnaire-itemControl"} <= urls


def test_the_response_holds_answers_and_scores_but_leaves_out_unanswered_items() -> None:
    inst = default_instruments()["wai_sr"]
    answers, _ = _response(inst, lambda it: 4)
    answers["wai_sr_3"] = None
    qr = questionnaire_response(inst, answers, score(inst, answers))
    ids = [it["linkId"] for it in qr["item"]]
    assert "wai_sr_3" not in ids and "wai_sr_total" not in ids  # not scorable
    assert "wai_sr_subscale_task" in ids and "wai_sr_subscale_bond" not in ids
    full = questionnaire_response(inst, *_response(inst, lambda it: 4))
    total = next(it for it in full["item"] if it["linkId"] == "wai_sr_total")
    assert total["answer"] == [{"valueDecimal": 48}]
