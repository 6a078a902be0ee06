"""Language choice: the user's explicit choice > a patient's preferred language >
Accept-Language > bokmål. The choice is remembered in the (signed) session cookie."""

from __future__ import annotations

from pathlib import Path

from flask import g, request, session

from fit_platform.domain.codes import Language

SUPPORTED = tuple(language.value for language in Language)
DEFAULT = Language.BOKMAAL.value
TRANSLATIONS_DIR = Path(__file__).resolve().parents[1] / "translations"
LANGUAGE_NAMES = {"nb": "Bokmål", "nn": "Nynorsk", "en": "English"}


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in SUPPORTED:
        return str(chosen)
    preferred = g.get("patient_language")
    if preferred in SUPPORTED:
        return str(preferred)
    # Browsers often send plain "no" for Norwegian; treat it as bokmål.
    best = request.accept_languages.best_match([*SUPPORTED, "no"])
    if best == "no":
        return DEFAULT
    return best or DEFAULT
