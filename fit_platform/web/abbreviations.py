"""Headings on a 320 px phone: an instrument's short name such as "(PHQ-9)" or "(GAD-7)" is kept
on one line, so the line never breaks at its hyphen and leaves "9)" alone. The text itself is
unchanged (no non-breaking hyphen), so copying and searching still find "PHQ-9"."""

from __future__ import annotations

import re
from collections.abc import Callable

from markupsafe import Markup, escape

# A bracketed word without spaces: "(PHQ-9)", "(CORE-10)", "(GAD-7)".
_SHORT_NAME = re.compile(r"\([^\s()]{1,16}\)")


_NO_WRAP = Markup('<span class="nowrap">{}</span>')


def keep_short_names(text: object) -> Markup:
    """`text`, escaped, with each bracketed short name in a span that does not wrap."""
    return mark_matches(str(text), _SHORT_NAME, _NO_WRAP.format)


def mark_matches(plain: str, pattern: re.Pattern[str], render: Callable[[str], Markup]) -> Markup:
    """`plain`, escaped, with each match of `pattern` given as `render` makes it (which must
    escape the matched text itself); also used by web/long_words.py."""
    parts: list[Markup] = []
    end = 0
    for match in pattern.finditer(plain):
        parts += [escape(plain[end : match.start()]), render(match.group(0))]
        end = match.end()
    parts.append(escape(plain[end:]))
    return Markup("").join(parts)
