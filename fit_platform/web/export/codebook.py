"""The export's codebook, served to the people who may export (``/export/codebook``).

The export page used to name the codebook by its place in the repository
(docs/export-codebook.md), which a service developer cannot open. The page shows the same
file as pre-formatted text, so it is always the text of the running version. The file is
package data (`fit_platform/services/export/codebook.md`, next to the code that makes the
columns), so it is there in an installed wheel as well as in a source checkout; if it is
missing all the same, the page says so rather than failing.
"""

from __future__ import annotations

from pathlib import Path

from flask import render_template

from fit_platform.services.export_files import CODEBOOK_PATH, CODEBOOK_VERSION
from fit_platform.web.export.blueprint import bp, service_developers

CODEBOOK: Path = CODEBOOK_PATH


@bp.route("/codebook")
@service_developers
def codebook() -> str:
    try:
        text: str | None = CODEBOOK.read_text(encoding="utf-8")
    except OSError:
        text = None
    return render_template("export/codebook.html", text=text, version=CODEBOOK_VERSION)
