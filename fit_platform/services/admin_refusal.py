"""What the administrators' services share: a change refused, a target not found, and the
rule for a short code (a unit's or a programme's, as it appears in exports and URLs)."""

from __future__ import annotations

import re

SHORT_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


class AdminRefusal(ValueError):
    """The change is refused and nothing was saved; `field` names the form field, `code` why.

    `problems` holds every (field, code) found, the first being `field` and `code`, so a page
    shows every wrong field at once instead of one per submit."""

    def __init__(self, field: str, code: str, *more: tuple[str, str]) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code
        self.problems: tuple[tuple[str, str], ...] = ((field, code), *more)

    @classmethod
    def of(cls, problems: list[tuple[str, str]]) -> AdminRefusal:
        first, *more = problems
        return cls(*first, *more)


class AdminNotFound(LookupError):
    """No such unit, programme, template or episode."""
