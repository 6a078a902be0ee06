"""A unit's text for a page: its own language's, else the bokmål one, and which it is."""

from __future__ import annotations

from fit_platform.domain.codes import Language
from fit_platform.domain.unit_texts import LocalisedText, missing_fallback, text_for

NB, NN, EN = Language.BOKMAAL, Language.NYNORSK, Language.ENGLISH


def test_a_page_gets_its_own_languages_text_else_the_bokmaal_one_marked_as_bokmaal() -> None:
    texts = {NB: "man.–fre. 8–15", NN: "må.–fr. 8–15", EN: None}
    assert text_for(texts, NN) == LocalisedText("må.–fr. 8–15", NN)
    assert text_for(texts, EN) == LocalisedText("man.–fre. 8–15", NB)
    assert text_for(texts, EN).is_fallback  # type: ignore[union-attr]
    assert text_for({NB: None, NN: "", EN: None}, EN) is None


def test_a_text_in_another_language_needs_the_bokmaal_one_first() -> None:
    assert missing_fallback({NB: None, NN: None, EN: "Mon–Fri"})
    assert missing_fallback({NB: "", NN: "må.–fr.", EN: None})
    assert not missing_fallback({NB: "man.–fre.", NN: None, EN: "Mon–Fri"})
    assert not missing_fallback({NB: None, NN: None, EN: None})
