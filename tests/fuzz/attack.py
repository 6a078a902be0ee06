"""Build hostile requests from the app's own URL map and its pages' forms, send them, check them.

A request is drawn either at a form found on a page (its fields filled with real and hostile
values, some left out, some sent twice, with the session's CSRF token or a bad one) or at any
rule of `app.url_map` (its URL variables filled with real ids of existing objects or hostile
segments, any method, random parameters). Bodies come urlencoded, as multipart, as JSON, as
plain text, with invalid UTF-8 spliced in, or with a content type that lies.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from flask import Flask
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from tests.fuzz.forms import Form, forms_on
from tests.fuzz.hostile import (
    BAD_BYTES,
    CONTENT_TYPES,
    HOSTILE_SEGMENTS,
    METHODS,
    hostile_text,
)
from tests.fuzz.world import ROLES, FuzzWorld

_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
# Query and form names every page may read, besides those found in forms.
COMMON_NAMES = ["lang", "next", "after", "page", "period", "start", "end", "unit", "q", "format"]


@dataclass(frozen=True)
class FuzzRequest:
    role: str
    method: str
    path: str
    body_kind: str  # none | form | multipart | json | text | raw
    fields: tuple[tuple[str, str], ...] = ()
    content_type: str | None = None
    bad_bytes: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        shown = [(name, value[:80]) for name, value in self.fields]
        return (
            f"{self.role} {self.method} {self.path[:300]} body={self.body_kind} "
            f"content_type={self.content_type!r} bad={self.bad_bytes!r} fields={shown}"
        )


@dataclass
class Tally:
    """What the run sent and got, for the summary line and test-artifacts/fuzz-summary.json."""

    requests: int = 0
    server_errors: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    by_role: Counter[str] = field(default_factory=Counter)
    by_backend: Counter[str] = field(default_factory=Counter)
    routes: set[str] = field(default_factory=set)
    endpoints: set[str] = field(default_factory=set)
    all_endpoints: set[str] = field(default_factory=set)
    forms: int = 0
    failures: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "responses_5xx": self.server_errors,
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "by_role": dict(self.by_role),
            "by_backend": dict(self.by_backend),
            "distinct_paths": len(self.routes),
            "url_rules_reached": len(self.endpoints),
            "url_rules": len(self.all_endpoints),
            "url_rules_not_reached": sorted(self.all_endpoints - self.endpoints),
            "forms_found": self.forms,
            "failures": self.failures[:20],
        }

    def raw(self) -> dict[str, Any]:
        """Everything, sets as lists: one worker's part of a run split over processes."""
        return {
            "requests": self.requests,
            "server_errors": self.server_errors,
            "by_status": {str(k): v for k, v in self.by_status.items()},
            "by_role": dict(self.by_role),
            "by_backend": dict(self.by_backend),
            "routes": sorted(self.routes),
            "endpoints": sorted(self.endpoints),
            "all_endpoints": sorted(self.all_endpoints),
            "forms": self.forms,
            "failures": self.failures,
        }

    def add(self, other: dict[str, Any]) -> None:
        """Add another process's `raw()` tally to this one."""
        self.requests += other["requests"]
        self.server_errors += other["server_errors"]
        self.by_status.update({int(k): v for k, v in other["by_status"].items()})
        self.by_role.update(other["by_role"])
        self.by_backend.update(other["by_backend"])
        self.routes |= set(other["routes"])
        self.endpoints |= set(other["endpoints"])
        self.all_endpoints |= set(other["all_endpoints"])
        self.forms += other["forms"]
        self.failures += other["failures"]


TALLY = Tally()


def concrete_rules(app: Flask) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)


def _fill(rule: Rule, values: dict[str, str]) -> str:
    return _VARIABLE.sub(lambda m: values[m.group(1)], rule.rule)


def real_paths(rule: Rule, world: FuzzWorld) -> list[str]:
    """The rule's URL with every variable set to each real id we hold for its name."""
    names = list(rule.arguments)
    if not names:
        return [rule.rule]
    paths = []
    for index in range(2):
        values = {}
        for name in names:
            options = world.ids.get(name) or [v for vs in world.ids.values() for v in vs]
            values[name] = options[index % len(options)]
        paths.append(_fill(rule, values))
    return paths


