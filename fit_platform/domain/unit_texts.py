"""Which of a unit's texts a patient page shows, in which language.

A unit writes its free texts for patients (the opening hours) in bokmål, and may add nynorsk
and English. A page shows the text of its own language when there is one, else the bokmål
one, and says which language that is (`LocalisedText.language`): the web marks it up as
Norwegian (`lang="nb"`, and "in Norwegian" on an English page) instead of passing it off as
a translation. Bokmål is the fallback because it is the text every unit must give first and
the one a nynorsk reader reads as easily (docs/administration.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fit_platform.domain.codes import Language

FALLBACK = Language.BOKMAAL


@dataclass(frozen=True)
class LocalisedText:
    text: str
    language: Language  # the language the text is written in, not the page's

    @property
    def is_fallback(self) -> bool:
        return self.language is FALLBACK


def text_for(texts: Mapping[Language, str | None], wanted: Language) -> LocalisedText | None:
    """The text in `wanted`, else the bokmål one; None when the unit gave neither."""
    for language in (wanted, FALLBACK):
        text = texts.get(language)
        if text:
            return LocalisedText(text, language)
    return None


def missing_fallback(texts: Mapping[Language, str | None]) -> bool:
    """True when a text is given in some language but not in bokmål, the one every page can
    fall back to (an administrator is asked for it first)."""
    return not texts.get(FALLBACK) and any(texts.values())
