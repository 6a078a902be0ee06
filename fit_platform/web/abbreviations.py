"""Headings on a 320 px phone: an instrument's short name such as "(PHQ-9)" or "(GAD-7)" is kept
on one line, so the line never breaks at its hyphen and leaves "9)" alone. The text itself is
unchanged (no non-breaking hyphen), so copying and searching still find "PHQ-9"."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# A bracketed word without spaces: "(PHQ-9)", "(CORE-10)", "(GAD-7)".
_SHORT_NAME = re.compile(r"\([^\s()]{1,16}\)")


_NO_WRAP = Markup('<span class="nowrap">{}</span>')


def keep_short_names(text: object) -> Markup:
    """`text`, escaped, with each bracketed short name in a span that does not wrap."""
    plain = str(text)
    parts: list[Markup] = []
    end = 0
    for match in _SHORT_NAME.finditer(plain):
        parts += [escape(plain[end : match.start()]), _NO_WRAP.format(match.group(0))]
        end = match.end()
    parts.append(escape(plain[end:]))
    return Markup("").join(parts)
