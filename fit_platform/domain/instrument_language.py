"""In which language a patient is shown a questionnaire, when it is not in their own.

Some instruments exist only in some languages (CORE-10 is licensed in English only until a
service drops in an official translation). A patient is never refused a page for that: the
questionnaire is shown in the nearest available language — bokmål and nynorsk readers get the
other Norwegian written standard first, then English — with a plain notice in the patient's own
language, while the rest of the page stays in the patient's language.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from fit_platform.domain.instruments import Instrument, TranslationStatus

PLATFORM_LANGUAGES = ("nb", "nn", "en")

_NEAREST: Mapping[str, tuple[str, ...]] = {
    "nb": ("nb", "nn", "en"),
    "nn": ("nn", "nb", "en"),
    "en": ("en", "nb", "nn"),
}


def _nearest(available: Collection[str], wanted: str) -> str | None:
    for language in (*_NEAREST.get(wanted, (wanted,)), *sorted(available)):
        if language in available:
            return language
    return None


def questionnaire_language(instrument: Instrument, wanted: str) -> str:
    """The language to show `instrument` in to a patient who reads `wanted`."""
    language = _nearest(instrument.languages.keys(), wanted)
    if language is None:  # the loader refuses such files
        raise ValueError(f"{instrument.id} declares no language")
    return language


def missing_languages(instrument: Instrument) -> tuple[str, ...]:
    """The platform languages `instrument` is not available in (empty when it has them all)."""
    return tuple(lang for lang in PLATFORM_LANGUAGES if lang not in instrument.languages)


def working_translations(instrument: Instrument) -> tuple[str, ...]:
    """The platform languages whose text of `instrument` is not the rights holder's own.

    Therapists are shown these beside the title, so that nobody takes the project's working
    wording for a validated translation when choosing what to send."""
    return tuple(
        lang
        for lang in PLATFORM_LANGUAGES
        if lang in instrument.languages
        and instrument.languages[lang].status is not TranslationStatus.OFFICIAL
    )


def text_in(texts: Mapping[str, str], wanted: str) -> str:
    """One of an instrument's texts (title, item, option) in `wanted`, else the nearest one."""
    language = _nearest(texts.keys(), wanted)
    return texts[language] if language is not None else ""
