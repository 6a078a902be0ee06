"""Structured logs: one JSON object per line, UTC time, and never a link token or secret."""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import sys
from typing import Any

# Patient link tokens live in paths like /p/<token>, staff set-password tokens in
# /staff/invite/<token>; anything that looks like a credential in a
# query string is masked too. Applied to every record, whichever library wrote it.
# The patient pages' own names of 8 or more letters stay readable (/p/progress read as
# /p/[redacted]); a name not listed here is masked, which hides nothing it should show.
PATIENT_PAGE_NAMES = ("idporten", "logged-out", "my-crisis-plan", "my-standing-choices", "progress")
_TOKEN_PATH = re.compile(
    r"(/p/|/staff/invite/)"
    rf"(?!(?:{'|'.join(PATIENT_PAGE_NAMES)})(?![A-Za-z0-9_\-]))"
    r"[A-Za-z0-9_\-]{8,}"
)
_SECRET_PARAM = re.compile(r"((?:token|code|password|secret|sid)=)[^&\s\"']+", re.IGNORECASE)


def redact(text: str) -> str:
    # Each pattern can only match where its literal part is (a token path's prefix, a
    # parameter's "="), and most values of a line (ids, methods, addresses, plain messages)
    # have neither: a substring test is far cheaper than running the pattern to find nothing.
    if "/p/" in text or "/staff/invite/" in text:
        text = _TOKEN_PATH.sub(r"\1[redacted]", text)
    if "=" in text:
        text = _SECRET_PARAM.sub(r"\1[redacted]", text)
    return text


# A query string can carry what a staff member searched for (a patient's record id on the
# administrator's patient search or the access review, a username): every value goes, only
# the parameter names stay, so a line still says which filter was used. A name that is not a
# plain field name (`?EPJ-778899`, a bare value) goes too.
_QUERY_MARKER = "[redacted]"
_PARAMETER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,39}")


def mask_query(uri: str) -> str:
    """``uri`` with every query-string value replaced by a marker (names kept)."""
    path, question, query = uri.partition("?")
    if not question:
        return uri
    parts = []
    for item in query.split("&"):
        name, equals, _value = item.partition("=")
        if not item:
            parts.append("")
        elif equals and _PARAMETER_NAME.fullmatch(name):
            parts.append(f"{name}={_QUERY_MARKER}")
        else:
            parts.append(_QUERY_MARKER)
    return f"{path}?{'&'.join(parts)}"


def mask_request_line(line: str) -> str:
    """A request line ("GET /x?a=1 HTTP/1.1") with its URI's query values masked."""
    method, space, rest = line.partition(" ")
    uri, space2, protocol = rest.rpartition(" ")
    if not space2 or not protocol.startswith("HTTP/"):
        uri, protocol = rest, ""
    masked = f"{method}{space}{mask_query(uri)}"
    return f"{masked} {protocol}" if protocol else masked


# The id of the request being handled in this thread/task (set by the web layer), so every
# line written while answering it carries the same `request_id` as the access log line.
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)


def user_reference(username: str, key: str) -> str:
    """A pseudonym for a username in logs: the same person gives the same reference, but the
    log alone does not name them (keyed hash with the secret key; not reversible)."""
    normalised = username.strip().casefold().encode()
    return hmac.new(key.encode(), normalised, hashlib.sha256).hexdigest()[:16]


_STANDARD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}
# What `json.dumps(entry, default=str, ensure_ascii=False)` builds anew for every line (its
# arguments differ from the defaults): the same encoder, made once. It keeps no state between
# calls, so the lines are the same.
_ENCODER = json.JSONEncoder(default=str, ensure_ascii=False)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        request_id = request_id_var.get()
        if request_id is not None:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD_FIELDS and not key.startswith("_"):
                entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return _ENCODER.encode(entry)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Third-party chatter (migration plugins, HTTP client internals) only when it matters.
    for noisy in ("alembic", "httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
