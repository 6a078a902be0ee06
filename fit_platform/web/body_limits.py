"""How large a request body may be: one limit for every page, a larger one for a page that
takes a file.

Every form of the platform (a page of answers, a decision, a crisis plan) is a few kB, so
Flask is told 256 kB (`MAX_CONTENT_LENGTH`) and nginx the same (`deploy/nginx`). The
appointment import takes a file of up to 2 MB, and its request was cut off at 256 kB before
the page could say anything: a file of 8 500 rows got "Too much data, shorten the text".
A page that takes a file names its own limit here, and the message for a body over even
that; the limit is read where Flask reads it, before any form (the CSRF check reads the form
before the view runs, so a limit set in the view would come too late).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Request

DEFAULT_BODY_BYTES = 256 * 1024


@dataclass(frozen=True)
class LargerBody:
    max_bytes: int
    too_large: Callable[[], str]  # the page's own words for a body over the limit, translated


_larger: dict[str, LargerBody] = {}


def allow_larger_body(endpoint: str, max_bytes: int, too_large: Callable[[], str]) -> None:
    """Let ``endpoint`` take bodies up to ``max_bytes`` (the file's limit and room for the
    form around it); ``too_large`` is said, on the error page, for a body over it."""
    _larger[endpoint] = LargerBody(max_bytes, too_large)


def too_large_message(request: Request) -> str | None:
    """The page's own words for a body over its limit, or None for the general ones."""
    larger = _larger.get(request.endpoint or "")
    return larger.too_large() if larger is not None else None


class PlatformRequest(Request):
    """Flask's request, with the body limit of the page it is for."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is None and self.url_rule is not None:
            larger = _larger.get(self.url_rule.endpoint)
            if larger is not None:
                return larger.max_bytes
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value
