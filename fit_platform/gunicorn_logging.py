"""Gunicorn's own logs in the app's JSON format (used by gunicorn.conf.py).

Error log and access log lines are JSON objects like every other line, link tokens are
removed from URLs, and each access line carries the request id the app echoed in its
`X-Request-ID` header, so it can be joined with the app's lines for the same request.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from gunicorn.glogging import Logger

from fit_platform.logging_setup import JsonFormatter, redact

# Atoms that can carry a URL: request line, path, query string, raw URI, referer.
_URL_ATOMS = ("r", "U", "q", "f")


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
                atoms[key] = redact(atoms[key])
        return atoms

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        # The app sets the id on every response it makes; a request gunicorn refused on
        # its own (bad request line) gets a fresh one.
        request_id = atoms.get("{x-request-id}o") or uuid.uuid4().hex
        try:
            self.access_log.info(
                atoms["r"],
                extra={
                    "event": "access",
                    "request_id": request_id,
                    "method": atoms.get("m"),
                    "path": atoms.get("U"),
                    "status": atoms.get("s"),
                    "bytes": atoms.get("B"),
                    "duration_ms": round(int(atoms.get("D", 0)) / 1000, 1),
                    "client": atoms.get("h"),
                },
            )
        except Exception:
            logging.getLogger("gunicorn.error").exception("access log line failed")
