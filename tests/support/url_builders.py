"""The URL builders of the app's routes, compiled once per test process instead of once per app.

Most tests build an app of their own, and building one was almost all spent in Werkzeug
writing and compiling a small Python function for each of its some 500 URL rules, twice
(`Rule._compile_builder`): about 60 ms of CPU per app here, a minute and more of a run. The
function Werkzeug writes depends only on the rule's text, its parsed parts, its defaults and
which of the two kinds it is; it takes the rule as its first argument and is bound to each
rule afterwards. So the test process keeps each function and hands the same one to the same
rule of the next app.

Only the tests do this (a server builds its app once), and it leans on one private Werkzeug
method of the pinned version: if that changes, every `url_for` of the suite says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule

_compile = Rule._compile_builder
_kept: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}


def _kept_builder(self: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
    try:
        defaults = tuple(sorted((self.defaults or {}).items()))
        key = (self.rule, tuple(self._trace), defaults, append_unknown)
        hash(key)
    except TypeError:  # a default that cannot be sorted or hashed: compile as Werkzeug does
        return _compile(self, append_unknown)
    builder = _kept.get(key)
    if builder is None:
        builder = _kept[key] = _compile(self, append_unknown)
    return builder


def keep_url_builders() -> None:
    Rule._compile_builder = _kept_builder  # type: ignore[method-assign]
