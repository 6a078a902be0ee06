"""The export's codebook, served to the people who may export (``/export/codebook``).

The export page used to name the codebook by its place in the repository
(docs/export-codebook.md), which a service developer cannot open. The page shows the same
file as HTML (`codebook_html`: its tables as tables, its notes for developers left out), so it
is always the text of the running version. The file is
package data (`fit_platform/services/export/codebook.md`, next to the code that makes the
columns), so it is there in an installed wheel as well as in a source checkout; if it is
missing all the same, the page says so rather than failing.
"""

from __future__ import annotations

from pathlib import Path

from flask import render_template
from markupsafe import Markup

from fit_platform.services.export_files import CODEBOOK_PATH, CODEBOOK_VERSION
from fit_platform.web.export.blueprint import bp, service_developers
from fit_platform.web.export.codebook_html import codebook_html

CODEBOOK: Path = CODEBOOK_PATH


@bp.route("/codebook")
@service_developers
def codebook() -> str:
    try:
        body: Markup | None = codebook_html(CODEBOOK.read_text(encoding="utf-8"))
    except OSError:
        body = None
    return render_template("export/codebook.html", body=body, version=CODEBOOK_VERSION)
