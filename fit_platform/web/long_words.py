"""Break opportunities in long unbroken words that people typed (names, reasons), for tables.

A table column is at least as wide as its longest word, so one 200-character name squeezed
every other column of the admin audit trail down to its own longest word. CSS can let text
wrap anywhere (`overflow-wrap: anywhere`), but then a short column breaks its ordinary words
too ("Admini|strator") when the table is tight. A `<wbr>` inside the long word alone lets
only that word wrap; it adds no character to what is read, copied or searched.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from fit_platform.web.abbreviations import mark_matches

# Words up to this length stay whole (a long Norwegian compound, an e-mail address).
LONGEST_WHOLE_WORD = 20
# A longer word may wrap after every this many characters.
PIECE = 10

_LONG_WORD = re.compile(rf"\S{{{LONGEST_WHOLE_WORD + 1},}}")


def _pieces(word: str) -> Markup:
    return Markup("<wbr>").join(escape(word[at : at + PIECE]) for at in range(0, len(word), PIECE))


def wrap_long_words(text: object) -> Markup:
    """`text`, escaped, with a break opportunity every few characters of each long word. A
    Markup is read as the text it shows, so it must hold no tags."""
    plain = text.unescape() if isinstance(text, Markup) else str(text)
    return mark_matches(plain, _LONG_WORD, _pieces)