def discover_forms(world: FuzzWorld) -> dict[str, list[Form]]:
    """GET every page that answers GET, as every role, and keep the forms found on it."""
    found: dict[str, list[Form]] = {role: [] for role in ROLES}
    for rule in concrete_rules(world.app):
        if "GET" not in (rule.methods or ()) or rule.endpoint in {"static", "scrape"}:
            continue
        for role in ROLES:
            for path in real_paths(rule, world)[:1]:
                response = world.clients[role].get(f"{path}?lang=en")
                if response.mimetype != "text/html" or response.status_code != 200:
                    continue
                for form in forms_on(path, response.get_data(as_text=True)):
                    if (form.fields and form.action not in {f.action for f in found[role]}) or (
                        form.fields
                        and all(
                            f.action != form.action or set(f.fields) != set(form.fields)
                            for f in found[role]
                        )
                    ):
                        found[role].append(form)
    return found


def refresh_csrf(world: FuzzWorld, role: str) -> str:
    """The role's current CSRF token, read from a page its browser can open."""
    client = world.clients[role]
    page = {
        "anonymous": "/staff/login?lang=en",
        "patient": f"/p/{world.token}?lang=en",
    }.get(role, "/staff/account?lang=en")
    html = client.get(page).get_data(as_text=True)
    match = re.search(r'name="[\w-]*csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="[\w-]*csrf_token"', html
    )
    token = match.group(1) if match else ""
    world.csrf[role] = token
    return token


# -- strategies --------------------------------------------------------------------------------

CSRF_VALID = "\x00valid-csrf\x00"  # replaced by the role's live token when sent


def _value_for(offered: list[str]) -> st.SearchStrategy[str]:
    real = [value for value in offered if value] or ["1"]
    return st.one_of(st.sampled_from(real), hostile_text)


@st.composite
def _fields_for_form(draw: st.DrawFn, form: Form) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    for name, offered in form.fields.items():
        if name == form.csrf_field:
            choice = draw(st.sampled_from(["valid"] * 6 + ["missing", "garbage", "twice"]))
            if choice == "valid":
                fields.append((name, CSRF_VALID))
            elif choice == "garbage":
                fields.append((name, draw(hostile_text)))
            elif choice == "twice":
                fields += [(name, draw(hostile_text)), (name, CSRF_VALID)]
            continue
        how = draw(st.sampled_from(["real", "real", "hostile", "hostile", "missing", "twice"]))
        real = [value for value in offered if value] or ["1"]
        if how == "real":
            fields.append((name, draw(st.sampled_from(real))))
        elif how == "hostile":
            fields.append((name, draw(hostile_text)))
        elif how == "twice":
            fields += [(name, draw(_value_for(offered))), (name, draw(_value_for(offered)))]
    extra = draw(st.lists(st.tuples(st.sampled_from(COMMON_NAMES), hostile_text), max_size=2))
    return fields + extra


@st.composite
def _body(draw: st.DrawFn) -> tuple[str, str | None, bytes]:
    kind = draw(st.sampled_from(["form"] * 6 + ["multipart", "json", "text", "raw"]))
    content_type = None
    if kind in ("text", "raw") or draw(st.integers(0, 9)) == 0:
        content_type = draw(st.sampled_from(CONTENT_TYPES))
    bad = draw(st.sampled_from(BAD_BYTES)) if draw(st.integers(0, 5)) == 0 else b""
    return kind, content_type, bad


@st.composite
def form_request(draw: st.DrawFn, role: str, forms: list[Form]) -> FuzzRequest:
    form = draw(st.sampled_from(forms))
    fields = draw(_fields_for_form(form))
    method = form.method if draw(st.integers(0, 7)) else draw(st.sampled_from(METHODS))
    kind, content_type, bad = draw(_body())
    path = form.action
    if method == "GET":
        path = _with_query(path, fields, bad)
        kind, fields, bad = "none", [], b""
    return FuzzRequest(role, method, path, kind, tuple(fields), content_type, bad)


