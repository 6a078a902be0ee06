"""Gunicorn's own logs in the app's JSON format (used by gunicorn.conf.py).

Error log and access log lines are JSON objects like every other line, link tokens are
removed from URLs, every query-string value is masked (only the parameter names stay:
a staff search for a record id must not land in the log), and each access line carries the
request id the app echoed in its `X-Request-ID` header, so it can be joined with the app's
lines for the same request.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from gunicorn.glogging import Logger

from fit_platform.logging_setup import JsonFormatter, mask_query, mask_request_line, redact

# Atoms that can carry a URL: request line, path, query string, referer.
_URL_ATOMS = ("r", "U", "q", "f")


def _safe_atom(key: str, value: str) -> str:
    if key == "r":
        return redact(mask_request_line(value))
    if key == "q":
        return mask_query(f"?{value}")[1:] if value else value
    return redact(mask_query(value))


class RedactingLogger(Logger):  # type: ignore[misc]
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key in _URL_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = _safe_atom(key, atoms[key])
        return atoms

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        # Only the fields the line carries, not gunicorn's full set of atoms (which formats
        # a local time stamp and copies every request header, response header and environ
        # entry on each request): the same values as ``atoms`` gives them.
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        path = environ.get("PATH_INFO")
        # The app sets the id on every response it makes (the last such header counts, as
        # in gunicorn's atoms); a request gunicorn refused on its own (bad request line)
        # gets a fresh one.
        request_id = None
        for name, value in resp.headers:
            if name.lower() == "x-request-id":
                request_id = value
        micros = request_time.seconds * 1000000 + request_time.microseconds
        try:
            self.access_log.info(
                redact(
                    f"{environ['REQUEST_METHOD']} {mask_query(environ['RAW_URI'])}"
                    f" {environ['SERVER_PROTOCOL']}"
                ),
                extra={
                    "event": "access",
                    "request_id": request_id or uuid.uuid4().hex,
                    "method": environ.get("REQUEST_METHOD"),
                    "path": redact(mask_query(path)) if isinstance(path, str) else path,
                    "status": status,
                    "bytes": getattr(resp, "sent", None),
                    "duration_ms": round(micros / 1000, 1),
                    "client": environ.get("REMOTE_ADDR", "-"),
                },
            )
        except Exception:
            logging.getLogger("gunicorn.error").exception("access log line failed")
