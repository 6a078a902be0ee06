"""What a change did, said where the page opens after it, not at the top of the page.

A change on a long page (a signal acknowledged, a samvalg record saved, an appointment moved)
redirects to the page at the part it changed (`#signals`, `#appointment-12`). Its message,
flashed the usual way, was drawn at the top of the page, out of sight where the page opened,
so a keyboard walk at 200 % zoom saw no sign that anything was saved ("Nothing was changed"
included). A message flashed with `flash_at(anchor, ...)` is left out of the layout's
messages and drawn by the page where that anchor is (`said_here` in macros/said_here.html).
"""

from __future__ import annotations

from typing import cast

from flask import flash, get_flashed_messages

_HERE = "here:"
_HERE_ERROR = "here-error:"


def flash_at(anchor: str, message: str, *, error: bool = False) -> None:
    """Flash `message` to be shown at the element with id `anchor` on the next page."""
    flash(message, f"{_HERE_ERROR if error else _HERE}{anchor}")


def is_said_here(category: str) -> bool:
    """A message the page shows at its anchor (the layout leaves it out)."""
    return category.startswith((_HERE, _HERE_ERROR))


def messages_at(anchor: str) -> list[tuple[bool, str]]:
    """The messages flashed to `anchor`, each once, as (is an error, message)."""
    said: list[tuple[bool, str]] = []
    flashed = cast("list[tuple[str, str]]", get_flashed_messages(with_categories=True))
    for category, message in flashed:
        for prefix, error in ((_HERE, False), (_HERE_ERROR, True)):
            if category == prefix + anchor and (error, message) not in said:
                said.append((error, message))
    return said
