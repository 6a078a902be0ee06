"""The objects behind Flask's context proxies, for code that runs on every request.

`request`, `session`, `g` and `current_app` are werkzeug `LocalProxy` objects. An attribute
read through one first fails on the proxy itself, and in Python 3.11 that failure builds an
`AttributeError` with a formatted message (some 1 900 machine instructions) before the read is
passed on to the object. A patient page read them about 50 to 75 times: a tenth of the
worker's instructions on the patient's hot paths (`benchmarks/count_save_instructions.py`,
docs/decisions/0004-hot-paths.md). Hooks and helpers that run on every request take the object
once from here and read it directly; `_get_current_object()` is werkzeug's documented way to it,
named once here with its type. Elsewhere the proxies are as good.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, current_app, g, request, session
from flask.ctx import _AppCtxGlobals
from flask.sessions import SessionMixin


def this_request() -> Request:
    """The request being handled (what `flask.request` stands for)."""
    return _unwrap(request)  # type: ignore[no-any-return]


def this_session() -> SessionMixin:
    """The request's cookie session (what `flask.session` stands for). Its `accessed` flag,
    which makes the response vary by cookie, is set by reads as through the proxy."""
    return _unwrap(session)  # type: ignore[no-any-return]


def this_g() -> _AppCtxGlobals:
    """The application context's `g`."""
    return _unwrap(g)  # type: ignore[no-any-return]


def this_app() -> Flask:
    """The application handling the request (what `flask.current_app` stands for)."""
    return _unwrap(current_app)  # type: ignore[no-any-return]


def _unwrap(proxy: Any) -> Any:
    return proxy._get_current_object()
