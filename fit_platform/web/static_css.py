"""Style sheets are served without their comments and spare white space.

The sheets under `static/css` are written for the next engineer: each rule's comment says
why (about a sixth of `site.css`). A patient's phone needs none of it, and every patient page
carries the sheet within a budget (page and CSS under 30 KB,
`tests/web/test_patient_page_weight.py`). rCSSmin (a runtime CSS minifier: syntactic only,
no rule is rewritten) makes the served copy once per file and change, in the process; every
other static file is served by Flask as before, and the CSS keeps Flask's conditional
requests (ETag, Last-Modified) and cache lifetime.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
from functools import lru_cache

import rcssmin
from flask import Flask, abort, send_file
from werkzeug.security import safe_join
from werkzeug.wrappers import Response


@lru_cache(maxsize=16)
def _minified(path: str, modified_ns: int) -> tuple[bytes, str]:
    """The served bytes of one sheet as it was at `modified_ns`, and their ETag."""
    with open(path, encoding="utf-8") as sheet:
        data = rcssmin.cssmin(sheet.read()).encode("utf-8")
    return data, hashlib.sha256(data).hexdigest()[:32]


def serve_minified_css(app: Flask) -> None:
    """Put the minified sheets in front of Flask's `static` view (same URL, same rule)."""

    def static(filename: str) -> Response:
        if not filename.endswith(".css") or app.static_folder is None:
            return app.send_static_file(filename)  # what Flask's own `static` view does
        path = safe_join(app.static_folder, filename)
        if path is None or not os.path.isfile(path):
            abort(404)
        stat = os.stat(path)
        data, etag = _minified(path, stat.st_mtime_ns)
        return send_file(
            io.BytesIO(data),
            mimetype="text/css",
            download_name=os.path.basename(path),
            etag=etag,
            last_modified=dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC),
            max_age=app.get_send_file_max_age(filename),
            conditional=True,
        )

    app.view_functions["static"] = static