def _with_query(path: str, fields: list[tuple[str, str]], bad: bytes) -> str:
    query = urlencode(fields)
    if bad:
        # Percent forms reach the server as sent; raw bytes as Latin-1 characters, which the
        # test client passes through unchanged.
        query += ("&" if query else "") + "x=" + bad.decode("latin-1")
    if not query:
        return path
    return f"{path}{'&' if '?' in path else '?'}{query}"


@st.composite
def route_request(
    draw: st.DrawFn, role: str, rules: list[Rule], world: FuzzWorld, names: list[str]
) -> FuzzRequest:
    rule = draw(st.sampled_from(rules))
    values = {}
    for name in rule.arguments:
        real = world.ids.get(name) or [v for vs in world.ids.values() for v in vs]
        values[name] = draw(
            st.one_of(
                st.sampled_from(real), st.sampled_from(HOSTILE_SEGMENTS), hostile_text.map(quote)
            )
        )
    path = _fill(rule, values)
    allowed = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    method = (
        draw(st.sampled_from(allowed))
        if draw(st.integers(0, 3))
        else draw(st.sampled_from(METHODS))
    )
    fields = draw(st.lists(st.tuples(st.sampled_from(names), hostile_text), max_size=5))
    if draw(st.booleans()):
        fields.append(("csrf_token", CSRF_VALID))
    kind, content_type, bad = draw(_body())
    if method in ("GET", "HEAD", "OPTIONS") or draw(st.integers(0, 3)) == 0:
        path = _with_query(path, fields, bad)
        if method in ("GET", "HEAD", "OPTIONS"):
            kind, fields, bad = "none", [], b""
    headers: list[tuple[str, str]] = []
    if draw(st.integers(0, 9)) == 0:
        headers.append(
            draw(
                st.sampled_from(
                    [
                        ("Accept-Language", "x" * 2000),
                        ("Accept-Language", "nn;q=abc, *;q=-1"),
                        ("X-Forwarded-For", "1.2.3.4, <script>"),
                        ("X-Request-ID", "\u00ff" * 10),
                        ("Cookie", "session=" + "A" * 3000),
                        ("Cookie", "session=%ff%fe; session=x"),
                        ("Host", "evil.example"),
                        ("Content-Length", "99999999"),
                    ]
                )
            )
        )
    return FuzzRequest(role, method, path, kind, tuple(fields), content_type, bad, tuple(headers))


def requests_for(
    role: str, world: FuzzWorld, forms: list[Form], names: list[str]
) -> st.SearchStrategy[FuzzRequest]:
    rules = concrete_rules(world.app)
    by_route = route_request(role, rules, world, names)
    if not forms:
        return by_route
    return st.one_of(form_request(role, forms), form_request(role, forms), by_route)


def sweep(role: str, world: FuzzWorld) -> list[FuzzRequest]:
    """One plain request per rule, real id and allowed method (with the CSRF token), so every
    rule is reached by every role whatever the random draw; the fuzz then goes wide."""
    out = []
    for rule in concrete_rules(world.app):
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for path in real_paths(rule, world):
                fields = (("csrf_token", CSRF_VALID),) if method != "GET" else ()
                kind = "form" if method != "GET" else "none"
                out.append(FuzzRequest(role, method, path, kind, fields))
    return out


# -- sending and checking ----------------------------------------------------------------------


