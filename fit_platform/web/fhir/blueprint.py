"""FHIR R4 over HTTP (`application/fhir+json`).

- ``GET /fhir/Questionnaire/<id>``: each instrument at its canonical URL (all languages, as
  translation extensions), and ``<id>-nb-NO`` / ``-nn-NO`` / ``-en-GB`` one language each.
  Public: a definition holds no patient data, and a canonical URL must resolve.
- ``GET /fhir/episodes/<id>/Bundle``: an episode's responses and scores, for staff who may see
  the episode (404 otherwise), access-logged, never cached.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, g

from fit_platform.domain.codes import Role
from fit_platform.domain.fhir import LANGUAGE_TAGS, language_questionnaire, questionnaire
from fit_platform.domain.instruments import Instrument, default_instruments
from fit_platform.extensions import get_db
from fit_platform.services.fhir_export import FhirSettings, episode_bundle
from fit_platform.web.auth.session import login_required, settings
from fit_platform.web.clock import now

bp = Blueprint("fhir", __name__, url_prefix="/fhir")

FHIR_JSON = "application/fhir+json"
_TAG_TO_LANGUAGE = {tag: code for code, tag in LANGUAGE_TAGS.items()}


def _fhir_response(resource: dict[str, Any], *, private: bool) -> Response:
    response = Response(json.dumps(resource, ensure_ascii=False), mimetype=FHIR_JSON)
    response.headers["Cache-Control"] = "no-store" if private else "public, max-age=3600"
    return response


def _find(questionnaire_id: str) -> tuple[Instrument, str | None]:
    """The instrument and language a Questionnaire id names (404 when none)."""
    library = default_instruments()
    by_resource_id = {inst.id.replace("_", "-"): inst for inst in library.values()}
    for tag, language in _TAG_TO_LANGUAGE.items():
        suffix = f"-{tag}"
        if questionnaire_id.endswith(suffix):
            base_id = questionnaire_id[: -len(suffix)]
            inst = library.get(base_id) or by_resource_id.get(base_id)
            if inst is not None and language in inst.languages:
                return inst, language
            abort(404)
    inst = library.get(questionnaire_id) or by_resource_id.get(questionnaire_id)
    if inst is None:
        abort(404)
    return inst, None


@bp.route("/Questionnaire/<string:questionnaire_id>")
def questionnaire_resource(questionnaire_id: str) -> Response:
    inst, language = _find(questionnaire_id)
    base = settings().fhir_canonical_base
    if language is None:
        return _fhir_response(questionnaire(inst, "nb", base=base), private=False)
    return _fhir_response(language_questionnaire(inst, language, base=base), private=False)


@bp.route("/episodes/<int:episode_id>/Bundle")
@login_required(Role.THERAPIST, Role.UNIT_LEAD)
def episode_bundle_resource(episode_id: int) -> Response:
    config = settings()
    bundle = episode_bundle(
        get_db(),
        g.staff,
        episode_id,
        instruments=default_instruments(),
        settings=FhirSettings(config.fhir_canonical_base, config.fhir_patient_identifier_system),
        now=now(),
    )
    if bundle is None:
        abort(404)
    response = _fhir_response(bundle, private=True)
    response.headers["Content-Disposition"] = f'attachment; filename="episode-{episode_id}.json"'
    return response
