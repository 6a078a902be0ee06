"""Gunicorn access logs without patient link tokens (used by gunicorn.conf.py)."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from fit_platform.logging_setup import redact

# Atoms that can carry a URL: request line, path, query string, raw URI, referer.
_URL_ATOMS = ("r", "U", "q", "f")


class RedactingLogger(Logger):  # type: ignore[misc]
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key in _URL_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