class ErrorRecords(logging.Handler):
    """Collects ERROR records (an unhandled exception is logged at ERROR before its 500)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _encode(request: FuzzRequest, csrf: str) -> dict[str, Any]:
    fields = [(name, csrf if value == CSRF_VALID else value) for name, value in request.fields]
    kwargs: dict[str, Any] = {}
    if request.body_kind == "form":
        body = urlencode(fields).encode()
        if request.bad_bytes:
            body += (b"&" if body else b"") + b"z=" + request.bad_bytes
        kwargs["data"] = body
        kwargs["content_type"] = request.content_type or "application/x-www-form-urlencoded"
    elif request.body_kind == "multipart":
        data: dict[str, Any] = {}
        for name, value in fields:
            data.setdefault(name, []).append(value)
        if request.bad_bytes:
            data["file"] = (io.BytesIO(request.bad_bytes * 10), "fuzz\u00ff.csv")
        kwargs["data"] = data
        if request.content_type is not None:
            kwargs["content_type"] = request.content_type
    elif request.body_kind == "json":
        kwargs["data"] = json.dumps(dict(fields)).encode() + request.bad_bytes
        kwargs["content_type"] = request.content_type or "application/json"
    elif request.body_kind == "text":
        kwargs["data"] = "\n".join(f"{n}={v}" for n, v in fields).encode() + request.bad_bytes
        kwargs["content_type"] = request.content_type or "text/plain"
    elif request.body_kind == "raw":
        kwargs["data"] = request.bad_bytes + urlencode(fields).encode() + request.bad_bytes
        kwargs["content_type"] = request.content_type or ""
    headers = dict(request.headers)
    if request.body_kind in ("json", "text", "raw") and any(
        value == CSRF_VALID for _name, value in request.fields
    ):
        # Flask-WTF also reads the token from this header, so bodies it cannot parse as a
        # form still get past the CSRF check and reach the view.
        headers["X-CSRFToken"] = csrf
    if "Content-Length" in headers:
        # The test client sets its own length; a lying one is sent through gunicorn instead.
        headers.pop("Content-Length")
    if headers:
        kwargs["headers"] = headers
    return kwargs


def _endpoint(world: FuzzWorld, request: FuzzRequest) -> str:
    """Which URL rule the request's path matched (any method), for the coverage count."""
    adapter = world.app.url_map.bind("localhost")
    path = urlsplit(request.path).path
    for method in (request.method, "GET", "POST"):
        try:
            return str(adapter.match(path, method=method)[0])
        except HTTPException:
            continue
    return "(no rule)"


def _repair_role(world: FuzzWorld, request: FuzzRequest, location: str) -> None:
    """After a request that may have ended the role's link or session, open a new one, so
    the rest of the run still reaches the pages behind the login or the link."""
    if request.role == "patient" and request.method != "GET":
        if world.keep_patient_link_open():
            refresh_csrf(world, "patient")
    elif (
        request.role in world.staff_ids
        and ("/staff/login" in location or request.path.startswith("/staff/"))
        and world.keep_staff_logged_in(request.role)
    ):
        refresh_csrf(world, request.role)


def send(world: FuzzWorld, request: FuzzRequest, errors: ErrorRecords, backend: str) -> str:
    """Send one request as its role and check the answer; records it in TALLY and returns
    the URL rule it reached."""
    client = world.clients[request.role]
    errors.records.clear()
    response = client.open(
        request.path, method=request.method, **_encode(request, world.csrf[request.role])
    )
    status = response.status_code
    location = response.headers.get("Location", "")
    response.close()  # a file sent by the static route stays open until closed
    TALLY.requests += 1
    TALLY.by_status[status] += 1
    TALLY.by_role[request.role] += 1
    TALLY.by_backend[backend] += 1
    TALLY.routes.add(urlsplit(request.path).path)
    endpoint = _endpoint(world, request)
    TALLY.endpoints.add(endpoint)
    problem = None
    if status >= 500:
        TALLY.server_errors += 1
        problem = f"{status}"
    elif errors.records:
        problem = "logged an error: " + "; ".join(r.getMessage() for r in errors.records)
    elif 300 <= status < 400:
        same_site = location.startswith("/") and not location.startswith(("//", "/\\"))
        if not (same_site or location.startswith("http://localhost/")):
            problem = f"redirect off the site to {location!r}"
    _repair_role(world, request, location)
    if problem:
        TALLY.failures.append(f"{problem}: {request.describe()}")
        detail = "".join(
            logging.Formatter().formatException(r.exc_info) for r in errors.records if r.exc_info
        )
        raise AssertionError(f"{problem}\n{request.describe()}\n{detail}")
    return endpoint
