"""The demo's request log with every query-string value masked, as production's access log.

`fit-platform demo` serves with Werkzeug's development server, whose request lines quote the
URL as the browser sent it: a staff search for a record id, a username in a login's `next=`,
a search term. gunicorn's access log masks every query value and keeps the parameter names
(gunicorn_logging.py); this handler writes the demo's lines through the same masking
(`logging_setup.mask_request_line`), so a demo's log is no more telling than production's.
"""

from __future__ import annotations

from typing import Any

from werkzeug.serving import WSGIRequestHandler

from fit_platform.logging_setup import mask_query, mask_request_line, redact


class MaskedRequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # The request line as received, not Werkzeug's decoded path (which it colours for a
        # terminal; these lines are JSON).
        line = redact(mask_request_line(self.requestline))
        self.log("info", '"%s" %s %s', line.translate(self._control_char_table), code, size)

    def log_error(self, format: str, *args: Any) -> None:
        # A refused request line is quoted in the message ("Bad request syntax ('GET /x?…')"):
        # everything after its "?" is masked.
        self.log("error", "%s", redact(mask_query(format % args if args else format)))
